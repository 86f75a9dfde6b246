"""Outages in the middle of a run: the event database goes away (a PostgreSQL
cluster of the test's own is stopped for 30 seconds; an SQLite file is held
locked by another process for longer than the busy timeout) and the Temporal
server itself is stopped and started again. Appends retry through Temporal's
durable retry policy, every case completes, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import pytest

from activities.eventlog import open_event_store
from app.cases import CaseClient
from app.keys import open_key_store
from app.temporal import connect
from eventlog.engines import SQLITE_BUSY_TIMEOUT_S
from tests.reliability.conftest import dev_server_for
from tests.reliability.harness import (
    WorkerProcess,
    activity_retries,
    check_log,
    drive_many,
    fault_settings,
    notifications_doubled,
    record_figures,
)
from worker import build_worker

pytestmark = pytest.mark.slow

CASES = 12
OUTAGE_SECONDS = 30


async def until_events(store, at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while store.head()[0] < at_least:
        assert time.monotonic() < deadline, "the run never got going"
        await asyncio.sleep(0.2)


async def run_through_outage(settings, client, outage, fault: str, **figures) -> None:
    """Drives CASES lifecycles with an in-process worker; ``outage(store)``
    runs once some events are in and returns when the database is back."""
    store = open_event_store(settings.database_url)
    cases = CaseClient(client, settings)
    case_ids = [f"outage-{uuid.uuid4().hex[:8]}" for _ in range(CASES)]
    started = time.monotonic()
    try:
        async with build_worker(client, settings, store):
            driving = asyncio.create_task(drive_many(cases, case_ids, concurrency=CASES))
            await until_events(store, CASES * 3)
            in_before = store.head()[0]
            await outage(store)
            stats = await driving
            result = await check_log(store, open_key_store(store, settings), client, cases, case_ids)
            retried = await activity_retries(client, case_ids)
    finally:
        store.dispose()
    letters_doubled = notifications_doubled(settings, case_ids)
    record_figures(
        fault,
        runs=CASES,
        events=result.events,
        lost=result.lost,
        doubled=result.doubled + letters_doubled,
        recovered=f"{CASES}/{CASES}",
        retries=stats.retries,
        time_drift=result.time_drift,
        seconds=round(time.monotonic() - started),
        events_before_outage=in_before,
        activity_retries=retried,
        **figures,
    )
    assert retried > 0, "no append ever failed: the outage did not hit the run"
    assert result.lost == 0 and result.doubled == 0 and letters_doubled == 0
    assert result.mismatched_states == 0


async def test_postgres_stopped_for_30_seconds_mid_run(tmp_path, dev_server, pg_cluster):
    settings = fault_settings(tmp_path, dev_server.address, pg_cluster.url)
    client = await connect(settings)

    async def outage(store) -> None:
        await asyncio.to_thread(pg_cluster.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(pg_cluster.start)

    await run_through_outage(settings, client, outage, "PostgreSQL down 30 s", outage_s=OUTAGE_SECONDS)


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


async def test_sqlite_held_locked_by_another_process_longer_than_the_busy_timeout(tmp_path, dev_server):
    settings = fault_settings(tmp_path, dev_server.address)
    client = await connect(settings)
    hold = SQLITE_BUSY_TIMEOUT_S + 2
    database = str(tmp_path / "eventlog.db")

    async def outage(store) -> None:
        locker = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, database, str(hold)], stdout=subprocess.PIPE, text=True
        )
        assert locker.stdout is not None  # a pipe, asked for
        assert (await asyncio.to_thread(locker.stdout.readline)).strip() == "locked"
        await asyncio.to_thread(locker.wait, hold + 30)

    await run_through_outage(settings, client, outage, "SQLite locked by another process", outage_s=hold)


async def test_temporal_server_stopped_and_started_again_mid_run(tmp_path):
    """The dev server with its database file is stopped (SIGTERM) and started
    again on the same port and file; workers (processes) and the driver reconnect."""
    server = dev_server_for(tmp_path / "temporal", persistent=True)
    await server.start()
    settings = fault_settings(tmp_path, server.address)
    workers = [WorkerProcess(settings, f"worker-{n}") for n in range(2)]
    for worker in workers:
        worker.start()
    client = await connect(settings)
    cases = CaseClient(client, settings)
    case_ids = [f"restart-{uuid.uuid4().hex[:8]}" for _ in range(CASES * 2)]
    store = open_event_store(settings.database_url)
    started = time.monotonic()
    try:
        driving = asyncio.create_task(drive_many(cases, case_ids, concurrency=len(case_ids)))
        await until_events(store, len(case_ids) * 3)
        in_before = store.head()[0]
        await server.stop()
        await asyncio.sleep(3)
        await server.start()
        restarts = 0
        while not driving.done():  # a worker that gave up on the server is started again
            for worker in workers:
                if not worker.alive():
                    worker.start()
                    restarts += 1
            await asyncio.wait([driving], timeout=1)
        stats = await driving
        result = await check_log(store, open_key_store(store, settings), client, cases, case_ids)
    finally:
        store.dispose()
        for worker in workers:
            worker.stop()
        await server.stop()
    record_figures(
        "Temporal server restart",
        runs=len(case_ids),
        events=result.events,
        lost=result.lost,
        doubled=result.doubled + notifications_doubled(settings, case_ids),
        recovered=f"{len(case_ids)}/{len(case_ids)}",
        retries=stats.retries,
        time_drift=result.time_drift,
        seconds=round(time.monotonic() - started),
        events_before_outage=in_before,
        worker_restarts=restarts,
    )
    assert result.lost == 0 and result.doubled == 0
    assert result.mismatched_states == 0
