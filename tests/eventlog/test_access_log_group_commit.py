"""Group commit of the access log: concurrent reads share one transaction, each
caller returns only once its own row is committed, and a batch that fails is
recorded for none of its callers (so none of them shows its data)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

import pytest
from sqlalchemy import event

from eventlog import access_log as access_module
from eventlog.access_log import AccessLog, AccessRecord, Read


def commits(engine) -> list[int]:
    """Counts the access log's write transactions: it takes one connection from the
    write engine's pool for each (on the driver, so SQLAlchemy's commit event does not fire)."""
    counted: list[int] = []
    event.listen(engine, "checkout", lambda *args: counted.append(1))
    return counted


def read(access: AccessLog, n: int, purpose: str = "tilsyn") -> AccessRecord:
    return access.record(actor_id=f"aud-{n}", actor_role="auditor", stream_id=f"case-{n % 3}", what="read_timeline",
                         purpose=purpose)  # fmt: skip


def queued_while_a_batch_is_written(access: AccessLog, jobs: Sequence[Callable[[], object]]) -> list[object]:
    """Runs ``jobs`` in threads while another caller holds the writer's turn, then lets them go:
    every one of them is queued by then, so they make exactly one batch."""
    group = access._group
    with group.changed:
        group.writing = True
    outcomes: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            outcomes[i] = jobs[i]()
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(group.queue) < len(jobs):
        assert time.monotonic() < deadline, "the readers did not queue"
        time.sleep(0.001)
    assert all(o is None for o in outcomes), "a read returned before its row was written"
    with group.changed:
        group.writing = False
        group.changed.notify_all()
    for t in threads:
        t.join(10)
    return outcomes


def a_read_for_boom_fails(monkeypatch) -> None:
    """A batch holding a read whose purpose is "boom" fails as it is written (as if the database went away)."""
    real_hash = access_module.access_hash

    def failing(prev_hash, position, recorded_at, actor_id, actor_role, stream_id, what, purpose):
        if purpose == "boom":
            raise RuntimeError("the database went away")
        return real_hash(prev_hash, position, recorded_at, actor_id, actor_role, stream_id, what, purpose)

    monkeypatch.setattr(access_module, "access_hash", failing)


def writer_stopped(access: AccessLog) -> None:
    """Waits until the writer thread has let go (it wakes the requests first, then lets go)."""
    deadline = time.monotonic() + 10
    while access._group.writing:
        assert time.monotonic() < deadline, "the writer thread did not stop"
        time.sleep(0.001)


class GroupCommitContract:
    backend: str

    def test_queued_reads_are_written_in_one_transaction_in_queue_order(self, log):
        access = AccessLog(log.store.engines)
        read(access, 0)
        counted = commits(log.store.engines.write)
        outcomes = queued_while_a_batch_is_written(access, [partial(read, access, n) for n in range(1, 9)])
        assert len(counted) == 1
        assert sorted(r.position for r in outcomes if isinstance(r, AccessRecord)) == list(range(2, 10))
        rows = list(access.all())
        assert [r.position for r in rows] == list(range(1, 10))
        assert {r.actor_id for r in rows} == {f"aud-{n}" for n in range(9)}
        assert access.verify().ok

    def test_a_failed_batch_is_recorded_for_none_of_its_readers(self, log, monkeypatch):
        access = AccessLog(log.store.engines)
        read(access, 0)
        a_read_for_boom_fails(monkeypatch)
        jobs = [partial(read, access, n, "boom" if n == 3 else "tilsyn") for n in range(1, 6)]
        outcomes = queued_while_a_batch_is_written(access, jobs)
        assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
        assert [r.position for r in access.all()] == [1]
        assert read(access, 6).position == 2  # the next read is recorded as usual
        assert access.verify().ok

    def test_a_batch_the_database_fails_raises_sqlalchemy_s_error_for_each_reader(self, log, monkeypatch):
        """The writer works on the driver's own connection: a lost database raises the driver's
        error there, which the API would answer with a 500. Each reader gets it as SQLAlchemy
        raises it through its pool (an ``OperationalError``: a 503 naming the database)."""
        import sqlalchemy.exc

        access = AccessLog(log.store.engines)
        read(access, 0)
        driver_error = log.store.engines.write.dialect.loaded_dbapi.OperationalError
        append = access_module._statements(log.store.engines.write).append

        def lost(*args: object) -> None:
            raise driver_error("server closed the connection unexpectedly")

        monkeypatch.setattr(append, "write", lost)
        with pytest.raises(sqlalchemy.exc.OperationalError) as raised:
            read(access, 1)
        assert isinstance(raised.value.orig, driver_error)
        monkeypatch.undo()
        assert read(access, 2).position == 2 and access.verify().ok

    def test_many_concurrent_readers_keep_one_gapless_verifiable_chain(self, log):
        access = AccessLog(log.store.engines)
        counted = commits(log.store.engines.write)
        threads = [
            threading.Thread(target=lambda k=k: [read(access, k * 10 + i) for i in range(10)]) for k in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [r.position for r in access.all()] == list(range(1, 121))
        assert len(counted) <= 120
        assert access.verify().ok

    def test_writers_of_two_processes_keep_one_chain_by_the_database_s_lock_alone(self, log, monkeypatch):
        """Writers in two processes share no turn (``_WriterTurn`` is a process's own, and here
        each store has one without a lock file): the database's lock on the head (SQLite's
        write lock, PostgreSQL's ``FOR UPDATE`` of the head row) alone orders their batches."""
        turns: dict[int, access_module._WriterTurn] = {}
        monkeypatch.setattr(access_module, "_writer_turn",
                            lambda engine: turns.setdefault(id(engine), access_module._WriterTurn(None)))  # fmt: skip
        logs = [AccessLog(log.store.engines), AccessLog(log.reopen().engines)]
        threads = [
            threading.Thread(target=lambda k=k: [read(logs[k % 2], k * 10 + i) for i in range(10)]) for k in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(turns) == 2  # each process took its own turn
        assert [r.position for r in logs[0].all()] == list(range(1, 81))
        assert logs[0].verify().ok and logs[1].verify().ok


def reads_from_a_loop(access: AccessLog, purposes: Sequence[str]) -> list[object]:
    """Each purpose's read recorded from one event loop at once, while another writer holds
    the writer's turn until every one of them is queued; what each of them returned or raised."""
    turn = access_module._writer_turn(access._engines.write)

    async def main() -> list[object]:
        with turn:  # another writer (a thread, or another process) is writing
            tasks = [asyncio.create_task(access.record_from_loop(
                [Read(f"aud-{n}", "auditor", "case-1", "read_case", purpose)])) for n, purpose in enumerate(purposes)]  # fmt: skip
            deadline = time.monotonic() + 10
            while len(access._group.queue) < len(purposes):
                assert time.monotonic() < deadline, "the reads did not queue"
                await asyncio.sleep(0.001)
            assert not any(task.done() for task in tasks), "a read returned before its row was written"
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    return asyncio.run(main())


class LoopWaitersContract:
    """Reads recorded from an event loop wait without a thread each: they queue while another
    writer has the turn, the writer thread takes them all once it gets the turn, and each
    request returns only after that commit (or raises what lost it)."""

    backend: str

    def test_reads_queued_while_another_writes_share_one_commit(self, log):
        access = AccessLog(log.store.engines)
        read(access, 0)
        counted = commits(log.store.engines.write)
        outcomes = reads_from_a_loop(access, ["tilsyn"] * 8)
        assert len(counted) == 1
        assert sorted(r[0].position for r in outcomes if isinstance(r, list)) == list(range(2, 10))
        assert access.verify().ok
        writer_stopped(access)

    def test_a_failed_batch_raises_for_every_waiting_request_and_records_none(self, log, monkeypatch):
        access = AccessLog(log.store.engines)
        read(access, 0)
        a_read_for_boom_fails(monkeypatch)
        outcomes = reads_from_a_loop(access, ["tilsyn", "boom", "tilsyn"])
        assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
        assert [r.position for r in access.all()] == [1]
        assert asyncio.run(access.record_from_loop([Read("aud-9", "auditor", None, "x", "tilsyn")]))[0].position == 2
        assert access.verify().ok

    def test_one_writer_thread_serves_batch_after_batch_and_ends_when_idle(self, log, monkeypatch):
        monkeypatch.setattr(access_module, "WRITER_IDLE", 0.5)
        access = AccessLog(log.store.engines)
        started: list[str] = []
        real_start = threading.Thread.start

        def counted_start(thread: threading.Thread) -> None:
            started.append(thread.name)
            real_start(thread)

        monkeypatch.setattr(threading.Thread, "start", counted_start)

        async def one_after_another() -> list[int]:
            positions = []
            for n in range(20):  # each waits for its commit: twenty batches, one after another
                [record] = await access.record_from_loop([Read(f"aud-{n}", "auditor", "case-1", "read_case", "tilsyn")])
                positions.append(record.position)
            return positions

        assert asyncio.run(one_after_another()) == list(range(1, 21))
        assert started == ["access-log-writer"]
        writer = access._group.writer
        assert writer is not None and writer.is_alive()
        writer.join(5)  # idle: it ends, and lets the group know
        assert not writer.is_alive() and access._group.writer is None
        assert asyncio.run(one_after_another()) == list(range(21, 41))  # a new writer, as needed
        assert started == ["access-log-writer"] * 2 and access.verify().ok

    def test_a_writer_that_cannot_take_its_turn_fails_every_queued_read_and_stops(self, log, monkeypatch):
        access = AccessLog(log.store.engines)

        class NoTurn:  # the turn's lock file cannot be opened when a batch takes it
            def __enter__(self) -> None:
                raise PermissionError("the access log's lock file cannot be opened")

            def __exit__(self, *exc: object) -> None:
                pass

        monkeypatch.setattr(access._group, "turn", NoTurn())
        assert asyncio.run(access.record_from_loop([])) == []  # nothing to record: no writer starts

        async def one_read() -> list[object]:
            pending = access.record_from_loop([Read("aud-1", "auditor", None, "x", "tilsyn")])
            return list(await asyncio.wait_for(asyncio.gather(pending, return_exceptions=True), 10))

        outcome = asyncio.run(one_read())
        assert isinstance(outcome[0], PermissionError)
        writer_stopped(access)
        assert access._group.queue == []
        assert list(access.all()) == []

    def test_a_read_with_a_nul_is_refused_naming_its_field_and_the_others_are_recorded(self, log):
        """PostgreSQL's text holds no NUL: such a read is refused when it is checked, before it
        joins a batch, so the reads queued with it are recorded (on SQLite as well)."""
        access = AccessLog(log.store.engines)

        async def both() -> list[object]:
            return list(await asyncio.gather(
                access.record_from_loop([Read("aud-1", "auditor", "case-1", "read_case", "tilsyn\x00")]),
                access.record_from_loop([Read("aud-2", "auditor", "case-1", "read_case", "tilsyn")]),
                return_exceptions=True,
            ))  # fmt: skip

        refused, recorded = asyncio.run(both())
        assert isinstance(refused, ValueError) and "purpose" in str(refused)
        assert isinstance(recorded, list) and [r.actor_id for r in recorded] == ["aud-2"]
        assert [r.actor_id for r in access.all()] == ["aud-2"] and access.verify().ok

    def test_a_list_views_shown_cases_are_kept_and_each_case_finds_it(self, log):
        access = AccessLog(log.store.engines)
        shown = [f"case-{n}" for n in range(50)]
        outcomes = reads_from_a_loop(access, ["arbejdsliste"] * 3)
        assert all(isinstance(o, list) for o in outcomes)
        (listed,) = asyncio.run(
            access.record_from_loop([Read("cw-1", "caseworker", None, "list_cases", "liste", shown)])
        )
        assert sorted(access.shown_in(listed.position)) == sorted(shown)
        assert [r.position for r in access.for_case("case-49")][-1] == listed.position
        assert access.verify().ok


class TestLoopWaitersSQLite(LoopWaitersContract):
    backend = "sqlite"


class TestLoopWaitersPostgres(LoopWaitersContract):
    backend = "postgresql"


class TestGroupCommitSQLite(GroupCommitContract):
    backend = "sqlite"


class TestGroupCommitPostgres(GroupCommitContract):
    backend = "postgresql"
