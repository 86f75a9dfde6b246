"""Activities that write a case's events to the event log.

Plain ``def`` activities: SQLAlchemy blocks, so the worker runs them in a
thread pool instead of on the event loop.

Personal fields (``domain.personal_data``) are encrypted here, with the
citizen's key, before the event reaches the log: the workflow and the domain
work with plaintext, the log holds ciphertext, and its hash chain covers the
ciphertext."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messages import (
    AppendReceipt,
    AppendRequest,
    ForumTextErasure,
    PilotProposal,
    RecordedEvent,
    event_key_stream,
)
from activities.readmodels import ErasedRecord, to_domain_event
from domain.case.follow_up import HelpDecided
from domain.forum import ForumEntry, holds_entry_text
from domain.messages import ISSUER_FIELD, Event
from domain.personal_data import SUBJECT_IDENTIFIER, personal_paths
from eventlog import ConcurrencyConflict, EventStore, IdempotencyMismatch, NewEvent, StoredEvent
from eventlog.crypto import encrypt_fields, envelopes
from eventlog.keystore import AlreadyErased, KeyStore
from eventlog.migrations import ensure_schema


def open_event_store(url: str, *, upgrade: bool = True) -> EventStore:
    """The event log at ``url``, its schema at this release's revision.

    ``upgrade``: bring the schema there if it is not (the embedded development stack,
    tests); otherwise (production) only check it, and raise ``SchemaMismatch``, which
    names both revisions and the command to run, without any DDL."""
    store = EventStore.from_url(url)
    try:
        ensure_schema(store.engines.write, upgrade_allowed=upgrade)
    except BaseException:
        store.dispose()
        raise
    return store


def _lookup(payload: dict, path: str):
    node = payload
    for name in path.split("."):
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
    return node


def protect_payload(keys: KeyStore, case_id: str, event_type: str, event_id: str, payload: dict) -> dict:
    """The payload as the log stores it: its personal fields encrypted with the citizen's key."""
    paths = personal_paths(event_type)
    if not paths:
        return payload
    identifier_path = SUBJECT_IDENTIFIER.get(event_type)
    identifier = _lookup(payload, identifier_path) if identifier_path else None
    if isinstance(identifier, str) and identifier:
        key_id, key = keys.key_for_citizen(identifier, case_id)
    else:
        key_id, key = keys.key_for_stream(case_id)
    return encrypt_fields(payload, paths, key, key_id, event_id)


def to_new_event(recorded: RecordedEvent, keys: KeyStore, key_stream: str) -> NewEvent:
    """The event as the log stores it, its personal fields under ``key_stream``'s key
    (the event's own stream, or for an appeal its case)."""
    event = recorded.event
    payload = protect_payload(keys, key_stream, event.type, recorded.event_id, event.payload())
    if recorded.issuer is not None:
        # Inside the payload, so the existing payload hash covers it (no new column, no new hash format).
        payload = {**payload, ISSUER_FIELD: recorded.issuer}
    return log_row(event, recorded.event_id, payload)


def log_row(event: Event, event_id: str, payload: dict[str, Any], legal_basis: str | None = None) -> NewEvent:
    """The log's row of a domain event: its header from the event, its payload as given (its
    personal fields protected or not), its legal basis the event's own unless one is given."""
    return NewEvent(
        event_id=event_id,
        event_type=event.type,
        schema_version=event.schema_version,
        occurred_at=event.occurred_at,
        actor_id=event.actor.id,
        actor_role=event.actor.role.value,
        legal_basis=event.legal_basis() if legal_basis is None else legal_basis,
        payload=payload,
    )


#: The event a case's decision about its help is recorded as (``domain.case.follow_up``).
HELP_DECIDED = HelpDecided.model_fields["type"].default


class EventLogActivities:
    def __init__(self, store: EventStore, keys: KeyStore) -> None:
        self._store = store
        self._keys = keys

    @activity.defn(name="pilot_proposal")
    def pilot_proposal(self, request: PilotProposal) -> str | None:
        """The proposal a case's decision to scale its help made to this forum, read from
        the case's event log (decrypted); None when the log holds no such decision, so a
        signal no case sent brings nothing into the forum."""
        from activities.readmodels import readable_payload

        for stored in self._store.read_stream(request.case_id):
            if stored.event_type != HELP_DECIDED or stored.payload.get("number") != request.decision_number:
                continue
            if stored.payload.get("choice") != "scale" or stored.payload.get("forum_id") != request.forum_id:
                return None
            payload, erased = readable_payload(stored, self._keys)
            text = payload.get("forum_proposal")
            return text if isinstance(text, str) and "forum_proposal" not in erased else None
        return None

    @activity.defn(name="erase_forum_text")
    def erase_forum_text(self, request: ForumTextErasure) -> int:
        """Destroys the keys of the events that hold a forum entry's texts; how many it destroyed.

        Each forum text is under its own event's key (``key_per_event``). A text under
        a key that other texts share is refused, not erased with them all."""
        entry, destroyed = ForumEntry(request.entry), 0
        for stored in self._store.read_stream(request.stream_id):
            if not holds_entry_text(entry, request.number, stored.event_type, stored.payload):
                continue
            own = self._keys.key_id_for_stream(event_key_stream(stored.event_id))
            for key_id in sorted({str(envelope.get("kid")) for _, envelope in envelopes(stored.payload)}):
                if key_id != own:
                    raise ApplicationError(
                        f"forum event {stored.position} keeps its text under key {key_id}, which other texts share: "
                        "destroying it would erase them all", type="SharedKey", non_retryable=True)  # fmt: skip
                try:
                    self._keys.destroy(key_id, request.basis)
                    destroyed += 1
                except AlreadyErased:
                    pass  # a retry after the key went: done
        return destroyed

    @activity.defn(name="append_case_events")
    def append(self, request: AppendRequest) -> AppendReceipt:
        try:
            result = self._store.append(
                request.case_id,
                request.expected_version,
                [to_new_event(recorded, self._keys, event_key_stream(recorded.event_id) if request.key_per_event
                              else request.key_of or request.case_id) for recorded in request.events],
            )  # fmt: skip
        except (ConcurrencyConflict, IdempotencyMismatch) as error:
            held = self._what_the_log_holds(request) if request.reconcile else None
            if held is not None:
                return held
            # Retrying cannot help: another writer owns this stream position.
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        except AlreadyErased as error:
            # The citizen's key was destroyed: nothing personal can be written for them again.
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        if result.duplicate and request.reconcile:
            held = self._what_the_log_holds(request)
            if held is not None:
                return held
        return AppendReceipt(
            positions=list(result.positions), version=result.stream_version, duplicate=result.duplicate
        )

    def _what_the_log_holds(self, request: AppendRequest) -> AppendReceipt | None:
        """What the log already holds after the expected version, for a workflow to fold.

        A local activity runs before its workflow task is finished; if the
        worker dies in between, the next worker decides the same command again
        (with a later clock) while the log already holds the first decision.
        The log is the record, so the workflow adopts it: this very batch as
        first written when its event ids are there, else every event after the
        expected version (written by a lost workflow task of the same case),
        after which the workflow decides again. When the batch's ids are all
        stored at or before the expected version, the workflow folded them
        that way and now decides the same command again (``folded_before``).
        None when the log holds nothing of this: then the conflict is real."""
        ids = {recorded.event_id for recorded in request.events}
        after = self._store.read_stream(request.case_id, after_version=request.expected_version)
        if not after:
            return self._folded_before(request, ids)
        own = [stored for stored in after if stored.event_id in ids]
        if own and [stored.event_id for stored in after[: len(own)]] == [stored.event_id for stored in own]:
            return AppendReceipt(
                positions=[stored.position for stored in own],
                version=own[-1].stream_version,
                duplicate=True,
                stored=[self._as_recorded(stored) for stored in own],
            )
        return AppendReceipt(
            positions=[stored.position for stored in after],
            version=after[-1].stream_version,
            duplicate=False,
            stored=[self._as_recorded(stored) for stored in after],
            log_was_ahead=True,
        )

    def _folded_before(self, request: AppendRequest, ids: set[str]) -> AppendReceipt | None:
        """The batch as first written, when all of it is stored, in order, at or before the
        expected version; None otherwise. (Read only on this rare path: a stream's events.)"""
        own = [stored for stored in self._store.read_stream(request.case_id) if stored.event_id in ids]
        in_order = [stored.event_id for stored in own] == [recorded.event_id for recorded in request.events]
        if not own or not in_order or any(b.stream_version != a.stream_version + 1 for a, b in pairwise(own)):
            return None
        return AppendReceipt(
            positions=[stored.position for stored in own],
            version=own[-1].stream_version,
            duplicate=True,
            stored=[self._as_recorded(stored) for stored in own],
            folded_before=True,
        )

    def _as_recorded(self, stored: StoredEvent) -> RecordedEvent:
        event = to_domain_event(stored, self._keys)
        if isinstance(event, ErasedRecord):
            raise ApplicationError(
                f"case {stored.stream_id}: event {stored.event_id} at version {stored.stream_version} "
                "holds erased personal data; the workflow cannot fold it",
                type="AlreadyErased",
                non_retryable=True,
            )
        return RecordedEvent(event_id=stored.event_id, event=event)
