"""Writing a batch's read-model rows in few round trips."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

from eventlog.compiled import copy_rows, copy_sql


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts ``rows`` (dicts with the same keys) into ``table``, in the connection's transaction.

    On PostgreSQL they go in one ``COPY``: an ``executemany`` there sends one statement per
    row (psycopg pipelines them, but the server still plans and runs each one), which made
    the inserts a third of a catch-up's time. SQLite's ``executemany`` already runs its
    loop in the driver, in process."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None  # a connection in use has its driver's connection
    with driver.cursor() as cursor:
        copy_rows(cursor, copy_sql(table, columns, conn.dialect), columns, rows)
