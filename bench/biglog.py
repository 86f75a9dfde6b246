"""A large, realistic event log to read and verify: many cases of 14-15 events
each (the demo citizens' real events), appended through the store in one
append per case.

The SQLite file is cached under the data folder keyed by size, so a second run
reuses it. PostgreSQL gets the very same rows copied into a schema of its own
(the chain is database-independent), dropped afterwards.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.backends import COLUMN_LIST, COLUMNS, Database, postgres_database
from bench.common import CACHE_DIR, event_templates, fresh_case

#: Bump when the content of a built log changes, so old caches are not reused.
#: 3: the event log's Merkle tree in its rows and head (schema revision 0002).
LAYOUT = 3


def stream_id(index: int) -> str:
    return f"bench-log-{index:07d}"


def sqlite_log(size: int, progress=None) -> tuple[Path, list[str]]:
    """The cached SQLite log of ``size`` events (built if missing) and its stream ids."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"eventlog-{size}-v{LAYOUT}.db"
    if not path.exists():
        _build(path, size, progress)
    conn = sqlite3.connect(path)
    try:
        streams = [row[0] for row in conn.execute("SELECT stream_id FROM events WHERE stream_version = 1")]
    finally:
        conn.close()
    return path, streams


def _build(path: Path, size: int, progress) -> None:
    from eventlog import EventStore

    partial = path.with_suffix(".building")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    store = EventStore.from_url(f"sqlite:///{partial}")
    store.create_schema()
    templates = event_templates()
    task = progress.add_task(f"building a log of {size:,} events (cached)", total=size) if progress else None
    done = 0
    index = 0
    try:
        while done < size:
            case = fresh_case(templates[index % len(templates)])[: size - done]
            store.append(stream_id(index), 0, case)
            done += len(case)
            index += 1
            if progress and index % 200 == 0:
                progress.update(task, completed=done)
    finally:
        store.dispose()
    conn = sqlite3.connect(partial)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    os.replace(partial, path)
    if progress:
        progress.update(task, completed=size)


@contextmanager
def postgres_log(sqlite_path: Path, progress=None) -> Iterator[Database]:
    """The SQLite log's rows copied into a fresh PostgreSQL schema (dropped on exit)."""
    with postgres_database("bench_log") as db:
        db.store().dispose()  # tables, indexes, head row
        source = sqlite3.connect(sqlite_path)
        target = db.raw()
        try:
            (total,) = source.execute("SELECT count(*) FROM events").fetchone()
            task = progress.add_task(f"copying {total:,} events to PostgreSQL", total=total) if progress else None
            # The rows with their Merkle subtree roots, and the head with the frontier: the tree comes along.
            cursor = source.execute(f"SELECT {COLUMN_LIST}, merkle_nodes FROM events ORDER BY position")
            with target.cursor().copy(f"COPY events ({COLUMN_LIST}, merkle_nodes) FROM STDIN") as copy:
                copied = 0
                while rows := cursor.fetchmany(20_000):
                    for row in rows:
                        copy.write_row(row)
                    copied += len(rows)
                    if progress:
                        progress.update(task, completed=copied)
            head = source.execute("SELECT position, hash, frontier FROM log_head").fetchone()
            target.execute("UPDATE log_head SET position = %s, hash = %s, frontier = %s", head)
            target.commit()
            target.execute("ANALYZE events")
            target.commit()
        finally:
            source.close()
            target.close()
        yield db


assert len(COLUMNS) == 15
