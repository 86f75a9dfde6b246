"""Cases decoded for reading, reused only while they are exactly what the log holds.

Every read of a case needs the case rebuilt from its events (the access
decision looks at team membership and consents) and, for the timeline, every
event decrypted and rendered. Both follow from the stored events alone, which
never change (append-only, unique stream versions) except in one way: an
erased key turns personal fields into ``[slettet]``. So a decoded case is
kept, keyed by case id, and used again only after a check against the
database on *every* read:

* the case's stream version is still the one it was decoded at (any new event:
  a revoked consent, a team change, anything, gives a fresh decode), and
* every key its personal fields are encrypted with is still in the key store
  and not erased (an erasure, by this process or any other, gives a fresh
  decode that shows the erased fields as erased).

The access decision itself is never cached: it is made on every read, at the
time of the read, from the state. What is kept is decrypted personal data, in
this process's memory only, for at most ``MAX_CASES`` cases.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from activities import readmodels
from domain.case import CaseState, event_from_record, fold
from eventlog import EventStore, StoredEvent
from eventlog.crypto import ERASED, Erased, KeyUnavailable, is_envelope
from eventlog.schema import citizen_keys

#: How many decoded cases one API process keeps (least recently read dropped first).
MAX_CASES = 64
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True, slots=True)
class DecodedCase:
    """One case as read at ``version``. Shared between requests: never mutate it."""

    case_id: str
    version: int
    #: The keys its personal fields are encrypted with; each must still be live to reuse this.
    key_ids: frozenset[str]
    state: CaseState
    #: The timeline, one (event type, entry as JSON) per event; filtered per reader on every read.
    timeline: tuple[tuple[str, bytes], ...]


def _key_ids(node: Any) -> set[str]:
    """The key ids of every encrypted field in a payload (empty for a payload without one)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_envelope(node):
                found.add(str(node.get("kid")))
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


class _FreshKeys:
    """The key store as ``readmodels`` uses it, with each key's erasure status read just now.

    The key store keeps unwrapped keys in memory; after an erasure by another
    process (``samskab audit erase``) that copy would still decrypt. Here a key
    the database says is erased reads as erased, whatever any cache holds."""

    def __init__(self, keys: Any, erased: dict[str, bool]) -> None:
        self._keys = keys
        self._erased = erased

    def lookup(self, key_id: str) -> bytes | Erased:
        erased = self._erased.get(key_id)
        if erased is None:
            raise KeyUnavailable(f"key {key_id} is not in the key store and not recorded as erased")
        return ERASED if erased else self._keys.lookup(key_id)


class CaseReads:
    """Decoded cases by case id, checked against the log and the key store on every ``get``."""

    def __init__(self, store: EventStore, keys: Any, timeline_entry: Callable[[StoredEvent, dict], dict]) -> None:
        self._store = store
        self._keys = keys
        self._entry = timeline_entry
        self._cases: OrderedDict[str, DecodedCase] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, case_id: str) -> DecodedCase | None:
        """The case as the log holds it now (None if it has no events)."""
        with self._lock:
            kept = self._cases.get(case_id)
        if kept is not None and self._still_current(kept):
            with self._lock:
                if case_id in self._cases:
                    self._cases.move_to_end(case_id)
            return kept
        case = self._decode(case_id)
        if case is not None:
            with self._lock:
                self._cases[case_id] = case
                self._cases.move_to_end(case_id)
                while len(self._cases) > MAX_CASES:
                    self._cases.popitem(last=False)
        return case

    def _still_current(self, case: DecodedCase) -> bool:
        if self._store.stream_version(case.case_id) != case.version:
            return False
        if not case.key_ids:
            return True
        erased = self._key_status(case.key_ids)
        return all(erased.get(key_id) is False for key_id in case.key_ids)

    def _decode(self, case_id: str) -> DecodedCase | None:
        stored = self._store.read_stream(case_id)
        if not stored:
            return None
        keys_of = [_key_ids(s.payload) for s in stored]
        key_ids = frozenset().union(*keys_of)
        keys = _FreshKeys(self._keys, self._key_status(key_ids) if key_ids else {})
        events, timeline = [], []
        for s, encrypted in zip(stored, keys_of, strict=True):
            if encrypted:  # the read models decrypt it (erased fields as the marker)
                payload, _ = readmodels.readable_payload(s, keys)
                events.append(readmodels.to_domain_event(s, keys))
            else:  # nothing to decrypt: skip the read models' walk over the payload looking for ciphertext
                payload = s.payload
                events.append(event_from_record(s.event_type, readmodels._header(s), payload))
            timeline.append((s.event_type, _JSON.encode(self._entry(s, payload)).encode("utf-8")))
        return DecodedCase(case_id, stored[-1].stream_version, key_ids, fold(events), tuple(timeline))

    def _key_status(self, key_ids: Iterable[str]) -> dict[str, bool]:
        """Whether each key is erased (True) or live (False), read now; a key not in the store is left out."""
        erased = or_(citizen_keys.c.erased_at.is_not(None), citizen_keys.c.wrapped_key.is_(None))
        query = select(citizen_keys.c.key_id, erased).where(citizen_keys.c.key_id.in_(sorted(key_ids)))
        with self._store.engines.read.connect() as conn:
            return {key_id: bool(is_erased) for key_id, is_erased in conn.execute(query)}
