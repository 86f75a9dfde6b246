"""The event store's contract, run against every supported database.

``EventStoreContract`` holds the tests; each database gets a subclass that
only says which backend to use (the pattern pyeventsourcing uses).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventlog import (
    AppendResult,
    ConcurrencyConflict,
    IdempotencyMismatch,
    NewEvent,
    StoredEvent,
)
from eventlog.hashing import GENESIS_HASH, canonical_json, event_hash, payload_hash

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def new_event(
    n: int = 0, *, event_type: str = "NeedReported", payload: dict | None = None, **overrides: Any
) -> NewEvent:
    fields: dict[str, Any] = dict(
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        schema_version=1,
        occurred_at=T0 + timedelta(minutes=n),
        actor_id="caseworker-7",
        actor_role="caseworker",
        payload={"n": n, "note": "borgeren ønsker hjælp"} if payload is None else payload,
        legal_basis="Serviceloven § 83",
    )
    fields.update(overrides)
    return NewEvent(**fields)


def batch(count: int, start: int = 0) -> list[NewEvent]:
    return [new_event(start + i) for i in range(count)]


class EventStoreContract:
    """Rules every EventStore must keep, whatever the database underneath."""

    backend: str

    # -- append and read ------------------------------------------------------

    def test_append_then_read_back_equal(self, log):
        sent = [
            new_event(0),
            new_event(1, event_type="VisitationDecided", payload={"services": ["BPA"], "hours": 12.5}),
            new_event(
                2, legal_basis=None, occurred_at=datetime(2024, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
            ),
        ]
        result = log.store.append("case-1", 0, sent)

        assert result == AppendResult("case-1", 1, 3, 3, (1, 2, 3), duplicate=False)
        read = log.store.read_stream("case-1")
        assert [e.stream_version for e in read] == [1, 2, 3]
        for stored, original in zip(read, sent, strict=True):
            assert isinstance(stored, StoredEvent)
            assert (stored.event_id, stored.event_type, stored.schema_version) == (
                original.event_id,
                original.event_type,
                original.schema_version,
            )
            assert stored.occurred_at == original.occurred_at
            assert stored.occurred_at.tzinfo is not None
            assert (stored.actor_id, stored.actor_role, stored.legal_basis) == (
                original.actor_id,
                original.actor_role,
                original.legal_basis,
            )
            assert stored.payload == original.payload
            assert stored.payload_hash == payload_hash(canonical_json(original.payload))
        assert read[0].prev_hash == GENESIS_HASH
        assert read[1].prev_hash == read[0].hash
        assert log.store.read_stream("case-1", after_version=2) == read[2:]
        assert log.store.stream_version("case-1") == 3
        assert log.store.stream_version("no-such-case") == 0
        assert log.store.head() == (3, read[2].hash)

    def test_empty_log_has_genesis_head_and_verifies(self, log):
        assert log.store.head() == (0, GENESIS_HASH)
        assert log.store.read_all() == []
        assert log.store.stream_ids() == []
        report = log.store.verify()
        assert report.ok and report.checked == 0 and report.head_hash == GENESIS_HASH

    def test_positions_are_gapless_across_streams(self, log):
        log.store.append("case-a", 0, batch(2))
        log.store.append("case-b", 0, batch(3))
        log.store.append("case-a", 2, batch(1))
        log.store.append("case-c", 0, batch(2))

        everything = log.store.read_all()
        assert [e.position for e in everything] == list(range(1, 9))
        assert [e.stream_id for e in everything] == ["case-a"] * 2 + ["case-b"] * 3 + ["case-a"] + ["case-c"] * 2
        assert [e.stream_version for e in log.store.read_stream("case-a")] == [1, 2, 3]
        assert log.store.stream_ids() == ["case-a", "case-b", "case-c"]

    def test_empty_batch_is_refused(self, log):
        with pytest.raises(ValueError, match="nothing to append"):
            log.store.append("case-1", 0, [])

    def test_negative_expected_version_is_refused(self, log):
        with pytest.raises(ValueError, match="expected_version"):
            log.store.append("case-1", -1, batch(1))

    def test_create_schema_again_keeps_the_data(self, log):
        log.store.append("case-1", 0, batch(2))
        log.store.create_schema()
        assert log.store.stream_version("case-1") == 2
        assert log.store.verify().ok

    # -- idempotency ------------------------------------------------------------

    def test_retried_append_with_same_event_ids_writes_nothing_twice(self, log):
        events = batch(3)
        log.store.append("case-0", 0, batch(1))
        first = log.store.append("case-1", 0, events)
        log.store.append("case-1", 3, batch(1, start=3))

        retry = log.store.append("case-1", 0, events)

        assert retry.duplicate is True
        assert retry.positions == first.positions == (2, 3, 4)
        assert retry.stream_version == first.stream_version == 3
        assert len(log.store.read_all()) == 5
        assert log.store.verify().ok

    def test_partial_retry_raises_idempotency_mismatch(self, log):
        a, b = batch(2)
        log.store.append("case-1", 0, [a, b])

        with pytest.raises(IdempotencyMismatch, match="partly"):
            log.store.append("case-1", 0, [a, new_event(9)])
        assert len(log.store.read_all()) == 2

    def test_event_id_reused_in_another_stream_raises_idempotency_mismatch(self, log):
        (a,) = batch(1)
        log.store.append("case-1", 0, [a])
        with pytest.raises(IdempotencyMismatch, match="stream case-1"):
            log.store.append("case-2", 0, [a])
        assert log.store.stream_version("case-2") == 0

    def test_event_id_reused_with_other_content_raises_idempotency_mismatch(self, log):
        a = new_event(0)
        log.store.append("case-1", 0, [a])
        changed = NewEvent(**{**{f: getattr(a, f) for f in a.__slots__}, "payload": {"n": 99}})
        with pytest.raises(IdempotencyMismatch, match="other content"):
            log.store.append("case-1", 0, [changed])

    def test_stored_event_id_later_in_a_new_batch_raises_idempotency_mismatch(self, log):
        (a,) = batch(1)
        log.store.append("case-1", 0, [a])
        with pytest.raises(IdempotencyMismatch, match="already stored"):
            log.store.append("case-2", 0, [new_event(1), a])
        assert log.store.head()[0] == 1
        assert log.store.verify().ok

    def test_same_event_id_twice_in_one_batch_is_refused(self, log):
        a = new_event(0)
        with pytest.raises(IdempotencyMismatch, match="twice"):
            log.store.append("case-1", 0, [a, a])

    # -- concurrency ------------------------------------------------------------

    def test_stale_expected_version_raises_conflict_and_writes_nothing(self, log):
        log.store.append("case-1", 0, batch(3))
        head_before = log.store.head()

        with pytest.raises(ConcurrencyConflict) as caught:
            log.store.append("case-1", 1, batch(2, start=3))

        assert (caught.value.expected_version, caught.value.actual_version) == (1, 3)
        assert str(caught.value) == "case case-1: expected version 1 but the log is at version 3; reload and try again"
        assert log.store.head() == head_before
        assert log.store.stream_version("case-1") == 3

    def test_threads_appending_with_same_expected_version_exactly_one_wins(self, log):
        log.store.append("case-1", 0, batch(1))
        threads_count = 8
        start = threading.Barrier(threads_count)
        outcomes: list[object] = [None] * threads_count

        def contend(slot: int) -> None:
            start.wait()
            try:
                outcomes[slot] = log.store.append("case-1", 1, batch(2, start=10 * slot))
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                outcomes[slot] = err

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        winners = [o for o in outcomes if isinstance(o, AppendResult)]
        losers = [o for o in outcomes if isinstance(o, ConcurrencyConflict)]
        assert len(winners) == 1, outcomes
        assert len(losers) == threads_count - 1, outcomes
        assert all(loser.actual_version == 3 for loser in losers)
        assert [e.stream_version for e in log.store.read_stream("case-1")] == [1, 2, 3]
        assert [e.position for e in log.store.read_all()] == [1, 2, 3]
        assert log.store.verify().ok

    def test_threads_appending_to_different_streams_all_succeed_gaplessly(self, log):
        threads_count, appends_each = 6, 10
        start = threading.Barrier(threads_count)
        errors: list[Exception] = []

        def write(slot: int) -> None:
            start.wait()
            try:
                for version in range(appends_each):
                    log.store.append(f"case-{slot}", version, batch(1, start=version))
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                errors.append(err)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert [e.position for e in log.store.read_all()] == list(range(1, threads_count * appends_each + 1))
        report = log.store.verify()
        assert report.ok and report.checked == threads_count * appends_each

    # -- paging -----------------------------------------------------------------

    def test_read_all_pages(self, log):
        for n in range(5):
            log.store.append(f"case-{n % 2}", (n // 2) * 5, batch(5, start=n * 5))

        pages, after = [], 0
        while page := log.store.read_all(after_position=after, limit=7):
            pages.append([e.position for e in page])
            after = page[-1].position

        assert [len(p) for p in pages] == [7, 7, 7, 4]
        assert [pos for p in pages for pos in p] == list(range(1, 26))
        with pytest.raises(ValueError):
            log.store.read_all(limit=0)

    # -- verification -------------------------------------------------------------

    def _filled(self, log, appends: int = 6) -> None:
        for n in range(appends):
            log.store.append(f"case-{n % 3}", (n // 3) * 2, batch(2, start=2 * n))

    def test_verify_ok_on_clean_log_walks_all_rows(self, log):
        self._filled(log)
        count = len(log.store.read_all())

        report = log.store.verify(batch_size=5)

        assert report.ok, str(report)
        assert report.checked == count == 12
        assert (report.head_position, report.head_hash) == log.store.head()
        assert report.fault is None and report.first_bad_position is None
        assert str(report).startswith("event log OK: 12 events verified")

    def test_verify_finds_edited_payload(self, log):
        self._filled(log)
        log.tamper("UPDATE events SET payload = :p WHERE position = 5", p='{"n":4,"note":"changed"}')

        report = log.store.verify(batch_size=3)

        assert (report.ok, report.fault, report.first_bad_position) == (False, "changed_payload", 5)
        assert report.checked == 4
        assert "changed_payload at position 5" in str(report)

    def test_verify_finds_edited_header_field(self, log):
        self._filled(log)
        log.tamper("UPDATE events SET actor_id = 'someone-else' WHERE position = 7")

        report = log.store.verify()

        assert (report.fault, report.first_bad_position) == ("changed_header", 7)

    def test_verify_finds_deleted_row_as_gap(self, log):
        self._filled(log)
        log.tamper("DELETE FROM events WHERE position = 4")

        report = log.store.verify(batch_size=2)

        assert (report.fault, report.first_bad_position) == ("gap", 4)
        assert report.checked == 3

    def test_verify_finds_deleted_last_row_as_head_mismatch(self, log):
        self._filled(log)
        log.tamper("DELETE FROM events WHERE position = 12")

        report = log.store.verify()

        assert (report.fault, report.first_bad_position) == ("head_mismatch", 12)

    def test_verify_finds_row_rehashed_alone_as_broken_chain_at_next_row(self, log):
        self._filled(log)
        (row,) = log.sql(
            "SELECT prev_hash, position, stream_id, stream_version, event_id, event_type, schema_version,"
            " occurred_at, recorded_at, actor_id, actor_role, legal_basis FROM events WHERE position = 6"
        )
        forged_payload = '{"n":5,"note":"forged"}'
        forged_payload_hash = payload_hash(forged_payload)
        forged_hash = event_hash(*[*row, forged_payload_hash])
        log.tamper(
            "UPDATE events SET payload = :p, payload_hash = :ph, hash = :h WHERE position = 6",
            p=forged_payload,
            ph=forged_payload_hash,
            h=forged_hash,
        )

        report = log.store.verify()

        assert (report.fault, report.first_bad_position) == ("broken_chain", 7)
        assert report.checked == 6

    def test_verify_finds_altered_head(self, log):
        self._filled(log)
        log.tamper("UPDATE log_head SET hash = :h", h="f" * 64)

        report = log.store.verify()

        assert (report.fault, report.first_bad_position) == ("head_mismatch", 12)
        assert report.checked == 12

    def test_verify_finds_head_moved_back(self, log):
        self._filled(log)
        log.tamper("UPDATE log_head SET position = 10")

        report = log.store.verify()

        assert (report.fault, report.first_bad_position) == ("head_mismatch", 11)

    # -- durability ---------------------------------------------------------------

    def test_reopened_store_sees_the_data_and_chain(self, log):
        self._filled(log)
        before = log.store.read_all()
        log.store.dispose()

        reopened = log.reopen()

        assert reopened.read_all() == before
        assert reopened.head() == (12, before[-1].hash)
        assert reopened.verify().ok
        result = reopened.append("case-0", 4, batch(1, start=100))
        assert result.positions == (13,)
        assert reopened.read_all(after_position=12)[0].prev_hash == before[-1].hash

    # -- properties -----------------------------------------------------------------

    # Each example makes its own empty log through the factory, so sharing the
    # function-scoped factory is safe; the method runs once per backend subclass,
    # which is what "differing executors" would warn about.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(plan=st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.integers(1, 4)), min_size=1, max_size=12))
    def test_random_appends_keep_positions_versions_and_chain(self, new_log, plan):
        with new_log() as log:
            versions: dict[str, int] = {}
            for stream_id, size in plan:
                log.store.append(stream_id, versions.get(stream_id, 0), batch(size))
                versions[stream_id] = versions.get(stream_id, 0) + size

            total = sum(size for _, size in plan)
            assert [e.position for e in log.store.read_all(limit=1000)] == list(range(1, total + 1))
            for stream_id, version in versions.items():
                assert [e.stream_version for e in log.store.read_stream(stream_id)] == list(range(1, version + 1))
            report = log.store.verify(batch_size=7)
            assert report.ok and report.checked == total, str(report)


class TestSQLiteEventStore(EventStoreContract):
    backend = "sqlite"

    def test_sqlite_file_uses_wal(self, log):
        assert log.sql("PRAGMA journal_mode") == [("wal",)]


@pytest.mark.postgres
class TestPostgresEventStore(EventStoreContract):
    backend = "postgresql"
