"""Measure 7: the worker's memory per open case waiting for a human.

The worker runs in a subprocess (the client's memory does not count). Its RSS
is read after a warm-up (sandbox imports done, pools open), then again once
N cases are open and each has taken its first human command (visitation is
opened; the case now waits for the assessment). The delta divided by N is the
figure. Baseline: the bare workflow waiting on a condition, after one update,
in a worker process of its own. The workflow cache is sized to hold every
case, so each case's full state is resident (the default cache holds 1,000).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
import uuid

from bench.common import Result, case_scripts

#: The target is 100 KB in decimal units; RSS is read in KiB (1,024 bytes), so
#: the figure is compared in bytes, not as KiB against 100.
TARGET_BYTES = 100_000
TARGET_KIB = TARGET_BYTES / 1024
WARM_UP = 20
CONCURRENCY = 40


class WorkerProcess:
    def __init__(self, kind: str, settings, address: str, max_cached: int) -> None:
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - the worker's stderr, kept as long as it runs
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "bench.worker_proc", "--kind", kind, "--address", address,
                "--namespace", settings.temporal_namespace, "--task-queue", settings.task_queue,
                "--database-url", settings.database_url, "--max-cached", str(max_cached),
                "--data-dir", str(settings.data_dir),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )  # fmt: skip
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self._stdin, self._stdout = self.process.stdin, self.process.stdout
        self._expect("READY")

    def _expect(self, word: str) -> str:
        line = self._stdout.readline()
        if not line.startswith(word):
            self._errors.seek(0)
            tail = self._errors.read().decode(errors="replace")[-400:]
            raise RuntimeError(f"worker process said {line!r}, expected {word}; its stderr ends: {tail}")
        return line

    def stderr_tail(self, size: int = 1500) -> str:
        self._errors.seek(0)
        return self._errors.read().decode(errors="replace")[-size:]

    async def rss_kb(self) -> int:
        return (await self.memory())[0]

    async def memory(self) -> tuple[int, int, int]:
        """RSS, and the C allocator's in-use and free KiB (-1 when unknown)."""

        def ask() -> tuple[int, int, int]:
            self._stdin.write("rss\n")
            self._stdin.flush()
            rss, in_use, free = (int(word) for word in self._expect("RSS").split()[1:4])
            return rss, in_use, free

        return await asyncio.to_thread(ask)

    def stop(self) -> None:
        try:
            self._stdin.write("quit\n")
            self._stdin.flush()
            self.process.wait(timeout=30)
        except Exception:  # noqa: BLE001 - kill it whatever went wrong
            self.process.kill()
            self.process.wait()
        self._errors.close()


async def _open_all(count: int, one, progress=None, task=None) -> None:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def guarded(i: int) -> None:
        async with semaphore:
            await asyncio.wait_for(one(i), 120)
        if progress and task is not None:
            progress.advance(task)

    await asyncio.gather(*(guarded(i) for i in range(count)))


async def _settle(worker: WorkerProcess) -> int:
    """RSS once it stops moving (the worker may still be finishing tasks)."""
    previous = await worker.rss_kb()
    for _ in range(10):
        await asyncio.sleep(1.0)
        current = await worker.rss_kb()
        if abs(current - previous) < 256:
            return current
        previous = current
    return previous


async def _measure(
    kind: str, cases: int, settings, client, address: str, progress
) -> tuple[int, int, tuple[int, int], tuple[int, int]]:
    from app.cases import CaseClient, parse_command
    from bench.bare import BareWorkflow

    script = case_scripts()[0]
    first_step = script.steps[0]  # open_visitation: the case then waits for the assessment
    open_visitation = parse_command(first_step)
    run_id = uuid.uuid4().hex[:6]
    worker = WorkerProcess(kind, settings, address, max_cached=cases + WARM_UP + 50)
    case_client = CaseClient(client, settings)

    async def one(i: int, prefix: str) -> None:
        case_id = f"{prefix}-{run_id}-{i:05d}"
        if kind == "case":
            await case_client.open_case(parse_command(script.register(case_id)))
            await case_client.act(case_id, open_visitation)
        else:
            handle = await client.start_workflow(BareWorkflow.run, 0, id=case_id, task_queue=settings.task_queue)
            await handle.execute_update(BareWorkflow.act, first_step)

    try:
        try:
            await _open_all(WARM_UP, lambda i: one(i, f"warm-{kind}"))
        except Exception as error:
            raise RuntimeError(f"{error}; worker stderr ends: {worker.stderr_tail()}") from error
        idle = await _settle(worker)
        heap_idle = (await worker.memory())[1:]
        task = progress.add_task(f"opening {cases} waiting cases ({kind})", total=cases) if progress else None
        await _open_all(cases, lambda i: one(i, f"open-{kind}"), progress, task)
        loaded = await _settle(worker)
        heap_loaded = (await worker.memory())[1:]
    finally:
        worker.stop()
    return idle, loaded, heap_idle, heap_loaded


async def run_async(cases: int, progress=None) -> Result:
    from bench.stack import dev_stack

    async with dev_stack() as (settings, client, _folder):
        address = settings.effective_temporal_address
        case_settings = settings.model_copy(update={"task_queue": f"{settings.task_queue}-mem"})
        bare_settings = settings.model_copy(update={"task_queue": f"{settings.task_queue}-mem-bare"})
        started = time.perf_counter()
        case_idle, case_loaded, case_heap, case_heap_loaded = await _measure(
            "case", cases, case_settings, client, address, progress
        )
        bare_idle, bare_loaded, _, _ = await _measure("bare", cases, bare_settings, client, address, progress)
        seconds = time.perf_counter() - started
    per_case = (case_loaded - case_idle) / cases
    per_bare = (bare_loaded - bare_idle) / cases
    return Result(
        name="7. worker memory per waiting case",
        figure=per_case,
        unit="KiB/case",
        baseline=per_bare,
        baseline_unit="KiB/bare workflow waiting",
        ratio=(per_bare / per_case) if per_case > 0 else None,
        target=f"<= 100 KB/case ({TARGET_KIB:.1f} KiB)",
        met=per_case * 1024 <= TARGET_BYTES,
        notes=(
            f"{cases} cases in visitation; worker RSS {case_idle / 1024:.0f} -> {case_loaded / 1024:.0f} MiB "
            f"(bare {bare_idle / 1024:.0f} -> {bare_loaded / 1024:.0f} MiB); cache holds all"
            + _heap_note(case_heap, case_heap_loaded, cases)
        ),
        extra={"case_idle_kb": case_idle, "case_loaded_kb": case_loaded, "bare_idle_kb": bare_idle,
               "bare_loaded_kb": bare_loaded, "case_malloc_in_use_kb": [case_heap[0], case_heap_loaded[0]],
               "case_malloc_free_kb": [case_heap[1], case_heap_loaded[1]], "seconds": round(seconds, 1)},
    )  # fmt: skip


def _heap_note(idle: tuple[int, int], loaded: tuple[int, int], cases: int) -> str:
    """How much of a case's growth is live C-heap memory and how much is freed but kept (fragmentation)."""
    if idle[0] < 0 or loaded[0] < 0:
        return ""
    return (
        f"; per case the C heap grew by {(loaded[0] - idle[0]) / cases:.1f} KiB in use "
        f"and {(loaded[1] - idle[1]) / cases:.1f} KiB free"
    )


def run(cases: int, progress=None) -> Result:
    return asyncio.run(run_async(cases, progress))
