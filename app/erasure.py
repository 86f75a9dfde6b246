"""Erasure (GDPR art. 17) by crypto-shredding, without breaking the hash chain.

``erase_citizen`` does only what it must: it appends one event, without
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

from domain.case.closing import CaseClosed
from domain.catalogue import type_of
from domain.citizen import is_cpr
from domain.messages import Actor, Role
from domain.personal_data import ERASURE_ROLES
from domain.retention import (
    DEFAULT_KIND,
    PersonalDataErased,
    RetainedCase,
    RetentionPolicy,
    erasure_refusal,
    retained_until,
)
from eventlog import EventStore, NewEvent
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
    if actor_role not in ERASURE_ROLES:
        raise ErasureRefused(
            f"only {' or '.join(ERASURE_ROLES)} may erase a citizen's personal data; you act as {actor_role}",
            field="--as",
            rule="erasure.role_not_allowed",
        )
    if not basis or not basis.strip():
        raise ErasureRefused(
            "say the legal basis of the erasure, e.g. 'GDPR art. 17(1)(a)'",
            field="--basis",
            rule="erasure.basis_required",
        )
    key_id = find_key(keys, citizen)
    status = keys.status(key_id)
    if status is None or status.erased:
        raise ErasureRefused(
            f"the citizen's key {key_id} was already destroyed", field="citizen", rule="erasure.already_erased"
        )
    now = now or datetime.now(UTC)
    rule = (retention or RetentionPolicy()).rule_for(DEFAULT_KIND)
    retained: list[RetainedCase] = []
    for case_id in status.streams:
        stored = store.read_stream(case_id)
        closed = [e for e in stored if e.event_type == type_of(CaseClosed)]
        if stored and not closed:
            raise ErasureRefused(
                f"case {case_id} is still open; close it before erasing the citizen's personal data",
                field="citizen",
                rule="erasure.case_open",
            )
        if closed:
            closed_at = closed[-1].occurred_at
            reason = erasure_refusal(case_id, closed_at, now.date(), rule)
            if reason is not None:
                raise ErasureRefused(reason, field="citizen", rule="erasure.retention_running")
            retained.append(
                RetainedCase(
                    case=case_id,
                    closed=closed_at.date(),
                    retained_until=retained_until(closed_at, rule),
                    rule=rule.source,
                )
            )
    stream = erasure_stream(key_id)
    recorded = store.read_stream(stream)
    if recorded:
        position = recorded[0].position  # an earlier attempt recorded it; finish the job
    else:
        erased = PersonalDataErased(occurred_at=datetime.now(UTC), actor=Actor(id=actor_id, role=Role(actor_role)),
                                    key_id=key_id, cases=tuple(status.streams), retention=tuple(retained))  # fmt: skip
        event = NewEvent(
            event_id=str(uuid.uuid4()),
            event_type=erased.type,
            schema_version=erased.schema_version,
            occurred_at=erased.occurred_at,
            actor_id=actor_id,
            actor_role=actor_role,
            legal_basis=basis.strip(),
            payload=erased.payload(),
        )
        position = store.append(stream, 0, [event]).first_position
    try:
        final = keys.destroy(key_id, basis.strip())
    except AlreadyErased:
        already = keys.status(key_id)
        assert already is not None  # destroyed before, so it is there
        final = already
    return ErasureResult(key_id, status.streams, position, final)
