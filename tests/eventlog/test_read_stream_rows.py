"""``EventStore.read_stream_rows``: the lean read of a stream that ``read_stream``
and the API use, the same events as the log-wide read through SQLAlchemy (a
``StoredEvent`` of each row is equal), on SQLite and PostgreSQL; one statement
outside any transaction, on a connection kept aside for such statements, the
pool's own connections left as they were. Streams' versions and keys' erasure,
asked on every read of a kept case (together, as one such statement), are such statements
too, for lists of any length."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from eventlog import NewEvent
from eventlog.store import stored_event_from_row

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def new_event(n: int, payload: dict) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="NeedReported",
        schema_version=1,
        occurred_at=T0 + timedelta(minutes=n, microseconds=n * 7),
        actor_id="caseworker-7",
        actor_role="caseworker",
        legal_basis="serviceloven § 81" if n % 2 else None,
        payload=payload,
    )


class ReadStreamRowsContract:
    backend: str

    def test_rows_are_the_streams_events_in_version_order(self, log):
        payloads: list[dict[str, Any]] = [
            {"n": 0, "text": 'Æblegrød "med" fløde\n'},
            {"n": 1, "nested": {"b": [1, 2.5], "a": None}},
            {"n": 2},
        ]
        log.store.append("case-1", 0, [new_event(0, payloads[0])])
        log.store.append("case-2", 0, [new_event(9, {"other": True})])
        log.store.append("case-1", 1, [new_event(1, payloads[1]), new_event(2, payloads[2])])

        rows = log.store.read_stream_rows("case-1")

        in_stream = [event for event in log.store.read_all() if event.stream_id == "case-1"]
        assert [stored_event_from_row(row) for row in rows] == log.store.read_stream("case-1") == in_stream
        assert [row[2] for row in rows] == [1, 2, 3]
        assert all(isinstance(row[6], str) and isinstance(row[11], str) for row in rows)  # stored text

    def test_an_event_is_known_plain_only_when_its_stored_text_has_no_envelope_key(self, log):
        envelope = {"$enc": "A256GCM", "kid": "k", "iv": "aXY=", "ct": "Y3Q="}
        log.store.append("case-1", 0, [new_event(0, {"n": 0, "note": 'a "$enc" in a text is escaped'}),
                                       new_event(1, {"n": 1, "name": envelope}),
                                       new_event(2, {"n": 2, "list": [{"deep": envelope}]})])  # fmt: skip
        plain, top, deep = log.store.read_stream("case-1")
        assert plain.may_be_encrypted is False
        assert top.may_be_encrypted is True and deep.may_be_encrypted is True

    def test_a_stream_without_events_has_no_rows(self, log):
        assert log.store.read_stream_rows("no-such-case") == []

    def test_rows_after_a_version(self, log):
        log.store.append("case-1", 0, [new_event(n, {"n": n}) for n in range(4)])

        assert [row[2] for row in log.store.read_stream_rows("case-1", after_version=2)] == [3, 4]
        assert [e.stream_version for e in log.store.read_stream("case-1", after_version=4)] == []

    def test_a_lone_read_opens_no_transaction_and_gives_the_connection_back_as_it_came(self, log):
        engines = log.store.engines
        log.store.append("case-1", 0, [new_event(0, {"n": 0})])

        with engines.lone_statement() as cursor:
            cursor.execute("SELECT count(*) FROM events")
            assert cursor.fetchone()[0] == 1
            assert not _in_transaction(cursor.connection)  # no BEGIN went out before the statement

        with engines.read.connect() as conn:  # the same pooled connection, as SQLAlchemy expects it
            if self.backend == "postgresql":
                assert conn.connection.driver_connection.autocommit is False
        log.store.append("case-1", 1, [new_event(1, {"n": 1})])  # pooled transactions still work
        assert len(log.store.read_stream("case-1")) == 2

    def test_a_lone_statement_that_fails_closes_its_connection_and_the_next_one_answers(self, log):
        engines = log.store.engines
        log.store.append("case-1", 0, [new_event(0, {"n": 0})])
        with engines.lone_statement() as cursor:
            first = cursor.connection
        with pytest.raises(Exception, match=r"no such table|does not exist"), engines.lone_statement() as cursor:
            assert cursor.connection is first  # kept aside, and taken again
            cursor.execute("SELECT * FROM no_such_table")
        with engines.lone_statement() as cursor:
            assert cursor.connection is not first  # the failed one is not reused
        assert log.store.stream_version("case-1") == 1
        engines.dispose()  # closes the connections kept aside; a later statement opens one
        assert log.store.stream_version("case-1") == 1

    def test_a_kept_connection_sees_every_commit_made_since_its_last_statement(self, log):
        """A connection kept aside holds no snapshot between its statements (SQLite's WAL keeps one
        for as long as a statement is not stepped to its end): each read sees the latest commit."""
        engines = log.store.engines
        for version in range(3):
            with engines.lone_statement() as cursor:
                kept = cursor.connection
            assert log.store.stream_version("case-1") == version
            assert [row[2] for row in log.store.read_stream_rows("case-1")] == list(range(1, version + 1))
            log.store.append("case-1", version, [new_event(version, {"n": version})])
            with engines.lone_statement() as cursor:
                assert cursor.connection is kept  # the same connection throughout
        assert log.store.stream_versions(["case-1"]) == {"case-1": 3}

    def test_streams_versions_and_keys_erasure_for_lists_of_any_length(self, log):
        from eventlog.keystore import KeyStore

        for n in range(3):
            log.store.append(f"case-{n}", 0, [new_event(i, {"i": i}) for i in range(n + 1)])
        store = log.store
        assert store.stream_versions([]) == {}
        assert store.stream_versions(["case-2"]) == {"case-2": 3}
        assert store.stream_versions(["case-0", "case-1", "case-2", "no-case", "case-1"]) == {
            "case-0": 1, "case-1": 2, "case-2": 3
        }  # fmt: skip
        assert [store.stream_version(s) for s in ("case-0", "case-2", "no-case")] == [1, 3, 0]
        keys = KeyStore(store.engines, os.urandom(32))
        (live_id, _), (erased_id, _) = keys.key_for_stream("case-0"), keys.key_for_stream("case-1")
        keys.destroy(erased_id, "GDPR art. 17(1)(a)")
        assert keys.erased_now([]) == {}
        assert keys.erased_now([live_id, erased_id, "no-key"]) == {live_id: False, erased_id: True}

        # both at once, as a read of a kept case asks them: one statement, the same answers
        from eventlog.freshness import FreshnessCheck

        check = FreshnessCheck(store.engines)
        assert check.now([], []) == ({}, {})
        assert check.now(["case-0", "case-2", "no-case"], [live_id, erased_id, "no-key"]) == (
            {"case-0": 1, "case-2": 3}, {live_id: False, erased_id: True}
        )  # fmt: skip
        assert check.now(["case-1"], []) == ({"case-1": 2}, {})
        assert check.now([], [erased_id]) == ({}, {erased_id: True})
        statements: list[str] = []
        store.engines.observe_lone_statements(lambda what, dialect: _counted(statements, what))
        check.now(["case-0"], [live_id])
        assert statements == ["SELECT events, citizen_keys"]


@contextmanager
def _counted(statements: list[str], what: str) -> Iterator[None]:
    statements.append(what)
    yield


def _in_transaction(driver) -> bool:
    if hasattr(driver, "in_transaction"):  # sqlite3
        return driver.in_transaction
    import psycopg

    return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


class TestReadStreamRowsSQLite(ReadStreamRowsContract):
    backend = "sqlite"


class TestReadStreamRowsPostgres(ReadStreamRowsContract):
    backend = "postgresql"
