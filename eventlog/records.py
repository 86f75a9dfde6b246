"""Value types that cross the event log's boundary.

Plain frozen dataclasses: cheap to build in bulk, and free of any domain or
workflow import, so the log stays usable by auditors' tools on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Longest values the columns hold; checked in Python so SQLite (which does not
#: enforce lengths) and PostgreSQL accept exactly the same events.
MAX_STREAM_ID = 64
MAX_EVENT_ID = 36
MAX_EVENT_TYPE = 100
MAX_ACTOR_ID = 64
MAX_ACTOR_ROLE = 32
MAX_LEGAL_BASIS = 100


def check_text(name: str, value: object, max_length: int) -> None:
    """Reject a value that is not a non-empty string fitting its column (and its database)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    if len(value) > max_length:
        raise ValueError(f"{name} is {len(value)} characters long; at most {max_length} are allowed")
    if "\x00" in value:  # PostgreSQL's text cannot hold it: refused here, on SQLite as well
        raise ValueError(f"{name} must not contain a NUL character")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event the caller wants appended; the store adds position, times and hashes.

    ``event_id`` must be made by the writer (in a workflow: ``workflow.uuid4()``)
    so that a retried append is recognised and writes nothing twice.
    ``payload`` must be JSON-serialisable (strings, numbers, booleans, None,
    lists and dicts with string keys).
    """

    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    actor_id: str
    actor_role: str
    payload: dict[str, Any]
    legal_basis: str | None = None

    def __post_init__(self) -> None:
        check_text("event_id", self.event_id, MAX_EVENT_ID)
        check_text("event_type", self.event_type, MAX_EVENT_TYPE)
        check_text("actor_id", self.actor_id, MAX_ACTOR_ID)
        check_text("actor_role", self.actor_role, MAX_ACTOR_ROLE)
        if self.legal_basis is not None:
            check_text("legal_basis", self.legal_basis, MAX_LEGAL_BASIS)
        if isinstance(self.schema_version, bool) or not isinstance(self.schema_version, int) or self.schema_version < 1:
            raise ValueError(f"schema_version must be an integer >= 1, got {self.schema_version!r}")
        if not isinstance(self.occurred_at, datetime) or self.occurred_at.utcoffset() is None:
            raise ValueError(
                f"occurred_at must be a timezone-aware datetime (naive times are ambiguous), got {self.occurred_at!r}"
            )
        if not isinstance(self.payload, dict):
            raise ValueError(f"payload must be a dict, got {type(self.payload).__name__}")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the log holds it, with its place in the stream and the chain."""

    position: int
    stream_id: str
    stream_version: int
    event_id: str
    event_type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    legal_basis: str | None
    payload: dict[str, Any] = field(hash=False)
    payload_hash: str
    prev_hash: str
    hash: str
    #: Whether the payload may hold an encrypted field: False when its stored text has
    #: no envelope key at all (readers then skip the walk); None when not known.
    may_be_encrypted: bool | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class AppendResult:
    """Where an append put its events.

    ``duplicate`` is True when every event was already stored by an earlier
    attempt of the same append; the positions are then those of that attempt.
    """

    stream_id: str
    first_position: int
    last_position: int
    stream_version: int
    positions: tuple[int, ...]
    duplicate: bool


#: The kinds of fault ``EventStore.verify`` can report.
FAULTS = (
    "gap",
    "broken_chain",
    "changed_payload",
    "changed_header",
    "head_mismatch",
    "stream_version_gap",
    "checkpoint_mismatch",
    "tree_mismatch",
    "tree_head_mismatch",
)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of walking the whole chain.

    ``checked`` counts the rows that passed every check; ``head_position`` and
    ``head_hash`` are those of the last such row (0 and the genesis hash for an
    empty log), so an auditor can anchor them outside the system. On a fault,
    ``fault`` names it (one of ``FAULTS``) and ``first_bad_position`` says where.
    """

    ok: bool
    checked: int
    head_position: int
    head_hash: str
    fault: str | None = None
    first_bad_position: int | None = None
    detail: str = ""
    #: The Merkle root (hex, RFC 9162) over the rows walked, when the walk got to the end.
    tree_root: str | None = None

    def __str__(self) -> str:
        if self.ok:
            root = f", Merkle root {self.tree_root}" if self.tree_root else ""
            return (
                f"event log OK: {self.checked} events verified, "
                f"head at position {self.head_position} with hash {self.head_hash}{root}"
            )
        return (
            f"event log BROKEN: {self.fault} at position {self.first_bad_position}: {self.detail} "
            f"({self.checked} events verified before it)"
        )
