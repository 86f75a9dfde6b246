"""Fixtures that give each test a fresh, empty event log on SQLite or PostgreSQL.

PostgreSQL is shared by every test run on the machine, so each log lives in a
schema of its own with a unique name, dropped when the test ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from eventlog import EventStore
from eventlog.schema import GUARD_TRIGGERS, guard_statements

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class LogUnderTest:
    """A fresh store plus a raw back door to its tables, for tampering like an attacker would."""

    url: str
    connect_args: dict[str, Any]
    store: EventStore
    _raw_engine: sa.Engine | None = field(default=None, repr=False)
    _reopened: list[EventStore] = field(default_factory=list, repr=False)

    def sql(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run raw SQL in its own committed transaction, bypassing the store."""
        if self._raw_engine is None:
            self._raw_engine = sa.create_engine(self.url, connect_args=self.connect_args, poolclass=sa.NullPool)
        with self._raw_engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    def tamper(self, *statements: str | tuple[str, dict[str, Any]], **params: Any) -> None:
        """Change the tables as an attacker with the database owner's rights would:
        drop the append-only triggers, run ``statements`` (text, or (text, params)),
        put the triggers back."""
        if self._raw_engine is None:
            self._raw_engine = sa.create_engine(self.url, connect_args=self.connect_args, poolclass=sa.NullPool)
        dialect = self._raw_engine.dialect.name
        with self._raw_engine.begin() as conn:
            for drop in GUARD_TRIGGERS[dialect]:
                conn.exec_driver_sql(drop)
            for statement in statements:
                text, values = statement if isinstance(statement, tuple) else (statement, params)
                conn.execute(sa.text(text), values)
            cursor = conn.connection.cursor()
            for guard in guard_statements(dialect):
                cursor.execute(guard)
            cursor.close()

    def reopen(self) -> EventStore:
        """A second, independent store on the same database."""
        store = EventStore.from_url(self.url, connect_args=self.connect_args)
        self._reopened.append(store)
        return store

    def close(self) -> None:
        self.store.dispose()
        for store in self._reopened:
            store.dispose()
        if self._raw_engine is not None:
            self._raw_engine.dispose()


LogFactory = Callable[[], AbstractContextManager[LogUnderTest]]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server to test against; fails loudly if it cannot be reached.

    Set SAMSKAB_SKIP_POSTGRES=1 to skip the PostgreSQL tests instead.
    """
    url = os.environ.get("SAMSKAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as err:
        message = (
            f"PostgreSQL is not reachable at {engine.url.render_as_string(hide_password=True)}: "
            f"{err.orig}. Start it, point SAMSKAB_TEST_POSTGRES_URL at a running server, "
            "or set SAMSKAB_SKIP_POSTGRES=1 to skip the PostgreSQL tests."
        )
        if os.environ.get("SAMSKAB_SKIP_POSTGRES") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    finally:
        engine.dispose()
    return url


@contextmanager
def sqlite_log(folder: Path) -> Iterator[LogUnderTest]:
    url = f"sqlite:///{folder / uuid.uuid4().hex / 'events.db'}"
    log = LogUnderTest(url=url, connect_args={}, store=EventStore.from_url(url))
    try:
        log.store.create_schema()
        yield log
    finally:
        log.close()


@contextmanager
def postgres_log(url: str) -> Iterator[LogUnderTest]:
    schema = f"samskab_test_{uuid.uuid4().hex}"
    admin = sa.create_engine(url, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    connect_args = {"options": f"-csearch_path={schema}"}
    log = LogUnderTest(url=url, connect_args=connect_args, store=EventStore.from_url(url, connect_args=connect_args))
    try:
        log.store.create_schema()
        yield log
    finally:
        log.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def new_log(request: pytest.FixtureRequest, tmp_path: Path) -> LogFactory:
    """A factory of fresh logs for the test class's database (its ``backend`` attribute).

    Each call returns a context manager that makes an empty log and closes it
    (dropping its PostgreSQL schema) on exit, so a property test can start
    every example from an empty log without piling up connections.
    """
    backend = request.cls.backend
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
        return lambda: postgres_log(url)
    return lambda: sqlite_log(tmp_path)


@pytest.fixture
def log(new_log: LogFactory) -> Iterator[LogUnderTest]:
    """One fresh, empty log with its schema created."""
    with new_log() as fresh:
        yield fresh
