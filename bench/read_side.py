"""Measure 9: the read side at two sizes of the log.

For each size (cases of the demo citizens' real events, ~17 per case) and each
database:

- the projector's catch-up from position 0, against reading the same events
  raw in pages (the baseline), and a full rebuild;
- the reads the API and the pages make, one at a time in this process (p99):
  the work list's first page, a filtered page, the phase report, a page of a
  day's changed cases for KL, and one case's access log among many reads; each
  beside the same query on the raw table (no generation, no filters);
- on both databases, through real API processes (``samskab serve``) with 20 wrk
  connections, as measure 6 does: ``GET /cases`` first page and
  ``GET /reports/phases``, every request authenticated and its read logged.

The list's flatness is its p99 at the large size over the p99 at the small one.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import biglog
from bench.backends import sqlite_database
from bench.common import Result, percentile
from eventlog.access_log import READS_PER_PAGE as DEFAULT_ACCESS_PAGE

EVENTS_PER_CASE = 17
#: Reads in the access log for the per-case access-log measure: one in ten a list view of 50 cases.
LIST_SHARE, LIST_SIZE = 10, 50


def _p99(function, requests: int) -> float:
    samples = []
    for _ in range(requests):
        t0 = time.perf_counter()
        function()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentile(samples, 99)


def _fill_access_log(store, streams: list[str], rows: int) -> None:
    """``rows`` reads in the access log, written as the group commit writes them (batches of 5,000)."""
    from eventlog.access_log import AccessLog, _Pending

    log = AccessLog(store.engines)
    rng = random.Random(9)
    done = 0
    while done < rows:
        batch = []
        for i in range(min(5_000, rows - done)):
            if (done + i) % LIST_SHARE == 0:
                shown = tuple(rng.sample(streams, min(LIST_SIZE, len(streams))))
                from eventlog.access_log import SHOWN_PREFIX, shown_digest

                batch.append(_Pending("bench-cw", "caseworker", None, f"{SHOWN_PREFIX}list_cases:{shown_digest(shown)}",
                                      "arbejdsliste", shown))  # fmt: skip
            else:
                batch.append(_Pending("bench-cw", "caseworker", rng.choice(streams), "read_case", "sagsbehandling"))
        log._write(batch)
        if any(p.error for p in batch):
            raise next(p.error for p in batch if p.error)
        done += len(batch)


def _measure(db, requests: int, access_rows: int) -> dict:
    from domain.case.deadlines import PhaseDeadlines
    from domain.phases import Phase
    from eventlog.access_log import AccessLog
    from eventlog.keystore import KeyStore
    from projections import queries
    from projections.setup import build_projector

    store = db.store()
    try:
        keys = KeyStore(store.engines, os.urandom(32))
        projector = build_projector(store, keys, PhaseDeadlines(), batch_size=2000)
        timings = {}
        for name in projector.projections:
            t0, done = time.perf_counter(), 0
            while step := projector.step(name):
                done += step
            timings[name] = (done, time.perf_counter() - t0)
        projected = timings["cases"][0]
        catch_up_s = sum(seconds for _, seconds in timings.values())
        t0, raw_read, after = time.perf_counter(), 0, 0
        while page := store.read_all(after_position=after, limit=2000):
            raw_read += len(page)
            after = page[-1].position
        raw_s = time.perf_counter() - t0
        now = datetime.now(UTC)
        engines = store.engines
        day = store.read_all(limit=1)[0].occurred_at.date()
        streams = [s for s in store.stream_ids()]

        def raw_first():
            with engines.read.connect() as conn:
                conn.exec_driver_sql("SELECT * FROM case_summaries ORDER BY due_at, case_id LIMIT 51").all()

        figures: dict[str, Any] = {
            "projected": projected, "catch_up_s": catch_up_s, "raw_read_s": raw_s, "raw_read": raw_read,
            "list_p99": _p99(lambda: queries.list_cases(engines, queries.CaseFilter(), now=now), requests),
            "list_filtered_p99": _p99(lambda: queries.list_cases(
                engines, queries.CaseFilter(phase=Phase.CLOSED, overdue=False), now=now), requests),
            "phases_p99": _p99(lambda: queries.phase_counts(engines, now=now), requests),
            "changed_p99": _p99(lambda: queries.cases_changed_page(engines, day, limit=200), requests),
            "raw_list_p99": _p99(raw_first, requests), "day": str(day),
        }  # fmt: skip
        _fill_access_log(store, streams, access_rows)
        log = AccessLog(store.engines)
        rng = random.Random(4)
        if db.kind != "sqlite":  # what autovacuum does for an append-only table: the visibility map, fresh statistics
            with engines.write.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        # The page the API serves (GET /cases/{id}/access-log: the newest reads, 100 by default).
        figures["access_p99"] = _p99(lambda: log.for_case(rng.choice(streams), limit=DEFAULT_ACCESS_PAGE),
                                     max(100, requests // 5))  # fmt: skip
        figures["access_rows"] = access_rows

        def raw_access():
            with engines.read.connect() as conn:
                conn.exec_driver_sql("SELECT * FROM access_log WHERE stream_id = ?" if db.kind == "sqlite"
                                     else "SELECT * FROM access_log WHERE stream_id = %s", (rng.choice(streams),)).all()  # fmt: skip

        figures["raw_access_p99"] = _p99(raw_access, max(100, requests // 5))
        t0 = time.perf_counter()
        projector.rebuild("cases")
        figures["rebuild_s"] = time.perf_counter() - t0
        figures["streams"] = streams
        return figures
    finally:
        store.dispose()


def _http(path: Path, streams: list[str], requests: int, size: int, route: str, progress,
          database_url: str | None = None) -> Result:  # fmt: skip
    from bench import http_timeline

    return http_timeline.run(path, streams, requests, size, progress, route, database_url=database_url)


def _settle(db) -> None:
    """PostgreSQL as a server in steady state finds it, before the HTTP measures: the rebuild
    just wrote a whole generation and deleted the last, so the dead rows are vacuumed, the
    statistics fresh and the dirty pages written now (as autovacuum and the checkpointer
    would in time), not while the requests are measured."""
    store = db.store()
    try:
        with store.engines.write.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
    finally:
        store.dispose()


def _schema_url(db) -> str:
    """The URL a server process opens the bench's PostgreSQL schema with (its search path in the URL)."""
    return f"{db.url}?options=-csearch_path%3D{db.schema}"


def run(kinds: list[str], small_cases: int, large_cases: int, requests: int, access_rows: int,
        http_requests: int, progress=None) -> list[Result]:  # fmt: skip
    results: list[Result] = []
    http_by_kind: dict[str, dict[int, dict[str, Result]]] = {}
    for kind in kinds:
        measured = {}
        http = http_by_kind.setdefault(kind, {})
        for cases in (small_cases, large_cases):
            source, _ = biglog.sqlite_log(cases * EVENTS_PER_CASE, progress)
            folder = Path(tempfile.mkdtemp(prefix="samskab-read-side-"))
            path = folder / "eventlog.db"
            shutil.copy(source, path)
            try:
                if kind == "sqlite":
                    with sqlite_database(path) as db:
                        measured[cases] = _measure(db, requests, access_rows if cases == large_cases else 0)
                    http[cases] = {
                        route: _http(path, measured[cases]["streams"], http_requests, cases * EVENTS_PER_CASE,
                                     f"{route}?purpose=bench", progress)
                        for route in ("/cases", "/reports/phases")
                    }  # fmt: skip
                else:
                    with biglog.postgres_log(path, progress) as db:
                        measured[cases] = _measure(db, requests, access_rows if cases == large_cases else 0)
                        _settle(db)
                        http[cases] = {
                            route: _http(path, measured[cases]["streams"], http_requests, cases * EVENTS_PER_CASE,
                                         f"{route}?purpose=bench", progress, database_url=_schema_url(db))
                            for route in ("/cases", "/reports/phases")
                        }  # fmt: skip
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        small, large = measured[small_cases], measured[large_cases]
        rate = large["projected"] / large["catch_up_s"]
        raw_rate = large["raw_read"] / large["raw_read_s"]
        results.append(Result(f"9. projector catch-up, {kind}", round(rate), "events/s", round(raw_rate), "events/s raw read",
                              ratio=round(rate / raw_rate, 2), target=">= 10,000 events/s", met=rate >= 10_000,
                              notes=f"{large_cases:,} cases, {large['projected']:,} events, both projections"))  # fmt: skip
        scaled = large["rebuild_s"] * (1_500_000 / max(1, large["projected"]))
        results.append(Result(f"9. rebuild, {kind}", round(large["rebuild_s"], 1), "s", None, "",
                              target="1.5M events <= 300 s", met=scaled <= 300,
                              notes=f"{large['projected']:,} events; at this rate 1.5M take {scaled:.0f} s"))  # fmt: skip
        flat = large["list_p99"] / small["list_p99"]
        results.append(Result(f"9. case list first page (in-process), {kind}", round(large["list_p99"], 2), "ms p99",
                              round(large["raw_list_p99"], 2), "ms raw table", ratio=round(flat, 2),
                              target="p99 <= 50 ms; large/small <= 1.5", met=large["list_p99"] <= 50 and flat <= 1.5,
                              notes=f"{small_cases:,} cases {small['list_p99']:.2f} ms, {large_cases:,} cases "
                                    f"{large['list_p99']:.2f} ms; filtered {large['list_filtered_p99']:.2f} ms"))  # fmt: skip
        results.append(Result(f"9. phase report (in-process), {kind}", round(large["phases_p99"], 2), "ms p99", None, "",
                              target="p99 <= 50 ms", met=large["phases_p99"] <= 50, notes=f"{large_cases:,} cases"))  # fmt: skip
        results.append(Result(f"9. KL changed cases of a day, {kind}", round(large["changed_p99"], 2), "ms p99", None, "",
                              target="<= 50 ms", met=large["changed_p99"] <= 50,
                              notes=f"a page of 200 of the day's changed cases; {large_cases:,} cases changed on {large['day']}"))  # fmt: skip
        results.append(Result(f"9. one case's access log, {kind}", round(large["access_p99"], 2), "ms p99",
                              round(large["raw_access_p99"], 2), "ms raw rows of the case",
                              ratio=round(large["raw_access_p99"] / max(large["access_p99"], 1e-9), 2),
                              target="p99 <= 20 ms", met=large["access_p99"] <= 20,
                              notes=f"the newest {DEFAULT_ACCESS_PAGE} of the case's reads among {large['access_rows']:,}, "
                                    f"one in {LIST_SHARE} a list view of {LIST_SIZE} cases"))  # fmt: skip
    for (kind, http), route in itertools.product(http_by_kind.items(), ("/cases", "/reports/phases")):
        if small_cases in http and large_cases in http:
            s, big = http[small_cases][route], http[large_cases][route]
            if s.figure and big.figure:
                flat = big.figure / s.figure
                target_ms = 50
                results.append(Result(f"9. HTTP GET {route}, {kind}", round(big.figure, 1), big.unit, round(s.figure, 1),
                                      f"ms p99 at {small_cases:,} cases", ratio=round(flat, 2),
                                      target=f"p99 <= {target_ms} ms; large/small <= 1.5",
                                      met=big.figure <= target_ms and flat <= 1.5 and big.met is not False,
                                      notes=f"{large_cases:,} cases; {big.notes}"))  # fmt: skip
            else:
                results.append(big)
    return results
