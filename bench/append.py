"""Measures 2 and 3: the event log's append against a raw driver insert of the same rows.

Store and raw driver take turns in blocks, so a noisy neighbour slows both
alike and the ratio holds. The raw side inserts exactly the rows the store
wrote (read back from the store's database), into a database with the same
tables, indexes and durability settings.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from bench.backends import Database, postgres_database, sqlite_database
from bench.common import Result, Stopwatch, event_templates, fresh_case, unavailable

SINGLE_TARGET_RATIO = 0.6
BATCH_TARGETS = {"sqlite": 20_000, "postgresql": 8_000}
BATCH_SIZE = 100


def _raw_database(db: Database, tmp: Path, stack) -> Database:
    if db.kind == "sqlite":
        raw = stack.enter_context(sqlite_database(tmp / "raw.db"))
    else:
        raw = stack.enter_context(postgres_database("bench_raw"))
    raw.store().dispose()  # same tables and indexes
    return raw


def run_single(db: Database, raw_db: Database, events: int, progress=None) -> Result:
    """One event per transaction through EventStore.append, all checks on."""
    templates = event_templates()
    store = db.store()
    reader = db.raw()
    writer = raw_db.raw()
    insert = raw_db.insert_sql()
    store_time, raw_time = Stopwatch(), Stopwatch()
    done = 0
    position = 0
    task = progress.add_task(f"single append ({db.kind})", total=events) if progress else None
    try:
        for index in itertools.count():
            if done >= events:
                break
            case = fresh_case(templates[index % len(templates)])[: events - done]
            stream = f"bench-single-{index:07d}"
            with store_time.running():
                for version, event in enumerate(case):
                    store.append(stream, version, [event])
            rows = db.rows_between(reader, position + 1, position + len(case))
            with raw_time.running():
                for row in rows:
                    raw_db.begin(writer)
                    writer.execute(insert, row)
                    raw_db.commit(writer)
            position += len(case)
            done += len(case)
            if progress:
                progress.update(task, completed=done)
    finally:
        store.dispose()
        reader.close()
        writer.close()
    figure = done / store_time.elapsed
    baseline = done / raw_time.elapsed
    ratio = figure / baseline
    return Result(
        name=f"2. single append, {db.kind}",
        figure=figure,
        unit="events/s",
        baseline=baseline,
        baseline_unit="events/s raw insert, 1 tx each",
        ratio=ratio,
        target=f">= {SINGLE_TARGET_RATIO}x raw",
        met=ratio >= SINGLE_TARGET_RATIO,
        notes=f"{done} events, one stream per case script, durable commits on both sides",
    )


def run_batch(db: Database, raw_db: Database, events: int, progress=None) -> Result:
    """100 events per transaction (one stream per append)."""
    templates = event_templates()
    flat = [event for template in templates for event in template]
    store = db.store()
    reader = db.raw()
    writer = raw_db.raw()
    insert = raw_db.insert_sql()
    store_time, raw_time = Stopwatch(), Stopwatch()
    done = 0
    position = 0
    task = progress.add_task(f"batch append ({db.kind})", total=events) if progress else None
    try:
        for index in itertools.count():
            if done >= events:
                break
            size = min(BATCH_SIZE, events - done)
            batch = fresh_case((flat * (size // len(flat) + 1))[:size])
            with store_time.running():
                store.append(f"bench-batch-{index:07d}", 0, batch)
            rows = db.rows_between(reader, position + 1, position + size)
            with raw_time.running():
                raw_db.begin(writer)
                writer.cursor().executemany(insert, rows)
                raw_db.commit(writer)
            position += size
            done += size
            if progress:
                progress.update(task, completed=done)
    finally:
        store.dispose()
        reader.close()
        writer.close()
    figure = done / store_time.elapsed
    baseline = done / raw_time.elapsed
    target = BATCH_TARGETS[db.kind]
    return Result(
        name=f"3. batch append x{BATCH_SIZE}, {db.kind}",
        figure=figure,
        unit="events/s",
        baseline=baseline,
        baseline_unit="events/s raw executemany",
        ratio=figure / baseline,
        target=f">= {target:,} events/s",
        met=figure >= target,
        notes=f"{done} events in transactions of {BATCH_SIZE}",
    )


def run(kind: str, single_events: int, batch_events: int, progress=None) -> list[Result]:
    from contextlib import ExitStack

    from bench.common import postgres_available

    if kind == "postgresql" and (why := postgres_available()):
        return [unavailable(f"2. single append, {kind}", why), unavailable(f"3. batch append x100, {kind}", why)]
    results = []
    for measure, count in ((run_single, single_events), (run_batch, batch_events)):
        with tempfile.TemporaryDirectory(prefix="bench-append-") as tmp, ExitStack() as stack:
            tmp_path = Path(tmp)
            if kind == "sqlite":
                db = stack.enter_context(sqlite_database(tmp_path / "store.db"))
            else:
                db = stack.enter_context(postgres_database("bench_store"))
            raw_db = _raw_database(db, tmp_path, stack)
            started = time.perf_counter()
            result = measure(db, raw_db, count, progress)
            result.extra["seconds"] = round(time.perf_counter() - started, 1)
            results.append(result)
    return results
