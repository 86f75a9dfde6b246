"""``python -m bench``: measure the targets of issue 9 and report them.

    python -m bench                 # the full run (a log of 1,000,000 events)
    python -m bench --quick         # a smaller run (100,000 events, fewer cases)
    python -m bench --only read,verify --out bench/results.json

Each measure has its baseline measured in the same run; only the ratios are
comparable between machines or runs. Missed targets do not fail the command:
it exits non-zero only when a measure could not run at all.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

MEASURES = ("lifecycle", "append", "read", "verify", "http", "memory", "proofs", "readside", "pages", "bursts")


@dataclass(frozen=True)
class Sizes:
    log_events: int
    reads: int
    lifecycle_cases: int
    lifecycle_concurrency: int
    single_appends: int
    batch_events: int
    http_requests: int
    memory_cases: int
    proof_leaves: int
    proofs_log_events: int
    readside_small: int = 1_000
    readside_large: int = 100_000
    readside_requests: int = 2_000
    readside_access_rows: int = 1_000_000
    readside_http: int = 4_000
    #: Requests per page in measure 10 (the pages, at the read side's two sizes).
    pages_requests: int = 300
    #: Measure 11: cases waiting for a person, how many of them the worker caches, timers due together.
    burst_cases: int = 2_000
    burst_cached: int = 500
    burst_timers: int = 500


FULL = Sizes(1_000_000, 5_000, 150, 20, 5_000, 100_000, 4_000, 2_000, 10_000_000, 1_500_000)
QUICK = Sizes(
    100_000,
    2_000,
    30,
    20,
    1_500,
    20_000,
    1_000,
    300,
    1_000_000,
    100_000,
    1_000,
    10_000,
    1_000,
    100_000,
    1_000,
    100,
    400,
    100,
    150,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about 3 minutes)")
    parser.add_argument("--only", default="", help=f"comma-separated measures to run, of: {', '.join(MEASURES)}")
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"), help="where to write the JSON")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--timeline-path", default=None, help="the API's timeline path, with {case_id}")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(MEASURES)
    unknown = sorted(set(chosen) - set(MEASURES))
    if unknown:
        parser.error(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    args.measures = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from app.logging import configure_logging
    from bench import append, biglog, http_timeline, lifecycle, proofs, read, report, verify, worker_memory
    from bench.backends import sqlite_database
    from bench.common import Result, postgres_available, settle

    args = parse_args(argv)
    # A terminated run still stops its servers and drops its schemas (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    sizes = QUICK if args.quick else FULL
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: wide enough for the table
        console = Console(width=180)
    configure_logging("console", "WARNING")
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    kinds = ["sqlite"] + ([] if args.no_postgres else ["postgresql"])
    pg_problem = None if args.no_postgres else postgres_available()
    results: list[Result] = []
    crashed = False
    started = time.perf_counter()

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False,
    )  # fmt: skip

    def attempt(name: str, measure: Callable[[], list[Result] | Result]) -> None:
        nonlocal crashed
        t0 = time.perf_counter()
        try:
            produced = measure()
        except Exception as error:  # noqa: BLE001 - one broken measure must not hide the others
            crashed = True
            console.print(f"[red]{name} failed:[/red] {error}")
            console.print(traceback.format_exc(), style="dim")
            produced = Result(
                name=name, figure=None, unit="", met=None, notes=f"error: {type(error).__name__}: {error}"
            )
        for result in produced if isinstance(produced, list) else [produced]:
            result.extra.setdefault("seconds", round(time.perf_counter() - t0, 1))
            results.append(result)

    with progress:
        if "lifecycle" in args.measures:
            attempt(
                "1. case lifecycle", lambda: lifecycle.run(sizes.lifecycle_cases, sizes.lifecycle_concurrency, progress)
            )
        if "append" in args.measures:
            for kind in kinds:
                attempt(
                    f"2./3. append, {kind}",
                    partial(append.run, kind, sizes.single_appends, sizes.batch_events, progress),
                )
                settle(kind == "postgresql" and not pg_problem)
        needs_log = {"read", "verify", "http"} & set(args.measures)
        if needs_log:
            log_path, streams = biglog.sqlite_log(sizes.log_events, progress)
            with sqlite_database(log_path) as db:
                if "read" in args.measures:
                    attempt("4. read, sqlite", lambda: read.run(db, streams, sizes.reads, sizes.log_events, progress))
                if "verify" in args.measures:
                    attempt("5. verify, sqlite", lambda: verify.run(db, sizes.log_events))
            if "postgresql" in kinds and ({"read", "verify"} & set(args.measures)):
                if pg_problem:
                    from bench.common import unavailable

                    results.append(unavailable("4./5. read and verify, postgresql", pg_problem))
                else:
                    with biglog.postgres_log(log_path, progress) as db:
                        settle(True)  # the copy of the large log was just inserted
                        if "read" in args.measures:
                            attempt(
                                "4. read, postgresql",
                                lambda: read.run(db, streams, sizes.reads, sizes.log_events, progress),
                            )
                        if "verify" in args.measures:
                            attempt("5. verify, postgresql", lambda: verify.run(db, sizes.log_events))
            if "http" in args.measures:
                settle(False)
                path = args.timeline_path or http_timeline.TIMELINE_PATH
                attempt(
                    "6. HTTP timeline",
                    lambda: http_timeline.run(log_path, streams, sizes.http_requests, sizes.log_events, progress, path),
                )
        if "memory" in args.measures:
            attempt("7. worker memory", lambda: worker_memory.run(sizes.memory_cases, progress))
        if "proofs" in args.measures:
            for kind in kinds:
                attempt(f"8a. append with Merkle update, {kind}",
                        partial(proofs.run_append, kind, sizes.single_appends, progress))  # fmt: skip
                settle(kind == "postgresql" and not pg_problem)
            attempt("8b. inclusion proof", lambda: proofs.run_inclusion(sizes.proof_leaves, 200, progress))
            proofs_log, _ = biglog.sqlite_log(sizes.proofs_log_events, progress)
            attempt(
                "8c./8d. export and verify --since",
                lambda: proofs.run_log_measures(proofs_log, sizes.proofs_log_events, progress),
            )
        if "readside" in args.measures:
            from bench import read_side

            read_kinds = [k for k in kinds if k == "sqlite" or not pg_problem]
            attempt("9. read side", lambda: read_side.run(read_kinds, sizes.readside_small, sizes.readside_large,
                                                          sizes.readside_requests, sizes.readside_access_rows,
                                                          sizes.readside_http, progress))  # fmt: skip
        if "pages" in args.measures:
            from bench import pages

            attempt(
                "10. pages",
                lambda: pages.run(
                    [sizes.readside_small, sizes.readside_large],
                    sizes.pages_requests,
                    progress,
                    sizes.readside_http,
                    tuple(k for k in kinds if k == "sqlite" or not pg_problem),
                ),
            )
        if "bursts" in args.measures:
            from bench import bursts

            attempt(
                "11. bursts", lambda: bursts.run(sizes.burst_cases, sizes.burst_cached, sizes.burst_timers, progress)
            )

    seconds = time.perf_counter() - started
    title = f"samskab benchmarks ({'quick' if args.quick else 'full'} run, {seconds:.0f}s)"
    order = {
        name: i
        for i, name in enumerate(["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8a", "8b", "8c", "8d", "9.", "10", "11"])
    }
    results.sort(key=lambda r: order.get(r.name[:2], 99))
    report.print_report(console, results, title)
    report.write_json(args.out, results, {"mode": "quick" if args.quick else "full", "seconds": round(seconds, 1),
                                          "sizes": sizes.__dict__, "measures": args.measures})  # fmt: skip
    console.print(f"JSON written to {args.out}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
