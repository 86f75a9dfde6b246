"""Database engines for the event log, with the settings durability needs.

SQLite gets two engines on the same file: a write engine whose transactions
start with ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two
appenders never both read the head and then fail to upgrade their lock), and a
read engine with a plain ``BEGIN`` (a consistent WAL snapshot that never blocks
writers). PostgreSQL uses one engine for both; the head row lock serialises
appenders there.

``DriverConnections`` keeps driver connections outside the pool: for the
append path, opened through the write engine, and for lone reads (one
statement, no transaction: ``Engines.lone_statement``) through the read engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

#: How long an SQLite writer waits for the lock before giving up, in seconds.
SQLITE_BUSY_TIMEOUT_S = 30
#: How many connections for lone statements wait between uses (about one per read thread).
LONE_IDLE = 8
#: Age after which a PostgreSQL connection is replaced rather than reused, in
#: seconds (ahead of idle timeouts in firewalls and proxies).
POSTGRES_RECYCLE_S = 1800


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
    #: Age in seconds after which a connection is replaced rather than reused (None: never).
    recycle_s: float | None = None
    #: Whether a raw read connection must be put in autocommit for a lone statement:
    #: psycopg otherwise opens a transaction first (BEGIN, a round trip of its own)
    #: and the pool ends it (ROLLBACK, another). Our sqlite3 setup never opens one.
    lone_reads_autocommit: bool = False
    #: The read engine's connections kept aside for ``lone_statement``.
    lone_connections: DriverConnections = field(init=False, repr=False, compare=False)
    #: Made a context around each lone statement, given what it reads and the database's name
    #: (tracing's SQL span: these statements pass SQLAlchemy's events by). None: nothing.
    lone_observer: Callable[[str, str], AbstractContextManager[Any]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Kept outside the pool, so set up once: in autocommit where the driver would open a
        # transaction for a statement (our sqlite3 setup never does).
        setup = set_autocommit if self.lone_reads_autocommit else None
        connections = DriverConnections(self.read, setup, max_idle=LONE_IDLE, recycle_s=self.recycle_s)
        object.__setattr__(self, "lone_connections", connections)

    def observe_lone_statements(self, observer: Callable[[str, str], AbstractContextManager[Any]]) -> None:
        """Puts ``observer`` around every lone statement from now on (set once, at start)."""
        object.__setattr__(self, "lone_observer", observer)

    @contextmanager
    def lone_read(self) -> Iterator[Connection]:
        """A read connection for one statement, a consistent snapshot by itself: in autocommit
        where the driver would open a transaction for it (two round trips more)."""
        with self.read.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT") if self.lone_reads_autocommit else conn

    @contextmanager
    def lone_statement(self, what: str = "SELECT") -> Iterator[Any]:
        """A driver cursor for one statement, which is a consistent snapshot by itself: no
        transaction around it, so no round trips to open and end one, on a read connection
        kept aside for such statements (``lone_connections``), so no checkout from the pool
        and no checkin (with its reset) either. The hot reads of every request use it: a
        statement here costs a fifth of the same statement through SQLAlchemy's connection.
        A statement that fails closes its connection (its state is unknown). ``what`` names
        it for ``lone_observer``. The driver's errors are raised as SQLAlchemy's (a lost
        database is an ``OperationalError`` here as through the pool)."""
        dbapi_error = self.read.dialect.loaded_dbapi.Error
        try:
            held = self.lone_connections.take()
        except dbapi_error as error:
            raise as_sqlalchemy_error(self.read, error) from error
        try:
            if self.lone_observer is None:
                yield held.cursor
            else:
                with self.lone_observer(what, self.read.dialect.name):
                    yield held.cursor
        except dbapi_error as error:
            self.lone_connections.discard(held)
            raise as_sqlalchemy_error(self.read, error) from error
        except BaseException:
            self.lone_connections.discard(held)
            raise
        self.lone_connections.give_back(held)

    def dispose(self) -> None:
        self.lone_connections.close()
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
    engine = create_engine(url, connect_args=connect_args, pool_recycle=POSTGRES_RECYCLE_S)
    return Engines(
        engine, engine, {"isolation_level": "REPEATABLE READ"}, recycle_s=POSTGRES_RECYCLE_S, lone_reads_autocommit=True
    )


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
        database in ("", ":memory:") or database.startswith("file::memory:") or url.query.get("mode") == "memory"
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


class HeldConnection:
    """A driver connection of ``DriverConnections``, with the one cursor its user runs everything on."""

    __slots__ = ("born", "cursor", "driver", "generation")

    def __init__(self, driver: Any, born: float, generation: int) -> None:
        self.driver = driver
        # One cursor for the connection's life: making one per call is work
        # the hot path does not need (both drivers reset a cursor on execute).
        self.cursor = driver.cursor()
        self.born = born
        self.generation = generation


class DriverConnections:
    """Driver connections kept aside for one hot path (the append), outside the engine's pool.

    Why not the pool: checking a connection out of SQLAlchemy's pool and back
    (its queue and lock, the checkout and checkin events, the rollback it
    resets a returned connection with) costs about an eighth of a one-event
    append's client CPU. Here a caller takes a connection and gives it back
    with two list operations.

    Each connection is opened through the engine, so the connect-time settings
    (SQLite's pragmas, a PostgreSQL ``search_path``) and the dialect's own
    setup apply, and is then detached from the pool, which forgets it.
    ``setup`` prepares a new one further for its use (e.g. autocommit).

    Connections are not tied to threads: a thread takes one for one call and
    gives it back (last in, first out, so the warmest one is reused). So there
    are never more than the most calls that ran at once, at most ``max_idle``
    wait between calls, and a thread pool that replaces its threads leaks
    nothing. A connection that failed in an unknown way is ``discard``ed by
    its caller, not given back; one older than ``recycle_s`` is replaced.
    ``close`` (on the store's dispose) closes the idle ones; those in use are
    closed when they come back. The holder stays usable afterwards, as a
    disposed SQLAlchemy engine does, opening new connections as needed.
    """

    def __init__(
        self,
        engine: Engine,
        setup: Callable[[Any], None] | None = None,
        *,
        max_idle: int = 5,
        recycle_s: float | None = None,
    ) -> None:
        self._engine = engine
        self._setup = setup
        self._max_idle = max_idle
        self._recycle_s = recycle_s
        self._idle: list[HeldConnection] = []
        self._lock = threading.Lock()
        # Bumped by close(): a connection of an older generation is closed when it comes back.
        self._generation = 0

    def take(self) -> HeldConnection:
        """A connection for the caller's exclusive use until it gives it back or discards it."""
        while True:
            with self._lock:
                held = self._idle.pop() if self._idle else None
            if held is None:
                return self._open()
            if self._recycle_s is None or time.monotonic() - held.born < self._recycle_s:
                return held
            _close_quietly(held)

    def give_back(self, held: HeldConnection) -> None:
        """Return a connection, idle and outside any transaction, for the next caller."""
        with self._lock:
            if held.generation == self._generation and len(self._idle) < self._max_idle:
                self._idle.append(held)
                return
        _close_quietly(held)

    def discard(self, held: HeldConnection) -> None:
        """Close a connection whose state is unknown (lost, or a failed rollback) instead of reusing it."""
        _close_quietly(held)

    def close(self) -> None:
        """Close every idle connection; those in use are closed when they are given back."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for held in idle:
            _close_quietly(held)

    def _open(self) -> HeldConnection:
        generation = self._generation
        pooled = self._engine.raw_connection()
        try:
            driver = pooled.driver_connection  # read before detaching: the pool entry knows it
            pooled.detach()
            if self._setup is not None:
                self._setup(driver)
            return HeldConnection(driver, time.monotonic(), generation)
        except BaseException:
            pooled.close()  # once detached, this really closes it
            raise


def as_sqlalchemy_error(engine: Engine, error: Exception) -> Exception:
    """A driver's error as SQLAlchemy raises it through its pool (a lost database an
    ``OperationalError``), for code on the driver's own connections; any other error as it is."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    return DBAPIError.instance(None, None, error, dbapi_error) if isinstance(error, dbapi_error) else error


def set_autocommit(driver: Any) -> None:
    driver.autocommit = True


def _close_quietly(held: HeldConnection) -> None:
    """Close a connection that is of no further use; if closing fails, it is gone anyway."""
    try:
        held.driver.close()
    except Exception:  # noqa: BLE001 - e.g. the server already dropped it
        pass
