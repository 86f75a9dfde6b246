"""Activities that write a case's events to the event log.

Plain ``def`` activities: SQLAlchemy blocks, so the worker runs them in a
thread pool instead of on the event loop."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messages import AppendReceipt, AppendRequest, RecordedEvent
from eventlog import ConcurrencyConflict, EventStore, IdempotencyMismatch, NewEvent


def open_event_store(url: str) -> EventStore:
    """The event log at ``url``, with its tables in place."""
    store = EventStore.from_url(url)
    store.create_schema()
    return store


def to_new_event(recorded: RecordedEvent) -> NewEvent:
    event = recorded.event
    return NewEvent(
        event_id=recorded.event_id,
        event_type=event.type,
        schema_version=event.schema_version,
        occurred_at=event.occurred_at,
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        legal_basis=event.legal_basis(),
        payload=event.payload(),
    )


class EventLogActivities:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    @activity.defn(name="append_case_events")
    def append(self, request: AppendRequest) -> AppendReceipt:
        try:
            result = self._store.append(
                request.case_id,
                request.expected_version,
                [to_new_event(recorded) for recorded in request.events],
            )
        except (ConcurrencyConflict, IdempotencyMismatch) as error:
            # Retrying cannot help: another writer owns this stream position.
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        return AppendReceipt(positions=list(result.positions), version=result.stream_version, duplicate=result.duplicate)
