"""Opening an event log that must already exist, for reading only (verification).

A verifier must not change what it checks: it never creates the database, a
table, a row or a trigger. So a missing file, or a database without the log's
tables, is an error that names it, and every connection is read-only
(SQLite ``PRAGMA query_only``, PostgreSQL ``default_transaction_read_only``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, make_url

from eventlog.errors import EventLogError
from eventlog.schema import GUARD_TRIGGERS, metadata
from eventlog.store import EventStore

REQUIRED_TABLES = frozenset(metadata.tables)


class NoEventLog(EventLogError):
    """There is no event log where one was expected (a wrong path, an empty database)."""


def open_existing(url: str | URL) -> EventStore:
    """An EventStore on an existing log, whose connections cannot write."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or not Path(database).is_file():
            raise NoEventLog(f"there is no event log database at {database or shown!r}: the file does not exist "
                             "(check the path, or SAMSKAB_DATABASE_URL); nothing was created")  # fmt: skip
        probe = sqlite3.connect(f"file:{quote(str(Path(database).resolve()))}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            raise NoEventLog(f"{database} is not an SQLite database: {err}") from None
        finally:
            probe.close()
        _require(tables, database)
        store = EventStore.from_url(parsed)
        for engine in (store.engines.read, store.engines.write):
            event.listen(engine, "connect", _sqlite_query_only)
        return store
    store = EventStore.from_url(parsed, connect_args={"options": "-c default_transaction_read_only=on"})
    try:
        with store.engines.read.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        _require(tables, shown)
    except BaseException:
        store.dispose()
        raise
    return store


def _require(tables: set[str], where: str) -> None:
    missing = sorted(REQUIRED_TABLES - tables)
    if missing:
        raise NoEventLog(
            f"the database at {where} is not a (current) samskab event log: it has no table "
            f"{', '.join(missing)}; nothing was created"
        )


def _sqlite_query_only(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA query_only = ON")


def missing_guards(store: EventStore) -> list[str]:
    """The append-only triggers that are not in place (dropped, as an owner could)."""
    engine = store.engines.read
    dialect = engine.dialect.name
    if dialect == "sqlite":
        expected = [statement.split()[-1] for statement in GUARD_TRIGGERS["sqlite"]]
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        expected = [statement.split()[4] for statement in GUARD_TRIGGERS["postgresql"]]
        query = (
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        )
    with engine.connect() as conn:
        present = {row[0] for row in conn.execute(text(query))}
    return [name for name in expected if name not in present]
