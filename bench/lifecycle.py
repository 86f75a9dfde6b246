"""Measure 1: whole case lifecycles per second through all five phases, on a
local dev server with the real event log, against a bare workflow receiving
the same number of updates (empty handlers) on the same server, at the same
concurrency.

The two kinds take turns in rounds so a noisy neighbour slows both alike.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from bench.common import Result, case_scripts

TARGET_RATIO = 0.8
ROUNDS = 2
#: No case may take longer than this; a stuck case fails the measure instead of hanging it.
CASE_TIMEOUT_S = 120


async def _bounded(count: int, concurrency: int, one, progress=None, task=None) -> float:
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with semaphore:
            await asyncio.wait_for(one(i), CASE_TIMEOUT_S)
        if progress:
            progress.advance(task)

    start = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(count)))
    return time.perf_counter() - start


async def run_async(cases: int, concurrency: int, progress=None) -> Result:
    from temporalio.worker import Worker

    from activities.eventlog import open_event_store
    from app.cases import CaseClient, parse_command
    from bench.bare import BareWorkflow
    from bench.stack import dev_stack
    from domain.phases import Phase
    from worker import WORKFLOW_RUNNER, build_worker

    sources = case_scripts()
    scripts = [[parse_command(step) for step in script.steps] for script in sources]
    raw_scripts = [script.steps for script in sources]
    run_id = uuid.uuid4().hex[:6]

    async with dev_stack() as (settings, client, _folder):
        store = open_event_store(settings.database_url, upgrade=not settings.production)
        case_client = CaseClient(client, settings)
        bare_queue = f"{settings.task_queue}-bare"
        bare_worker = Worker(
            client,
            task_queue=bare_queue,
            workflows=[BareWorkflow],
            activity_executor=ThreadPoolExecutor(1),
            workflow_runner=WORKFLOW_RUNNER,
        )
        updates = 0

        async def one_case(i: int, prefix: str) -> None:
            nonlocal updates
            case_id = f"{prefix}-{i:05d}"
            await case_client.open_case(parse_command(sources[i % len(sources)].register(case_id)))
            answer = None
            for command in scripts[i % len(scripts)]:
                answer = await case_client.act(case_id, command)
                updates += 1
            # The lifecycle ends when the closing command is answered with a closed
            # case; the workflow itself may stay open for an appeal window (a timer).
            assert answer is not None and answer.phase is Phase.CLOSED, answer

        async def one_bare(i: int, prefix: str) -> None:
            steps = raw_scripts[i % len(raw_scripts)]
            handle = await client.start_workflow(
                BareWorkflow.run, len(steps), id=f"{prefix}-{i:05d}", task_queue=bare_queue
            )
            for step in steps:
                await handle.execute_update(BareWorkflow.act, step)
            assert await handle.result() == len(steps)

        case_time = bare_time = 0.0
        per_round = max(1, cases // ROUNDS)
        try:
            async with build_worker(client, settings, store), bare_worker:
                # Warm-up: sandbox imports, connection pools, server caches.
                await _bounded(3, 3, lambda i: one_case(i, f"warm-case-{run_id}"))
                await _bounded(3, 3, lambda i: one_bare(i, f"warm-bare-{run_id}"))
                updates = 0
                task_c = progress.add_task("lifecycles (CaseWorkflow)", total=per_round * ROUNDS) if progress else None
                task_b = progress.add_task("lifecycles (bare workflow)", total=per_round * ROUNDS) if progress else None
                for r in range(ROUNDS):
                    case_time += await _bounded(
                        per_round, concurrency, partial(one_case, prefix=f"case-{run_id}-{r}"), progress, task_c
                    )
                    bare_time += await _bounded(
                        per_round, concurrency, partial(one_bare, prefix=f"bare-{run_id}-{r}"), progress, task_b
                    )
        finally:
            store.dispose()
    total = per_round * ROUNDS
    figure = total / case_time
    baseline = total / bare_time
    ratio = figure / baseline
    return Result(
        name="1. case lifecycle throughput",
        figure=figure,
        unit="cases/s",
        baseline=baseline,
        baseline_unit="bare workflows/s, same updates",
        ratio=ratio,
        target=f">= {TARGET_RATIO}x bare",
        met=ratio >= TARGET_RATIO,
        notes=(
            f"{total} cases x {updates / total:.1f} updates ({sources[0].source}), concurrency {concurrency}, "
            "dev server + SQLite log; a case counts once its closing command is answered"
        ),
        extra={"case_seconds": case_time, "bare_seconds": bare_time},
    )


def run(cases: int, concurrency: int, progress=None) -> Result:
    return asyncio.run(run_async(cases, concurrency, progress))
