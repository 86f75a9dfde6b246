"""Workers die: two ``python worker.py`` processes against a real Temporal dev
server, 100 case lifecycles, and a worker killed with SIGKILL at random points
(at least 20 times) and started again. Nothing may be lost or doubled."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from app.cases import CaseClient
from app.keys import open_key_store
from eventlog import EventStore
from tests.reliability.harness import WorkerProcess, check_log, drive_many, notifications_doubled, record_figures

pytestmark = pytest.mark.slow

SEED = 20240610
CASES = 100
MIN_KILLS = 20
MAX_KILLS = 30  # enough to prove the point; more only makes the run longer


async def test_killing_workers_at_random_loses_and_doubles_nothing(settings, client):
    rng = random.Random(SEED)
    workers = [WorkerProcess(settings, f"worker-{n}") for n in range(2)]
    for worker in workers:
        worker.start()
    cases = CaseClient(client, settings)
    case_ids = [f"kill-{settings.task_queue[-8:]}-{n:03d}" for n in range(CASES)]
    driving_done = asyncio.Event()

    async def killer() -> None:
        # Kills go on while cases are driven; the interval is short enough
        # for at least MIN_KILLS during the run.
        while not driving_done.is_set() and sum(w.kills for w in workers) < MAX_KILLS:
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            if driving_done.is_set():
                break
            victim = rng.choice(workers)
            victim.kill()
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            victim.start()

    started = time.monotonic()
    killing = asyncio.create_task(killer())
    try:
        stats = await drive_many(cases, case_ids, concurrency=30)
        driving_done.set()
        await killing
        for worker in workers:  # both alive for the queries that follow
            if not worker.alive():
                worker.start()
        store = EventStore.from_url(settings.database_url)
        try:
            figures = await check_log(store, open_key_store(store, settings), client, cases, case_ids)
        finally:
            store.dispose()
        letters_doubled = notifications_doubled(settings, case_ids)
    finally:
        driving_done.set()
        killing.cancel()
        for worker in workers:
            worker.stop()

    kills = sum(w.kills for w in workers)
    completed = sum(1 for _ in case_ids)  # drive_many raised otherwise
    record_figures(
        "worker kill -9",
        runs=CASES,
        kills=kills,
        events=figures.events,
        lost=figures.lost,
        doubled=figures.doubled + letters_doubled,
        recovered=f"{completed}/{CASES}",
        retries=stats.retries,
        time_drift=figures.time_drift,
        seconds=round(time.monotonic() - started),
    )
    assert kills >= MIN_KILLS, f"only {kills} kills; the run was too short to prove anything"
    assert figures.lost == 0 and figures.doubled == 0 and letters_doubled == 0
    assert figures.mismatched_states == 0, "a case rebuilt from the log differs from its workflow's state"
