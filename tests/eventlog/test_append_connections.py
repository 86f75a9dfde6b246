"""The append path's own connections (``eventlog.engines.DriverConnections``).

Appends run on driver connections the store keeps outside SQLAlchemy's pool.
These tests check what the pool used to guarantee: connections are made with
the engine's connect-time settings, a lost one is replaced, dispose closes
them, and many threads appending at once still build one gapless chain.
"""

from __future__ import annotations

import threading
import time

import pytest

from eventlog import ConcurrencyConflict
from tests.eventlog.test_append_failures import new_event


def is_closed(driver) -> bool:
    """Whether a driver connection is closed (psycopg says so; sqlite3 refuses to work)."""
    if hasattr(driver, "closed"):
        return bool(driver.closed)
    try:
        driver.execute("SELECT 1")
    except Exception as err:  # noqa: BLE001 - sqlite3.ProgrammingError on a closed database
        return "closed" in str(err)
    return False


def append_from_threads(store, threads: int, appends: int, prefix: str = "") -> list[BaseException]:
    """Each thread appends to a stream of its own, one event per append, and
    all of them also race for one shared stream (retrying on a conflict)."""
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(index: int) -> None:
        try:
            start.wait()
            for n in range(appends):
                store.append(f"{prefix}own-{index}", n, [new_event(n)])
                while True:
                    version = store.stream_version(f"{prefix}shared")
                    try:
                        store.append(f"{prefix}shared", version, [new_event(n)])
                        break
                    except ConcurrencyConflict:
                        continue
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


class AppendConnectionsContract:
    backend: str

    def test_many_threads_appending_keep_one_gapless_verifiable_chain(self, log):
        threads, appends = 8, 15

        errors = append_from_threads(log.store, threads, appends)

        assert errors == []
        total = 2 * threads * appends
        events = log.store.read_all(limit=total + 10)
        assert [e.position for e in events] == list(range(1, total + 1))
        assert log.store.head()[0] == total
        for index in range(threads):
            assert [e.stream_version for e in log.store.read_stream(f"own-{index}")] == list(range(1, appends + 1))
        assert [e.stream_version for e in log.store.read_stream("shared")] == list(range(1, threads * appends + 1))
        report = log.store.verify()
        assert report.ok, str(report)
        # Never more connections kept than were in use at once, at most max_idle of them.
        assert 1 <= len(log.store._append_connections._idle) <= min(threads, 5)

    def test_dispose_closes_the_append_connections(self, log):
        errors = append_from_threads(log.store, 4, 3)
        assert errors == []
        connections = log.store._append_connections
        in_use = connections.take()  # as if another thread were appending during dispose
        idle = list(connections._idle)
        assert idle and all(not is_closed(held.driver) for held in [*idle, in_use])

        log.store.dispose()

        assert all(is_closed(held.driver) for held in idle)
        assert not is_closed(in_use.driver)  # its caller is still using it ...
        connections.give_back(in_use)
        assert is_closed(in_use.driver)  # ... and it is closed when it comes back
        assert connections._idle == []

    def test_a_connection_past_its_age_is_replaced(self, log):
        log.store.append("case-1", 0, [new_event(0)])
        connections = log.store._append_connections
        (old,) = connections._idle
        connections._recycle_s = 0.0  # every kept connection is now too old

        log.store.append("case-1", 1, [new_event(1)])

        assert is_closed(old.driver)
        (fresh,) = connections._idle
        assert fresh is not old
        assert log.store.verify().ok

    def test_connections_beyond_max_idle_are_closed_when_given_back(self, log):
        connections = log.store._append_connections
        held = [connections.take() for _ in range(connections._max_idle + 2)]
        for one in held:
            connections.give_back(one)

        assert connections._idle == held[: connections._max_idle]
        assert all(is_closed(one.driver) for one in held[connections._max_idle :])

    def test_append_connections_get_the_engines_connect_time_settings(self, log):
        log.store.append("case-1", 0, [new_event(0)])
        (held,) = log.store._append_connections._idle
        cursor = held.driver.cursor()
        try:
            if self.backend == "sqlite":
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA synchronous")
                assert cursor.fetchone()[0] == 2  # FULL
                cursor.execute("PRAGMA foreign_keys")
                assert cursor.fetchone()[0] == 1
            else:
                cursor.execute("SHOW search_path")
                assert cursor.fetchone()[0] == log.connect_args["options"].removeprefix("-csearch_path=")
        finally:
            cursor.close()


class TestSQLiteAppendConnections(AppendConnectionsContract):
    backend = "sqlite"


@pytest.mark.postgres
class TestPostgresAppendConnections(AppendConnectionsContract):
    backend = "postgresql"

    def test_a_connection_the_server_killed_is_replaced_and_appends_from_threads_go_on(self, log):
        errors = append_from_threads(log.store, 4, 3)
        assert errors == []
        connections = log.store._append_connections
        killed = list(connections._idle)
        pids = [held.driver.info.backend_pid for held in killed]
        for pid in pids:
            log.sql("SELECT pg_terminate_backend(:pid)", pid=pid)
        wait_until_gone(log, pids)

        # Each killed connection fails the one append that takes it, and is dropped.
        failures = 0
        while True:
            try:
                log.store.append("after", 0, [new_event(0)])
                break
            except log.store.engines.write.dialect.loaded_dbapi.OperationalError:
                failures += 1
        assert failures == len(killed)
        assert all(held.driver.closed for held in killed)

        errors = append_from_threads(log.store, 4, 3, prefix="again-")

        assert errors == []
        assert not any(held in connections._idle for held in killed)
        assert log.store.verify().ok


def wait_until_gone(log, pids: list[int]) -> None:
    """pg_terminate_backend only signals the backend; wait until it has exited."""
    deadline = time.monotonic() + 10
    while log.sql("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)", pids=pids)[0][0]:
        assert time.monotonic() < deadline, "the server did not end the connections"
        time.sleep(0.02)
