"""Statements compiled once and run straight on the driver's cursor.

The append path runs a handful of tiny statements per transaction; going
through SQLAlchemy's execution machinery for each costs more than the database
work itself. Compiling them once per dialect and handing the SQL text to the
DBAPI cursor keeps SQLAlchemy's SQL generation (and portability) without its
per-call overhead. Reads, which are not hot, still use SQLAlchemy normally.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from typing import cast as typed

from sqlalchemy import Table, any_, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, ColumnElement

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import SQLCompiler


class DriverStatement:
    """One statement compiled for one dialect, with its parameters in driver order."""

    __slots__ = ("_defaults", "_in_order", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        # DML only here, which SQLCompiler compiles (Compiled, the declared type, lacks the positional parts)
        compiled = typed("SQLCompiler", statement.compile(dialect=dialect))
        self.sql: str = compiled.string
        # qmark/numeric dialects (sqlite3) take a tuple in this order, picked
        # out of the mapping by an itemgetter (one C call); named ones
        # (psycopg's pyformat) take the mapping itself.
        self._in_order: Any = None
        if compiled.positional:
            names = tuple(compiled.positiontup or ())
            if len(names) > 1:
                self._in_order = itemgetter(*names)
            elif names:  # itemgetter of one name returns the bare value, not a 1-tuple
                (name,) = names
                self._in_order = lambda values: (values[name],)
            else:
                self._in_order = lambda values: ()
        # Values SQLAlchemy bound from literals in the statement (e.g. the head row id).
        self._defaults = {name: value for name, value in compiled.params.items() if value is not None}

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | Mapping[str, Any]:
        # The driver only reads the mapping, so ``values`` itself goes when
        # there are no defaults to add.
        merged = {**self._defaults, **values} if self._defaults else values
        if self._in_order is None:
            return merged
        return self._in_order(merged)

    def execute(self, cursor: Any, values: Mapping[str, Any] | None = None) -> Any:
        cursor.execute(self.sql, self.params(values or {}))
        return cursor

    def executemany(self, cursor: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        params = [self.params(row) for row in rows]
        if len(params) == 1:
            # psycopg runs executemany as a pipeline of its own: for one row that
            # costs extra round trips a plain execute does not.
            cursor.execute(self.sql, params[0])
        else:
            cursor.executemany(self.sql, params)


def one_of(column: ColumnElement[Any], name: str, dialect: Dialect) -> ColumnElement[bool]:
    """``column`` is one of the list given as the one parameter ``name`` (``as_list``): the
    statement is the same for a list of any length, so it compiles once (SQLAlchemy's
    expanding IN is rewritten for each call, which a ``DriverStatement`` cannot be).
    PostgreSQL compares with ``ANY`` of an array; SQLite walks a JSON array."""
    if dialect.name == "postgresql":
        return column == any_(cast(bindparam(name), ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name))))


def as_list(values: Iterable[Any], dialect: Dialect) -> Any:
    """The parameter of ``one_of``: a list for PostgreSQL's array, JSON text for SQLite."""
    return list(values) if dialect.name == "postgresql" else json.dumps(list(values))


def copy_sql(table: Table, columns: Sequence[str], dialect: Dialect) -> str:
    """PostgreSQL's ``COPY table (columns) FROM STDIN``, names quoted as the dialect quotes them."""
    quote = dialect.identifier_preparer
    return f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c) for c in columns)}) FROM STDIN"


def copy_rows(cursor: Any, sql: str, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """``rows`` sent through one ``COPY`` (``copy_sql``) on a psycopg cursor."""
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
