"""What a decoding kept in memory is checked against before it is used again: the versions of
the streams it was read from, and whether each key of its personal fields is erased, both read
from the database now.

Each is a query of its own (``EventStore.stream_versions``, ``KeyStore.erased_now``). A read of
a kept case needs both, so ``FreshnessCheck`` asks them as one statement: on PostgreSQL each
statement is a round trip, and a citizen's page checks its cases on every view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, Select, case, func, literal, or_, select, union_all
from sqlalchemy.engine import Dialect

from eventlog.compiled import DriverStatement, as_list, one_of
from eventlog.engines import Engines
from eventlog.schema import citizen_keys
from eventlog.schema import events as events_table

#: What a row of the combined statement is about (its first column).
_VERSION, _ERASED = 0, 1


def stream_versions_query(dialect: Dialect) -> Select[Any]:
    """Each stream of the list parameter ``stream_ids`` (``as_list``) with its current version;
    a stream with no events gives no row."""
    e = events_table.c
    return (
        select(e.stream_id, func.max(e.stream_version))
        .where(one_of(e.stream_id, "stream_ids", dialect))
        .group_by(e.stream_id)
    )


def erased_query(dialect: Dialect) -> Select[Any]:
    """Each key of the list parameter ``key_ids`` with whether it is erased (its erasure
    recorded, or its wrapped bytes gone); an unknown key gives no row."""
    k = citizen_keys.c
    return select(k.key_id, or_(k.erased_at.is_not(None), k.wrapped_key.is_(None))).where(
        one_of(k.key_id, "key_ids", dialect)
    )


class FreshnessCheck:
    """``stream_versions_query`` and ``erased_query`` as one statement, compiled once."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines
        dialect = engines.read.dialect
        versions = stream_versions_query(dialect).subquery()
        erased = erased_query(dialect).subquery()
        version_id, version = versions.c
        key_id, is_erased = erased.c
        self._statement = DriverStatement(
            union_all(
                select(literal(_VERSION, Integer), version_id, version),
                select(literal(_ERASED, Integer), key_id, case((is_erased, 1), else_=0)),
            ),
            dialect,
        )

    def now(self, stream_ids: Iterable[str], key_ids: Iterable[str]) -> tuple[dict[str, int], dict[str, bool]]:
        """Each stream's current version (streams with no events left out) and each key's
        erasure (unknown keys left out), as the database holds them now."""
        dialect = self._engines.read.dialect
        values = {"stream_ids": as_list(sorted(stream_ids), dialect), "key_ids": as_list(sorted(key_ids), dialect)}
        versions: dict[str, int] = {}
        erased: dict[str, bool] = {}
        with self._engines.lone_statement("SELECT events, citizen_keys") as cursor:
            for kind, name, value in self._statement.execute(cursor, values).fetchall():
                if kind == _VERSION:
                    versions[name] = value
                else:
                    erased[name] = bool(value)
        return versions, erased
