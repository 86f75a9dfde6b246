"""The projector: follows the event log by global position and keeps the read
models up to date.

Each projection has a row in ``projection_state`` with the position it has
reached. A batch is one transaction that locks that row, reads the events
after it, writes the read-model rows and moves the position: a crash anywhere
in a batch leaves both as they were, so nothing is repeated and nothing is
skipped (the tracking position recorded with the writes, as pyeventsourcing's
``ProcessApplication`` does).

Two projectors at once (two workers, or a worker and ``samskab projections
run``) are safe: the lock on the state row makes the second wait for the
first's batch and then continue from where the first left off. Neither
repeats the other's work.

A projection that fails on an event stops at that event: its position, type
and the error are kept in ``projection_state`` and logged, and the projection
tries again on the next round (after a fix, it goes on). It never skips it.

A rebuild (``rebuild``) projects the whole log again into a new generation of
the same tables while reads go on using the live one; when it has caught up,
one transaction makes the new generation live, and the old rows are deleted.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Table, delete, func, insert, select, update

from eventlog import EventStore, StoredEvent
from eventlog.hashing import format_timestamp, parse_timestamp
from eventlog.schema import events as events_table
from eventlog.store import _EVENT_COLUMNS, stored_event_from_row
from projections.schema import projection_state

log = structlog.get_logger("samskab.projections")

#: Events per batch: one transaction, short enough not to hold back appends for long.
BATCH_SIZE = 500
#: How long a projection that failed waits before trying its event again, in seconds.
RETRY_FAILED_AFTER_S = 30.0

_EVENT_SELECT = [events_table.c[name] for name in _EVENT_COLUMNS]
_HEADERS = ("position", "stream_id", "stream_version", "event_id", "event_type", "schema_version", "occurred_at",
            "recorded_at", "actor_id", "actor_role", "legal_basis")  # fmt: skip
_HEADER_SELECT = [events_table.c[name] for name in _HEADERS]


_PAUSE_GUARD = threading.Lock()
_pauses = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector held off for one batch.

    A batch makes tens of thousands of short-lived objects (rows, payloads, events,
    states) while the projection keeps thousands of cases' states alive; left on,
    the collector runs a full collection over all of them every few hundred events,
    which cost more than half the catch-up's time. What a batch throws away is
    freed by reference counting as it goes; the few cycles wait for the collector's
    next run after the batch (it runs again on the process's next allocations).
    Nested and concurrent pauses are counted: the collector comes back when the
    last one ends, and only if it was on before the first."""
    global _pauses, _resume
    with _PAUSE_GUARD:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSE_GUARD:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def _header_event(row: Any) -> StoredEvent:
    """An event's header as a StoredEvent with an empty payload, for a projection that
    reads headers only (``headers_only``): no payload is read or parsed."""
    (position, stream_id, stream_version, event_id, event_type, schema_version, occurred_at, recorded_at, actor_id,
     actor_role, legal_basis) = row  # fmt: skip
    return StoredEvent(position=position, stream_id=stream_id, stream_version=stream_version, event_id=event_id,
                       event_type=event_type, schema_version=schema_version, occurred_at=parse_timestamp(occurred_at),
                       recorded_at=parse_timestamp(recorded_at), actor_id=actor_id, actor_role=actor_role,
                       legal_basis=legal_basis, payload={}, payload_hash="", prev_hash="", hash="")  # fmt: skip


class Projection(Protocol):
    """One read model: a name, its tables, and how a batch of events changes them."""

    name: str

    @property
    def tables(self) -> tuple[Table, ...]:
        """Its tables (read only: a class attribute of any length of tuple will do)."""

    def apply(self, conn: Connection, generation: int, events: Sequence[StoredEvent]) -> None:
        """Write what ``events`` change into ``generation``'s rows (inside the batch's transaction)."""

    def forget(self) -> None:
        """Drop what is cached in memory (after a rolled-back batch, or for a rebuild)."""


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag_events: int
    #: How long ago the oldest event not yet projected was recorded (0 when up to date).
    lag_seconds: float
    generation: int
    updated_at: datetime
    rebuilding: bool
    failed_position: int | None
    failed_type: str | None
    failure: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "lag_events": self.lag_events,
            "lag_seconds": round(self.lag_seconds, 3),
            "generation": self.generation,
            "updated_at": self.updated_at.isoformat(),
            "rebuilding": self.rebuilding,
            "failed_position": self.failed_position,
            "failed_type": self.failed_type,
            "failure": self.failure,
        }


class ProjectionFailed(Exception):
    def __init__(self, name: str, position: int, event_type: str, error: BaseException) -> None:
        super().__init__(f"projection {name} failed on event {position} ({event_type}): {error!r}")
        self.name, self.position, self.event_type, self.error = name, position, event_type, error


def create_schema(store: EventStore, names: Sequence[str]) -> None:
    """A state row per projection name, if missing; safe to call again. No DDL: the read
    models' tables are made by the schema's revisions (``eventlog.migrations``), like the
    log's, and a rebuild writes a new generation into the same tables."""
    with store.engines.write.begin() as conn:
        known = set(conn.execute(select(projection_state.c.name)).scalars())
        now = format_timestamp(datetime.now(UTC))
        for name in names:
            if name not in known:
                conn.execute(insert(projection_state).values(name=name, position=0, generation=1, updated_at=now))


class Projector:
    """Runs projections over the event log, batch by batch."""

    def __init__(
        self,
        store: EventStore,
        projections: Sequence[Projection],
        *,
        batch_size: int = BATCH_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.projections = {p.name: p for p in projections}
        self.batch_size = batch_size
        self.clock = clock
        self._failed_at: dict[str, float] = {}
        self.last_failure: ProjectionFailed | None = None

    def create_schema(self) -> None:
        create_schema(self.store, list(self.projections))

    # -- one batch -----------------------------------------------------------------

    def step(self, name: str, *, rebuild: bool = False) -> int:
        """Project one batch for ``name`` (its live generation, or the rebuild's); the number of events."""
        projection = self.projections[name]
        try:
            # The batch's rows, events and states are made and dropped inside ``_step``, so they
            # are freed before the collector comes back: alive then, its first collections would
            # go over every one of them (a fifth of the catch-up's time).
            with collector_paused():
                projected, failure = self._step(projection, rebuild)
        except BaseException:
            projection.forget()  # the batch rolled back: what the cache saw may not be in the tables
            raise
        if failure is not None:
            projection.forget()
            self._record_failure(failure)
            raise failure
        self._failed_at.pop(name, None)
        return projected

    def _step(self, projection: Projection, rebuild: bool) -> tuple[int, ProjectionFailed | None]:
        """``step``'s batch in one transaction: the events projected, and the failure that stopped it."""
        name = projection.name
        with self.store.engines.write.begin() as conn:
            state = conn.execute(
                select(projection_state).where(projection_state.c.name == name).with_for_update()
            ).one()
            if rebuild:
                if state.next_generation is None:
                    return 0, None
                generation, position = state.next_generation, state.next_position
            else:
                generation, position = state.generation, state.position
            headers_only = getattr(projection, "headers_only", False)
            rows = conn.execute(
                select(*(_HEADER_SELECT if headers_only else _EVENT_SELECT))
                .where(events_table.c.position > position)
                .order_by(events_table.c.position)
                .limit(self.batch_size)
            ).all()  # one fetch for the batch (row by row, the driver's calls cost more than the rows)
            batch = [_header_event(row) if headers_only else stored_event_from_row(tuple(row)) for row in rows]
            del rows
            if not batch:
                return 0, None
            projected, failure = self._apply(projection, conn, generation, batch)
            if projected:
                last = projected[-1].position
                moved = (
                    {"next_position": last}
                    if rebuild
                    else {"position": last, "failed_position": None, "failed_type": None, "failure": None}
                )
                conn.execute(
                    update(projection_state)
                    .where(projection_state.c.name == name)
                    .values(updated_at=format_timestamp(self.clock()), **moved)
                )
        return len(projected), failure

    def _apply(
        self, projection: Projection, conn: Connection, generation: int, batch: list[StoredEvent]
    ) -> tuple[list[StoredEvent], ProjectionFailed | None]:
        """Applies the batch; if it fails, applies it event by event to keep those
        before the one that fails and name that one."""
        try:
            with conn.begin_nested():
                projection.apply(conn, generation, batch)
            return batch, None
        except Exception:  # noqa: BLE001 - find the event it fails on, below
            projection.forget()
        done: list[StoredEvent] = []
        for stored in batch:
            try:
                with conn.begin_nested():
                    projection.apply(conn, generation, [stored])
            except Exception as error:  # noqa: BLE001 - recorded and raised with the event named
                return done, ProjectionFailed(projection.name, stored.position, stored.event_type, error)
            done.append(stored)
        return done, None  # it failed only as a batch (e.g. a cache issue): went through one by one

    def _record_failure(self, failed: ProjectionFailed) -> None:
        self._failed_at[failed.name] = time.monotonic()
        log.error("projection stopped at an event it cannot project", projection=failed.name,
                  position=failed.position, event_type=failed.event_type, error=repr(failed.error))  # fmt: skip
        with self.store.engines.write.begin() as conn:
            conn.execute(
                update(projection_state)
                .where(projection_state.c.name == failed.name)
                .values(failed_position=failed.position, failed_type=failed.event_type,
                        failure=repr(failed.error)[:2000], updated_at=format_timestamp(self.clock()))
            )  # fmt: skip

    # -- running -------------------------------------------------------------------

    def step_together(self, names: Sequence[str]) -> int | None:
        """One batch for several projections at the same position: the events are read
        (and parsed) once and each projection applies them in its own savepoint, in
        one transaction that moves each one's position. A projection that fails stops
        at its event (as in ``step``) while the others move on; their positions then
        differ and the next rounds step them one by one until they meet again.

        Returns the events projected by the projection that got furthest (a failure
        is recorded, kept in ``last_failure`` and not raised, so the others go on);
        None, projecting nothing, when the projections are not at one position."""
        chosen = [self.projections[name] for name in sorted(names)]
        failures: list[ProjectionFailed] = []
        try:
            with collector_paused():  # the batch is dropped before the collector comes back (as in ``step``)
                furthest = self._step_together(chosen, failures)
        except BaseException:
            for projection in chosen:
                projection.forget()
            raise
        if furthest is None:
            return None
        for failure in failures:
            self.projections[failure.name].forget()
            self._record_failure(failure)
        for projection in chosen:
            if projection.name not in {f.name for f in failures}:
                self._failed_at.pop(projection.name, None)
        if failures:
            self.last_failure = failures[0]
        return furthest

    def _step_together(self, chosen: list[Projection], failures: list[ProjectionFailed]) -> int | None:
        """``step_together``'s batch in one transaction; failures are added to ``failures``."""
        with self.store.engines.write.begin() as conn:
            # Locked in name order, as every projector does, so two never wait on each other.
            states = conn.execute(
                select(projection_state).where(projection_state.c.name.in_([p.name for p in chosen]))
                .order_by(projection_state.c.name).with_for_update()
            ).all()  # fmt: skip
            if len(states) != len(chosen) or len({state.position for state in states}) != 1:
                return None
            position = states[0].position
            generations = {state.name: state.generation for state in states}
            rows = conn.execute(
                select(*_EVENT_SELECT).where(events_table.c.position > position)
                .order_by(events_table.c.position).limit(self.batch_size)
            ).all()  # fmt: skip
            batch = [stored_event_from_row(tuple(row)) for row in rows]
            del rows
            if not batch:
                return 0
            furthest = 0
            for projection in chosen:
                projected, failure = self._apply(projection, conn, generations[projection.name], batch)
                if failure is not None:
                    failures.append(failure)
                if projected:
                    furthest = max(furthest, len(projected))
                    conn.execute(
                        update(projection_state).where(projection_state.c.name == projection.name)
                        .values(updated_at=format_timestamp(self.clock()), position=projected[-1].position,
                                failed_position=None, failed_type=None, failure=None)
                    )  # fmt: skip
        return furthest

    def run_once(self) -> int:
        """One batch of each projection that is not waiting after a failure; events projected.

        Projections at the same position share one read of the batch
        (``step_together``); the others step on their own. A projection that
        fails is recorded (``status``, the logs) and left for the next try; the
        others go on."""
        ready = []
        for name in self.projections:
            failed = self._failed_at.get(name)
            if failed is None or time.monotonic() - failed >= RETRY_FAILED_AFTER_S:
                ready.append(name)
        if len(ready) > 1 and self._at_one_position(ready):
            together = self.step_together(ready)
            if together is not None:
                return together
        total = 0
        for name in ready:
            try:
                total += self.step(name)
            except ProjectionFailed as failure:
                self.last_failure = failure
                continue
        return total

    def _at_one_position(self, names: Sequence[str]) -> bool:
        with self.store.engines.read.connect() as conn:
            positions = set(conn.execute(
                select(projection_state.c.position).where(projection_state.c.name.in_(list(names)))).scalars())  # fmt: skip
        return len(positions) == 1

    def catch_up(self, *, max_seconds: float | None = None) -> int:
        """Project until every projection has reached the log's head; events projected.

        Raises ProjectionFailed (naming the event) if a projection stopped at an
        event it cannot project: a caller that needs the read models current
        (a report, the KL delivery) must not go on as if they were."""
        started, total = time.monotonic(), 0
        self.last_failure = None
        while True:
            done = self.run_once()
            total += done
            if done == 0 or (max_seconds is not None and time.monotonic() - started > max_seconds):
                if self.last_failure is not None:
                    raise self.last_failure
                return total

    def run_forever(self, stop: threading.Event, *, idle_s: float = 0.1) -> None:
        """Follow the log until ``stop`` is set (the worker runs this in a thread)."""
        while not stop.is_set():
            try:
                done = self.run_once()
            except Exception as error:  # noqa: BLE001 - a database outage: log, wait, go on
                log.warning("projector round failed; retrying", error=repr(error))
                done = 0
                stop.wait(1.0)
            if done == 0:
                stop.wait(idle_s)

    # -- status and rebuild ----------------------------------------------------------

    def status(self) -> list[ProjectionStatus]:
        now = self.clock()
        with self.store.engines.read.connect() as conn:
            head = conn.execute(select(func.coalesce(func.max(events_table.c.position), 0))).scalar_one()
            rows = conn.execute(select(projection_state).order_by(projection_state.c.name)).all()
            result = []
            for row in rows:
                lag_seconds = 0.0
                if row.position < head:
                    oldest = conn.execute(
                        select(events_table.c.recorded_at).where(events_table.c.position == row.position + 1)
                    ).scalar_one_or_none()
                    if oldest is not None:
                        lag_seconds = max(0.0, (now - parse_timestamp(oldest)).total_seconds())
                result.append(ProjectionStatus(
                    name=row.name, position=row.position, head=head, lag_events=head - row.position,
                    lag_seconds=lag_seconds, generation=row.generation, updated_at=parse_timestamp(row.updated_at),
                    rebuilding=row.next_generation is not None, failed_position=row.failed_position,
                    failed_type=row.failed_type, failure=row.failure,
                ))  # fmt: skip
        return result

    def rebuild(self, name: str, *, progress: Callable[[int], None] | None = None) -> int:
        """Project the whole log again into a new generation, then make it live; events projected.

        Reads keep using the live generation until the swap, which is one
        transaction; the live projection goes on in the meantime."""
        projection = self.projections[name]
        with self.store.engines.write.begin() as conn:
            state = conn.execute(
                select(projection_state).where(projection_state.c.name == name).with_for_update()
            ).one()
            if state.next_generation is None:
                newest = max(state.generation, *(conn.execute(select(func.max(t.c.generation))).scalar() or 0
                                                 for t in projection.tables))  # fmt: skip
                next_generation = newest + 1
                for table in projection.tables:  # leftovers of an abandoned rebuild
                    conn.execute(delete(table).where(table.c.generation == next_generation))
                conn.execute(update(projection_state).where(projection_state.c.name == name)
                             .values(next_generation=next_generation, next_position=0))  # fmt: skip
        projection.forget()
        total = 0
        try:
            while True:
                done = self.step(name, rebuild=True)
                total += done
                if progress is not None and done:
                    progress(total)
                if done == 0 and self._swap_if_caught_up(name):
                    break
        finally:
            projection.forget()
        return total

    def _swap_if_caught_up(self, name: str) -> bool:
        projection = self.projections[name]
        with self.store.engines.write.begin() as conn:
            state = conn.execute(
                select(projection_state).where(projection_state.c.name == name).with_for_update()
            ).one()
            head = conn.execute(select(func.coalesce(func.max(events_table.c.position), 0))).scalar_one()
            if state.next_position < head:
                return False  # events came in meanwhile: another round first
            old = state.generation
            conn.execute(
                update(projection_state)
                .where(projection_state.c.name == name)
                .values(generation=state.next_generation, position=state.next_position, next_generation=None,
                        next_position=None, failed_position=None, failed_type=None, failure=None,
                        updated_at=format_timestamp(self.clock()))
            )  # fmt: skip
        for table in projection.tables:
            with self.store.engines.write.begin() as conn:
                conn.execute(delete(table).where(table.c.generation == old))
        log.info("projection rebuilt", projection=name, generation=old + 1)
        return True


def live_generation(conn: Connection, name: str) -> tuple[int, int]:
    """The generation readers use for projection ``name``, and its position."""
    row = conn.execute(
        select(projection_state.c.generation, projection_state.c.position).where(projection_state.c.name == name)
    ).one_or_none()
    if row is None:
        raise not_set_up(name)
    return row.generation, row.position


def not_set_up(name: str) -> LookupError:
    """What a read of projection ``name`` raises before the projection is set up."""
    return LookupError(f"projection {name} has not been set up; start the worker or run 'samskab projections run'")
