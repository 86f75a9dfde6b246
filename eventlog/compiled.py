"""Statements compiled once and run straight on the driver's cursor.

The append path runs a handful of tiny statements per transaction; going
through SQLAlchemy's execution machinery for each costs more than the database
work itself. Compiling them once per dialect and handing the SQL text to the
DBAPI cursor keeps SQLAlchemy's SQL generation (and portability) without its
per-call overhead. Reads, which are not hot, still use SQLAlchemy normally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

if TYPE_CHECKING:
    from sqlalchemy.sql.compiler import SQLCompiler


class DriverStatement:
    """One statement compiled for one dialect, with its parameters in driver order."""

    __slots__ = ("_defaults", "_in_order", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        # DML only here, which SQLCompiler compiles (Compiled, the declared type, lacks the positional parts)
        compiled = cast("SQLCompiler", statement.compile(dialect=dialect))
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
