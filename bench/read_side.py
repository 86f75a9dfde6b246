"""Measure 9: the read side at two sizes of the log.

For each size (cases of the demo citizens' real events, ~17 per case) and each
database: how fast the projector catches up from position 0 (against reading
the same events raw, in pages), how long a full rebuild takes, and the p99 of
the reads the API and pages make (the case list's first page, a filtered page,
the phase report, the day's changed cases for KL) from 20 threads at once,
each beside the same query on the raw table (no generation, no filters). The
list's flatness is the p99 at the large size over the p99 at the small one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

from bench import biglog
from bench.backends import sqlite_database
from bench.common import Result, percentile

EVENTS_PER_CASE = 17
CLIENTS = 20


def _p99(function, requests: int) -> float:
    samples: list[float] = []
    lock = threading.Lock()

    def one(_):
        t0 = time.perf_counter()
        function()
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            samples.append(elapsed)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(one, range(requests)))
    return percentile(samples, 99)


def _measure(db, cases: int, requests: int) -> dict[str, float]:
    from domain.deadlines import PhaseDeadlines
    from domain.phases import Phase
    from eventlog.keystore import KeyStore
    from projections import queries
    from projections.setup import build_projector

    store = db.store()
    try:
        keys = KeyStore(store.engines, os.urandom(32))
        projector = build_projector(store, keys, PhaseDeadlines(), batch_size=2000)
        t0 = time.perf_counter()
        projected = projector.catch_up() // 2  # two projections over the same events
        catch_up_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw_read, after = 0, 0
        while page := store.read_all(after_position=after, limit=2000):
            raw_read += len(page)
            after = page[-1].position
        raw_s = time.perf_counter() - t0
        now = datetime.now(UTC)
        engines = store.engines
        first = lambda: queries.list_cases(engines, queries.CaseFilter(), now=now)  # noqa: E731
        filtered = lambda: queries.list_cases(engines, queries.CaseFilter(phase=Phase.CLOSED, overdue=False), now=now)  # noqa: E731
        phases = lambda: queries.phase_counts(engines, now=now)  # noqa: E731
        day = store.read_all(limit=1)[0].occurred_at.date()
        changed = lambda: queries.cases_changed_on(engines, day)  # noqa: E731

        def raw_first():
            with engines.read.connect() as conn:
                conn.exec_driver_sql("SELECT * FROM case_summaries ORDER BY due_at, case_id LIMIT 51").all()

        figures = {
            "projected": projected, "catch_up_s": catch_up_s, "raw_read_s": raw_s, "raw_read": raw_read,
            "list_p99": _p99(first, requests), "list_filtered_p99": _p99(filtered, requests),
            "phases_p99": _p99(phases, requests), "changed_p99": _p99(changed, max(20, requests // 10)),
            "raw_list_p99": _p99(raw_first, requests), "day": str(day),
        }  # fmt: skip
        t0 = time.perf_counter()
        projector.rebuild("cases")
        figures["rebuild_s"] = time.perf_counter() - t0
        return figures
    finally:
        store.dispose()


def _sqlite_copy(events: int, progress) -> tuple[Path, Path]:
    source, _ = biglog.sqlite_log(events, progress)
    folder = Path(tempfile.mkdtemp(prefix="samskab-read-side-"))
    target = folder / "eventlog.db"
    shutil.copy(source, target)
    return folder, target


def run(kinds: list[str], small_cases: int, large_cases: int, requests: int, progress=None) -> list[Result]:
    results: list[Result] = []
    for kind in kinds:
        measured = {}
        for cases in (small_cases, large_cases):
            folder, path = _sqlite_copy(cases * EVENTS_PER_CASE, progress)
            try:
                if kind == "sqlite":
                    with sqlite_database(path) as db:
                        measured[cases] = _measure(db, cases, requests)
                else:
                    with biglog.postgres_log(path, progress) as db:
                        measured[cases] = _measure(db, cases, requests)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        small, large = measured[small_cases], measured[large_cases]
        rate = large["projected"] / large["catch_up_s"]
        raw_rate = large["raw_read"] / large["raw_read_s"]
        results.append(Result(f"9. projector catch-up, {kind}", round(rate), "events/s", round(raw_rate), "events/s raw read",
                              ratio=round(rate / raw_rate, 2), target=">= 10,000 events/s", met=rate >= 10_000,
                              notes=f"{large_cases:,} cases, {large['projected']:,} events"))  # fmt: skip
        scaled = large["rebuild_s"] * (1_500_000 / max(1, large["projected"]))
        results.append(Result(f"9. rebuild, {kind}", round(large["rebuild_s"], 1), "s", None, "",
                              target="1.5M events <= 300 s", met=scaled <= 300,
                              notes=f"{large['projected']:,} events; at this rate 1.5M take {scaled:.0f} s"))  # fmt: skip
        flat = large["list_p99"] / small["list_p99"]
        results.append(Result(f"9. GET /cases first page, {kind}", round(large["list_p99"], 2), "ms p99",
                              round(large["raw_list_p99"], 2), "ms raw table", ratio=round(flat, 2),
                              target="p99 <= 50 ms; large/small <= 1.5", met=large["list_p99"] <= 50 and flat <= 1.5,
                              notes=f"{small_cases:,} cases {small['list_p99']:.2f} ms, {large_cases:,} cases "
                                    f"{large['list_p99']:.2f} ms; filtered {large['list_filtered_p99']:.2f} ms; {CLIENTS} threads"))  # fmt: skip
        results.append(Result(f"9. /reports/phases, {kind}", round(large["phases_p99"], 2), "ms p99", None, "",
                              target="p99 <= 50 ms", met=large["phases_p99"] <= 50, notes=f"{large_cases:,} cases"))  # fmt: skip
        results.append(Result(f"9. KL changed cases of a day, {kind}", round(large["changed_p99"], 2), "ms p99", None, "",
                              target="<= 50 ms", met=large["changed_p99"] <= 50,
                              notes=f"{large_cases:,} cases, day {large['day']}"))  # fmt: skip
    return results


def today() -> date:
    return date.today()
