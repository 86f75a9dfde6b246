"""``EventStore.read_stream_rows``: the API's lean read of a stream, the same events
as ``read_stream`` (a ``StoredEvent`` of each row is equal), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from eventlog import NewEvent
from eventlog.store import stored_event_from_row

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


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
        payloads = [{"n": 0, "text": "Æblegrød \"med\" fløde\n"}, {"n": 1, "nested": {"b": [1, 2.5], "a": None}}, {"n": 2}]
        log.store.append("case-1", 0, [new_event(0, payloads[0])])
        log.store.append("case-2", 0, [new_event(9, {"other": True})])
        log.store.append("case-1", 1, [new_event(1, payloads[1]), new_event(2, payloads[2])])

        rows = log.store.read_stream_rows("case-1")

        assert [stored_event_from_row(row) for row in rows] == log.store.read_stream("case-1")
        assert [row[2] for row in rows] == [1, 2, 3]
        assert all(isinstance(row[6], str) and isinstance(row[11], str) for row in rows)  # stored text

    def test_a_stream_without_events_has_no_rows(self, log):
        assert log.store.read_stream_rows("no-such-case") == []


class TestReadStreamRowsSQLite(ReadStreamRowsContract):
    backend = "sqlite"


class TestReadStreamRowsPostgres(ReadStreamRowsContract):
    backend = "postgresql"
