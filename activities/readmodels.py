"""Read models built from the event log alone: a case's events as domain events,
and the case rebuilt from them (it must equal what the workflow holds).

Personal fields are decrypted here with the citizen's key. Once that key is
destroyed (erasure), an event that held personal data cannot honestly become a
domain event again (a CPR number that reads "[slettet]" is no CPR number), so
it is read as an ``ErasedRecord``: its header, and its payload with every
personal field replaced by the marker. Nothing fake goes through the domain's
validators."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from domain.case.closing import CaseClosed
from domain.case.decider import CaseState, event_from_record, fold
from domain.messages import Event
from domain.personal_data import ERASED_MARKER
from domain.phases import Phase
from eventlog import EventLogError, EventStore, StoredEvent
from eventlog.crypto import Erased, decrypt_fields
from eventlog.keystore import KeyStore


class PersonalDataErased(EventLogError):
    """The case holds events whose personal fields were erased; it cannot be rebuilt as a domain state."""


@dataclass(frozen=True, slots=True)
class ErasedRecord:
    """An event whose personal fields can no longer be read: the citizen's key was destroyed."""

    position: int
    stream_version: int
    event_type: str
    occurred_at: datetime
    actor_id: str
    actor_role: str
    legal_basis: str | None
    payload: dict[str, Any]
    erased_fields: tuple[str, ...]
    erased: bool = True


def event_header(schema_version: int, occurred_at: datetime, actor_id: str, actor_role: str) -> dict[str, Any]:
    """The header fields a domain event is rebuilt with, from the log's columns."""
    return {"schema_version": schema_version, "occurred_at": occurred_at, "actor": {"id": actor_id, "role": actor_role}}


class Keys(Protocol):
    """What reading needs of a key store: a key by its id, or word that it was erased."""

    def lookup(self, key_id: str) -> bytes | Erased: ...


def readable_payload(stored: StoredEvent, keys: Keys) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The payload in plaintext, with erased fields as the marker, and which fields were erased."""
    if stored.may_be_encrypted is False:  # its stored text has no envelope: nothing to walk or decrypt
        return stored.payload, ()
    return decrypt_fields(stored.payload, stored.event_id, keys.lookup, ERASED_MARKER)


def decode(stored: StoredEvent, keys: Keys) -> tuple[Event | ErasedRecord, dict[str, Any]]:
    """The event as a domain event (or an ``ErasedRecord``) and its readable payload, decrypted once."""
    payload, erased = readable_payload(stored, keys)
    if erased:
        record = ErasedRecord(
            position=stored.position,
            stream_version=stored.stream_version,
            event_type=stored.event_type,
            occurred_at=stored.occurred_at,
            actor_id=stored.actor_id,
            actor_role=stored.actor_role,
            legal_basis=stored.legal_basis,
            payload=payload,
            erased_fields=erased,
        )
        return record, payload
    header = event_header(stored.schema_version, stored.occurred_at, stored.actor_id, stored.actor_role)
    return event_from_record(stored.event_type, header, payload), payload


def to_domain_event(stored: StoredEvent, keys: KeyStore) -> Event | ErasedRecord:
    return decode(stored, keys)[0]


def as_folded(events: Iterable[Event | ErasedRecord]) -> Iterable[Event]:
    """The events for the domain's folds, erased records among them as they come: ``evolve`` is
    total, so it passes over a record it does not know and counts it toward the version. The
    domain's types name only its events, hence the cast (``rebuild_case`` refuses erased cases)."""
    return cast("Iterable[Event]", events)


def case_events(store: EventStore, case_id: str, keys: KeyStore) -> list[Event | ErasedRecord]:
    return [to_domain_event(stored, keys) for stored in store.read_stream(case_id)]


def fold_case(events: Iterable[Event | ErasedRecord]) -> CaseState:
    """The case as a reader shows it, from its decoded events: the one fold the API,
    its read cache and the read models share.

    An erased event counts toward the version only (its facts cannot be read back).
    A case with one is a case whose citizen was erased, which happens only once every
    case of theirs has closed (``app/erasure.py``): it reads as closed, as the case
    list shows it (``projections.cases``), never as the phase its readable events alone
    would leave it in. The workflow does not fold such a case at all (it has ended),
    and ``rebuild_case`` refuses to."""
    events = list(events)
    state = fold(events)  # type: ignore[arg-type]
    erased = [e for e in events if isinstance(e, ErasedRecord)]
    if not erased or state.phase is Phase.CLOSED:
        return state
    closed = next((e for e in reversed(erased) if e.event_type == CaseClosed.model_fields["type"].default), erased[-1])
    return state.model_copy(update={"phase": Phase.CLOSED, "phase_since": closed.occurred_at})


def rebuild_case(store: EventStore, case_id: str, keys: KeyStore) -> CaseState:
    """``fold(evolve, initial_state(), events)`` over what the log holds for the case.

    Raises PersonalDataErased for a case whose citizen was erased: its state
    without the erased facts would not be the case's state."""
    events = case_events(store, case_id, keys)
    erased = [e for e in events if isinstance(e, ErasedRecord)]
    if erased:
        raise PersonalDataErased(
            f"case {case_id}: the citizen's personal data was erased ({len(erased)} events hold erased fields); "
            "read it with the erased view instead of rebuilding it"
        )
    return fold(as_folded(events))


def case_view(store: EventStore, case_id: str, keys: KeyStore) -> list[dict[str, Any]]:
    """Every event of the case for reading: header, payload in plaintext, erased fields as the marker."""
    view = []
    for stored in store.read_stream(case_id):
        payload, erased = readable_payload(stored, keys)
        view.append(
            {
                "position": stored.position,
                "version": stored.stream_version,
                "type": stored.event_type,
                "occurred_at": stored.occurred_at.isoformat(),
                "actor": f"{stored.actor_id} ({stored.actor_role})",
                "legal_basis": stored.legal_basis,
                "payload": payload,
                "erased_fields": list(erased),
            }
        )
    return view


def parse_as_of(text: str) -> int | datetime:
    """``as_of`` as a caseworker or a client writes it: a log position (digits), or a
    date and time with its zone (ISO 8601, e.g. 2026-03-01T12:00:00+01:00). Raises
    ValueError naming the rule."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "as_of is a log position (a whole number) or a date and time with its zone, e.g. 2026-03-01T12:00:00+01:00"
        ) from None
    if moment.utcoffset() is None:
        raise ValueError("as_of needs its time zone, e.g. 2026-03-01T12:00:00+01:00")
    return moment


def case_as_of(store: EventStore, case_id: str, keys: KeyStore, as_of: int | datetime) -> CaseState:
    """The case as it stood at a log position or a moment: its events up to then, folded
    (time travel). Raises PersonalDataErased for a case whose citizen was erased."""
    stored = store.read_stream(case_id)
    upto = [s for s in stored if (s.position <= as_of if isinstance(as_of, int) else s.occurred_at <= as_of)]
    events = [to_domain_event(s, keys) for s in upto]
    if any(isinstance(e, ErasedRecord) for e in events):
        raise PersonalDataErased(
            f"case {case_id}: the citizen's personal data was erased; it cannot be shown as it stood"
        )
    return fold(as_folded(events))
