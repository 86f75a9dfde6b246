"""Erasure (GDPR art. 17) by crypto-shredding, without breaking the hash chain.

``erase_citizen`` does only what it must: it reads the citizen's cases from
the log, appends the one event the domain decides (``domain.retention``), without
personal data, that records the erasure (who, when, on which basis, which key
and cases), and then destroys the citizen's key. Nothing in the event log is
changed or deleted: the ciphertext stays, the chain still verifies, and every
personal field reads as erased from then on.

Erasure waits until every case of the citizen has closed and its retention
period has ended (``domain/retention.py``: GDPR art. 17(3)(b) and the archival
rules); the erasure event records the retention rule each case met.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from activities import readmodels
from activities.eventlog import log_row
from domain.citizen import is_cpr
from domain.errors import DomainError
from domain.messages import Actor, Role
from domain.phases import Phase
from domain.retention import (
    DEFAULT_KIND,
    CitizensCase,
    EraseCitizensData,
    RetentionPolicy,
    decide_erasure,
    fold_erasure,
    refuse_unless_may_erase,
)
from eventlog import EventStore
from eventlog.keystore import AlreadyErased, KeyStatus, KeyStore


class ErasureRefused(Exception):
    """The erasure may not happen (yet); the message says why and what to do."""

    def __init__(self, message: str, *, field: str, rule: str) -> None:
        super().__init__(message)
        self.message, self.field, self.rule = message, field, rule


@dataclass(frozen=True)
class ErasureResult:
    key_id: str
    cases: tuple[str, ...]
    position: int
    status: KeyStatus


def erasure_stream(key_id: str) -> str:
    return f"erasure-{key_id}"


def find_key(keys: KeyStore, citizen: str) -> str:
    """The key id of a citizen given by CPR number, or of the citizen of a case given by its id."""
    by_cpr = is_cpr(citizen.strip())
    key_id = keys.key_id_for_citizen(citizen.strip()) if by_cpr else keys.key_id_for_stream(citizen)
    if key_id is None:
        raise ErasureRefused(
            f"no citizen key for {'that CPR number' if by_cpr else 'case ' + citizen}: "
            "either nothing personal was recorded, or it was erased already",
            field="citizen",
            rule="erasure.unknown_citizen",
        )
    return key_id


def erase_citizen(
    store: EventStore,
    keys: KeyStore,
    citizen: str,
    *,
    basis: str,
    actor_id: str,
    actor_role: str,
    now: datetime | None = None,
    retention: RetentionPolicy | None = None,
) -> ErasureResult:
    """Records the erasure the domain decides (``domain.retention.decide_erasure``) and destroys the key."""
    actor = Actor(id=actor_id, role=Role(actor_role))
    try:
        refuse_unless_may_erase(actor)  # before the lookup: no one else learns who is known
        key_id = find_key(keys, citizen)
        status = keys.status(key_id)
        stream = erasure_stream(key_id)
        recorded = store.read_stream(stream)
        state = fold_erasure(readmodels.as_folded(readmodels.to_domain_event(stored, keys) for stored in recorded))
        if state.erased and status is not None and not status.erased:
            # An earlier attempt recorded the erasure and stopped before destroying the key: finish it.
            position = recorded[0].position
        else:
            command = EraseCitizensData(
                actor=actor,
                at=now or datetime.now(UTC),
                key_id=key_id,
                basis=basis,
                cases=tuple(_citizens_case(store, keys, case_id) for case_id in (status.streams if status else ())),
                rule=(retention or RetentionPolicy()).rule_for(DEFAULT_KIND),
            )
            (erased,) = decide_erasure(state, command)
            position = store.append(
                stream, state.version, [log_row(erased, str(uuid.uuid4()), erased.payload(), basis.strip())]
            ).first_position
    except DomainError as refused:
        raise ErasureRefused(
            refused.message, field=_OPTIONS.get(refused.field or "", "citizen"), rule=refused.rule
        ) from None
    try:
        final = keys.destroy(key_id, basis.strip())
    except AlreadyErased:
        already = keys.status(key_id)
        assert already is not None  # destroyed before, so it is there
        final = already
    return ErasureResult(key_id, status.streams if status else (), position, final)


#: The command line's option for a field the domain names in a refusal.
_OPTIONS = {"actor.role": "--as", "basis": "--basis"}


def _citizens_case(store: EventStore, keys: KeyStore, case_id: str) -> CitizensCase:
    """The case as the log holds it: recorded or not, and when it closed if it is closed now.
    Folded as every reader folds it: a closed case that an appeal reopened (Rsl §§ 66-68) is
    open again, and keeps the citizen's data."""
    stored = store.read_stream(case_id)
    case = readmodels.fold_case(readmodels.to_domain_event(s, keys) for s in stored)
    closed_at = case.phase_since if case.phase is Phase.CLOSED else None
    return CitizensCase(case=case_id, recorded=bool(stored), closed_at=closed_at)
