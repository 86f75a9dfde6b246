"""A crash inside an append: a process writing in a loop is killed with
SIGKILL at a random moment, 100 times over, on SQLite and on PostgreSQL.
Every acknowledged append is there, no batch is half written, positions
stay gapless and the chain verifies."""

from __future__ import annotations

import multiprocessing
import random
import time
from collections import Counter

import pytest

from tests.eventlog.conftest import postgres_log, sqlite_log
from tests.reliability.append_crash import write_until_killed
from tests.reliability.harness import record_figures

pytestmark = pytest.mark.slow

SEED = 7
KILLS = {"sqlite": 100, "postgresql": 50}


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_log(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        with postgres_log(url) as log:
            yield request.param, log
    else:
        with sqlite_log(tmp_path) as log:
            yield request.param, log


def test_kill_9_inside_append_loses_no_acknowledged_event_and_leaves_no_half_batch(crash_log):
    backend, log = crash_log
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["eventlog", "tests.reliability.append_crash"])
    rng = random.Random(SEED)
    tried: dict[tuple[str, ...], str] = {}
    started = time.monotonic()
    for run in range(KILLS[backend]):
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=write_until_killed, args=(log.url, log.connect_args, run, sender))
        child.start()
        sender.close()
        assert receiver.poll(60) and receiver.recv()[0] == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        child.kill()
        child.join()
        while True:
            try:
                kind, ids = receiver.recv()
            except EOFError:
                break
            if ids:
                tried[tuple(ids)] = kind if kind != "try" or tuple(ids) not in tried else tried[tuple(ids)]
        receiver.close()

    store = log.reopen()
    stored = []
    after = 0
    while batch := store.read_all(after, limit=5000):
        stored.extend(batch)
        after = batch[-1].position
    present = Counter(e.event_id for e in stored)
    acked = [ids for ids, kind in tried.items() if kind == "ack"]
    lost = sum(1 for ids in acked for i in ids if i not in present)
    half = sum(1 for ids in tried if 0 < sum(i in present for i in ids) < len(ids))
    doubled = sum(n - 1 for n in present.values())
    in_flight_kept = sum(1 for ids, kind in tried.items() if kind == "try" and ids[0] in present)
    record_figures(
        f"kill -9 inside append ({backend})",
        runs=KILLS[backend],
        kills=KILLS[backend],
        events=len(stored),
        lost=lost,
        doubled=doubled,
        recovered="chain verifies" if store.verify().ok else "CHAIN BROKEN",
        half_batches=half,
        unacked_but_committed=in_flight_kept,
        seconds=round(time.monotonic() - started),
    )
    assert lost == 0 and half == 0 and doubled == 0
    assert [e.position for e in stored] == list(range(1, len(stored) + 1))
    for stream in {e.stream_id for e in stored}:
        versions = [e.stream_version for e in stored if e.stream_id == stream]
        assert versions == list(range(1, len(versions) + 1))
    assert store.verify().ok
    assert len(acked) >= KILLS[backend] // 2, "too few appends were acknowledged to prove anything"
