"""The two databases the event log runs on, opened the same way for the store
and for the raw-driver baselines."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import POSTGRES_URL, postgres_available, postgres_schema, psycopg_connect

COLUMNS = (
    "position", "stream_id", "stream_version", "event_id", "event_type", "schema_version",
    "occurred_at", "recorded_at", "actor_id", "actor_role", "legal_basis", "payload",
    "payload_hash", "prev_hash", "hash",
)  # fmt: skip
COLUMN_LIST = ", ".join(COLUMNS)


@dataclass
class Database:
    """One event-log database: how the store opens it and how a raw driver does."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    connect_args: dict[str, Any]
    sqlite_path: Path | None = None
    schema: str | None = None

    def store(self):
        from eventlog import EventStore

        store = EventStore.from_url(self.url, connect_args=self.connect_args)
        store.create_schema()
        return store

    def raw(self):
        """A raw driver connection set up like the store's (same durability)."""
        if self.kind == "sqlite":
            assert self.sqlite_path is not None  # an SQLite database is made with its path
            conn = sqlite3.connect(self.sqlite_path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        assert self.schema is not None  # a PostgreSQL database is made with its schema
        return psycopg_connect(self.schema)

    @property
    def placeholder(self) -> str:
        return "?" if self.kind == "sqlite" else "%s"

    def insert_sql(self) -> str:
        marks = ", ".join([self.placeholder] * len(COLUMNS))
        return f"INSERT INTO events ({COLUMN_LIST}) VALUES ({marks})"

    def begin(self, conn) -> None:
        if self.kind == "sqlite":
            conn.execute("BEGIN")

    def commit(self, conn) -> None:
        if self.kind == "sqlite":
            conn.execute("COMMIT")
        else:
            conn.commit()

    def rows_between(self, conn, first: int, last: int) -> list[tuple]:
        p = self.placeholder
        cur = conn.execute(
            f"SELECT {COLUMN_LIST} FROM events WHERE position >= {p} AND position <= {p} ORDER BY position",
            (first, last),
        )
        rows = cur.fetchall()
        if self.kind == "sqlite":
            pass
        else:
            conn.commit()
        return rows


@contextmanager
def sqlite_database(path: Path) -> Iterator[Database]:
    yield Database("sqlite", f"sqlite:///{path}", {}, sqlite_path=path)


@contextmanager
def postgres_database(prefix: str = "bench") -> Iterator[Database]:
    with postgres_schema(prefix) as (schema, connect_args):
        yield Database("postgresql", POSTGRES_URL, connect_args, schema=schema)


def backends_available() -> dict[str, str | None]:
    return {"sqlite": None, "postgresql": postgres_available()}
