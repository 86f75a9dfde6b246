"""Database engines for the event log, with the settings durability needs.

SQLite gets two engines on the same file: a write engine whose transactions
start with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
appenders never both read the head and then fail to upgrade their lock), and a
read engine with a plain ``BEGIN`` (a consistent WAL snapshot that never blocks
writers). PostgreSQL uses one engine for both; the head row lock serialises
appenders there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

#: How long an SQLite writer waits for the lock before giving up, in seconds.
SQLITE_BUSY_TIMEOUT_S = 30


@dataclass(frozen=True)
class Engines:
    """The engines a store uses, and how to open a snapshot read on them."""

    write: Engine
    read: Engine
    #: Execution options that make one read transaction a consistent snapshot.
    snapshot_options: Mapping[str, Any]
    #: Statement that opens a write transaction on a raw driver connection, if
    #: the driver does not open one by itself (psycopg does; our sqlite3 setup does not).
    begin_write: str | None = None

    def dispose(self) -> None:
        self.write.dispose()
        if self.read is not self.write:
            self.read.dispose()


def make_engines(url: str | URL, connect_args: Mapping[str, Any] | None = None) -> Engines:
    """Build the engines for a SQLAlchemy URL (file SQLite or PostgreSQL)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engines(parsed, dict(connect_args or {}))
    if backend == "postgresql":
        return _postgresql_engines(parsed, dict(connect_args or {}))
    raise ValueError(
        f"unsupported database {backend!r} for the event log; use sqlite:///path/to/file.db "
        "or postgresql+psycopg://user@host/db"
    )


def _postgresql_engines(url: URL, connect_args: dict[str, Any]) -> Engines:
    # No pre-ping (a round trip on every checkout): the append path invalidates
    # a connection that fails, and reads go through SQLAlchemy, which does too.
    engine = create_engine(url, connect_args=connect_args, pool_recycle=1800)
    return Engines(engine, engine, {"isolation_level": "REPEATABLE READ"})


def _sqlite_engines(url: URL, connect_args: dict[str, Any]) -> Engines:
    database = _sqlite_file(url)
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    # Connections move between threads through the pool; each is used by one
    # thread at a time, which is what sqlite3 actually requires.
    args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S, **connect_args}
    write = create_engine(url, connect_args=args)
    read = create_engine(url, connect_args=args)
    _manage_sqlite_transactions(write, "BEGIN IMMEDIATE")
    _manage_sqlite_transactions(read, "BEGIN")
    return Engines(write, read, {}, begin_write="BEGIN IMMEDIATE")


def _sqlite_file(url: URL) -> str:
    """Return the database file, refusing in-memory databases.

    Every pooled connection to ``:memory:`` is its own empty database, so a
    threaded caller would silently lose events.
    """
    database = url.database or ""
    in_memory = (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )
    if in_memory:
        raise ValueError(
            "the event log needs a file-based SQLite database (sqlite:///path/to/events.db); "
            "in-memory SQLite gives every connection its own empty database"
        )
    return database


def _manage_sqlite_transactions(engine: Engine, begin_statement: str) -> None:
    """Take transaction control away from the sqlite3 module and do it ourselves.

    The driver's own implicit transactions begin late (at the first write) and
    ignore BEGIN IMMEDIATE; this is SQLAlchemy's documented pysqlite recipe.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Straight to the driver: this runs on every transaction, so it is kept cheap.
        connection.connection.driver_connection.execute(begin_statement)
