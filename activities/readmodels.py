"""Read models built from the event log alone: a case's events as domain events,
and the case rebuilt from them (it must equal what the workflow holds)."""

from __future__ import annotations

from domain.case import CaseState, event_from_record, fold
from domain.messages import Event
from eventlog import EventStore, StoredEvent


def to_domain_event(stored: StoredEvent) -> Event:
    header = {
        "schema_version": stored.schema_version,
        "occurred_at": stored.occurred_at,
        "actor": {"id": stored.actor_id, "role": stored.actor_role},
    }
    return event_from_record(stored.event_type, header, stored.payload)


def case_events(store: EventStore, case_id: str) -> list[Event]:
    return [to_domain_event(stored) for stored in store.read_stream(case_id)]


def rebuild_case(store: EventStore, case_id: str) -> CaseState:
    """``fold(evolve, initial_state(), events)`` over what the log holds for the case."""
    return fold(case_events(store, case_id))
