"""What an append leaves behind when the database refuses its write or goes away.

On PostgreSQL the append's writes go out pipelined after the head is locked
(a one-row append as one statement in the pipeline's implicit transaction, a
batch between an explicit BEGIN and COMMIT). These tests make the write itself
fail, after the lock, and check that nothing is half-written, that the error is
the one the caller can act on, and that the append's connection is left fit
for the next caller. SQLite runs the same tests on its plain path.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from eventlog import ConcurrencyConflict, EventLogError, IdempotencyMismatch, NewEvent

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def new_event(n: int) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        event_type="NeedReported",
        schema_version=1,
        occurred_at=T0 + timedelta(minutes=n),
        actor_id="caseworker-7",
        actor_role="caseworker",
        payload={"n": n},
    )


def batch(count: int, start: int = 0) -> list[NewEvent]:
    return [new_event(start + i) for i in range(count)]


class AppendFailureContract:
    backend: str

    @staticmethod
    def _tree_row(log) -> dict:
        (frontier,) = log.sql("SELECT frontier FROM log_head")[0]
        return {"f": frontier}

    _MOVE_TREE = "UPDATE log_head SET frontier = :f"

    def _head_moved_back_by_one(self, log) -> tuple[int, str]:
        """Fill a little log, then move the head (and its Merkle tree) back one row, as a tamperer could.

        The next append then numbers its first row with a position that is
        taken, so the INSERT (after the head was locked and read) is refused
        by the primary key.
        """
        log.store.append("filler", 0, batch(2))
        tree_at_two = self._tree_row(log)
        log.store.append("filler", 2, batch(1, start=2))
        self._tree_at_three = self._tree_row(log)
        rows = log.store.read_all()
        log.tamper(
            "UPDATE log_head SET position = :p, hash = :h",
            (self._MOVE_TREE, tree_at_two),
            p=rows[-2].position,
            h=rows[-2].hash,
        )
        return log.store.head()

    def test_a_head_moved_back_without_its_tree_is_refused_before_any_write(self, log):
        log.store.append("filler", 0, batch(3))
        rows = log.store.read_all()
        log.tamper("UPDATE log_head SET position = :p, hash = :h", p=rows[-2].position, h=rows[-2].hash)

        with pytest.raises(EventLogError, match="Merkle frontier does not fit its head at position 2"):
            log.store.append("case-2", 0, batch(1, start=10))

        assert len(log.store.read_all()) == 3 and log.store.stream_version("case-2") == 0

    def _assert_unchanged(self, log, head: tuple[int, str], rows: int) -> None:
        assert log.store.head() == head
        assert len(log.store.read_all()) == rows
        assert log.store.stream_version("case-2") == 0

    @pytest.mark.parametrize("size", [1, 3], ids=["one event", "a batch"])
    def test_a_refused_write_writes_nothing_and_says_the_database_refused(self, log, size):
        head = self._head_moved_back_by_one(log)

        with pytest.raises(EventLogError, match="refused by the database") as caught:
            log.store.append("case-2", 0, batch(size, start=10))

        assert type(caught.value) is EventLogError
        self._assert_unchanged(log, head, rows=3)

    @pytest.mark.parametrize("size", [1, 3], ids=["one event", "a batch"])
    def test_after_a_refused_write_the_store_keeps_working(self, log, size):
        self._head_moved_back_by_one(log)
        with pytest.raises(EventLogError):
            log.store.append("case-2", 0, batch(size, start=10))
        last = log.store.read_all()[-1]
        log.tamper(
            "UPDATE log_head SET position = :p, hash = :h",
            (self._MOVE_TREE, self._tree_at_three),
            p=last.position,
            h=last.hash,
        )

        result = log.store.append("case-2", 0, batch(size, start=20))

        assert result.positions == tuple(range(4, 4 + size))
        assert [e.stream_version for e in log.store.read_stream("case-2")] == list(range(1, size + 1))
        assert log.store.verify().ok

    def test_each_kind_of_failure_in_a_row_leaves_the_log_consistent(self, log):
        """Failures of every kind, one after another on the same pooled connection."""
        (a,) = batch(1)
        log.store.append("case-1", 0, [a])
        with pytest.raises(ConcurrencyConflict):
            log.store.append("case-1", 0, batch(1, start=1))
        with pytest.raises(IdempotencyMismatch):
            log.store.append("case-2", 0, [new_event(2), a])
        with pytest.raises(IdempotencyMismatch):
            log.store.append("case-2", 0, [a])
        assert log.store.append("case-1", 0, [a]).duplicate is True

        result = log.store.append("case-1", 1, batch(2, start=3))

        assert result.positions == (2, 3)
        assert log.store.head()[0] == 3
        assert log.store.verify().ok


class TestSQLiteAppendFailures(AppendFailureContract):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresAppendFailures(AppendFailureContract):
    backend = "postgresql"

    def _connections_are_left_clean(self, log) -> None:
        """Appends run on connections of their own, in autocommit mode (the
        pipeline carries the transaction); each must be left outside any
        transaction, and the engine's pool must not see that mode at all."""
        for held in log.store._append_connections._idle:
            assert held.driver.autocommit is True
            assert held.driver.info.transaction_status.name == "IDLE"
        connection = log.store.engines.write.raw_connection()
        try:
            assert connection.driver_connection.autocommit is False
            assert connection.driver_connection.info.transaction_status.name == "IDLE"
        finally:
            connection.close()

    def test_connections_are_left_outside_any_transaction_after_every_kind_of_failure(self, log):
        (a,) = batch(1)
        log.store.append("case-1", 0, [a])
        self._connections_are_left_clean(log)
        log.store.append("case-1", 1, batch(3, start=1))
        self._connections_are_left_clean(log)
        with pytest.raises(ConcurrencyConflict):
            log.store.append("case-1", 0, batch(1, start=5))
        self._connections_are_left_clean(log)
        with pytest.raises(IdempotencyMismatch):
            log.store.append("case-2", 0, [new_event(6), a])
        self._connections_are_left_clean(log)
        self._head_moved_back_by_one(log)
        with pytest.raises(EventLogError):
            log.store.append("case-3", 0, batch(1, start=7))
        self._connections_are_left_clean(log)
        with pytest.raises(EventLogError):
            log.store.append("case-3", 0, batch(3, start=8))
        self._connections_are_left_clean(log)
        assert len(log.store._append_connections._idle) == 1  # one caller, one connection, reused

    @pytest.mark.parametrize("size", [1, 3], ids=["one event", "a batch"])
    def test_a_killed_connection_fails_one_append_and_the_next_gets_a_fresh_one(self, log, size):
        log.store.append("case-1", 0, batch(1))
        (held,) = log.store._append_connections._idle  # the one the next append takes
        log.sql("SELECT pg_terminate_backend(:pid)", pid=held.driver.info.backend_pid)

        with pytest.raises(Exception) as caught:
            log.store.append("case-1", 1, batch(size, start=1))
        assert isinstance(caught.value, log.store.engines.write.dialect.loaded_dbapi.OperationalError)
        assert held.driver.closed
        assert log.store._append_connections._idle == []  # not kept for the next caller

        result = log.store.append("case-1", 1, batch(size, start=1))

        assert result.positions == tuple(range(2, 2 + size))
        assert log.store.verify().ok
        (fresh,) = log.store._append_connections._idle
        assert fresh is not held
        self._connections_are_left_clean(log)
