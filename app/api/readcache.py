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

The appeal of the case's latest decision lives in a stream of its own; it is
kept with the case, folded at that stream's version, and checked with it. Both
versions and the keys' erasure are read in one statement (``FreshnessCheck``).

Within one request's moment (``one_moment``: a page, or one API read) a case
is checked once: a page that reads a case's state, its appeal and its hearing
letter shows them all as of that check, not each as of a check of its own.

The access decision itself is never cached: it is made on every read, at the
time of the read, from the state. What is kept is decrypted personal data, in
this process's memory only, for at most ``MAX_CASES`` cases.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activities import readmodels
from domain.appeal import AppealState, appeal_id, fold_appeal
from domain.case.decider import CaseState
from eventlog import EventStore
from eventlog.crypto import ERASED, Erased, KeyUnavailable, is_envelope
from eventlog.freshness import FreshnessCheck
from eventlog.store import stored_event_from_row
from projections.cases import CASE_OPENED

#: How many decoded cases one API process keeps (least recently read dropped first).
MAX_CASES = 64
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_quote = json.encoder.encode_basestring  # the same string escaper as _JSON's (ensure_ascii=False)
#: Where ``EventStore.read_stream_rows`` puts the stream version and the payload.
_VERSION, _TYPE, _PAYLOAD = 2, 4, 11


def timeline_entry_json(position: int, version: int, event_type: str, occurred_at: datetime, actor_id: str,
                        actor_role: str, legal_basis: str | None, data: str) -> bytes:  # fmt: skip
    """One timeline entry as compact JSON, ``data`` being the payload's JSON text.

    The same bytes as ``_JSON.encode`` of the dict ``{"position", "version", "type",
    "occurred_at", "actor": {"id", "role"}, "legal_basis", "data"}`` (a test holds
    them equal), without walking the payload again."""
    return (
        f'{{"position":{position:d},"version":{version:d},"type":{_quote(event_type)},'
        f'"occurred_at":{_quote(occurred_at.isoformat())},"actor":{{"id":{_quote(actor_id)},"role":{_quote(actor_role)}}},'
        f'"legal_basis":{"null" if legal_basis is None else _quote(legal_basis)},"data":{data}}}'
    ).encode()


@dataclass(frozen=True, slots=True)
class DecodedCase:
    """One case as read at ``version``. Shared between requests: never mutate it."""

    case_id: str
    version: int
    #: The keys its personal fields are encrypted with; each must still be live to reuse this.
    key_ids: frozenset[str]
    state: CaseState
    #: ``state`` as JSON (``model_dump(mode="json")``), made once: each read cuts it to what its
    #: reader may see (``visible_state``, a new dict) and never changes what it holds.
    state_json: dict[str, Any]
    #: The timeline, one (event type, entry as JSON) per event; filtered per reader on every read.
    timeline: tuple[tuple[str, bytes], ...]
    #: The stream of the latest decision's appeal (None before a decision), its version when
    #: read (0: no appeal lodged), and the appeal folded from it.
    appeal_stream: str | None = None
    appeal_version: int = 0
    appeal: AppealState | None = None

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams this decoding follows: the case's, and its latest decision's appeal's."""
        return (self.case_id,) if self.appeal_stream is None else (self.case_id, self.appeal_stream)


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


#: The cases checked in the current request's moment (``one_moment``), by case id; None outside one.
_ONE_MOMENT: ContextVar[dict[str, DecodedCase] | None] = ContextVar("samskab_one_moment", default=None)


@contextmanager
def one_moment() -> Iterator[None]:
    """The reads inside see each case as it was when first checked inside (nested: the outer moment)."""
    if _ONE_MOMENT.get() is not None:
        yield
        return
    token = _ONE_MOMENT.set({})
    try:
        yield
    finally:
        _ONE_MOMENT.reset(token)


def _current(case: DecodedCase, versions: dict[str, int], erased: dict[str, bool]) -> bool:
    """Whether ``case`` is what the log holds: its streams still at their versions
    (``versions``: read just now, a stream with no events left out), and every key of its
    personal fields still live (``erased``: each key's status, read just now)."""
    return (
        versions.get(case.case_id) == case.version
        and (case.appeal_stream is None or versions.get(case.appeal_stream, 0) == case.appeal_version)
        and all(erased.get(key_id) is False for key_id in case.key_ids)
    )


class CaseReads:
    """Decoded cases by case id, checked against the log and the key store on every ``get``
    (once per request's moment)."""

    def __init__(self, store: EventStore, keys: Any) -> None:
        self._store = store
        self._keys = keys
        self._freshness = FreshnessCheck(store.engines)
        self._cases: OrderedDict[str, DecodedCase] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, case_id: str) -> DecodedCase | None:
        """The case as the log holds it now (None if it has no events)."""
        moment = _ONE_MOMENT.get()
        if moment is not None and case_id in moment:
            return moment[case_id]
        case = self._current(case_id)
        if moment is not None and case is not None:
            moment[case_id] = case
        return case

    def check_all(self, case_ids: list[str]) -> None:
        """The kept cases among ``case_ids`` checked against the log together (their versions
        and their keys' erasure in one statement), those still current put in this moment: a
        page of several cases then checks each no more. Outside a moment, nothing."""
        moment = _ONE_MOMENT.get()
        if moment is None:
            return
        with self._lock:
            kept = {case_id: self._cases[case_id] for case_id in case_ids if case_id in self._cases}
        kept = {case_id: case for case_id, case in kept.items() if case_id not in moment}
        if not kept:
            return
        versions, erased = self._freshness.now(
            (stream for case in kept.values() for stream in case.streams),
            frozenset().union(*(case.key_ids for case in kept.values())),
        )
        for case_id, case in kept.items():
            if _current(case, versions, erased):
                moment[case_id] = case

    def _current(self, case_id: str) -> DecodedCase | None:
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
        return _current(case, *self._freshness.now(case.streams, case.key_ids))

    def _decode(self, case_id: str) -> DecodedCase | None:
        rows = self._store.read_stream_rows(case_id)
        if not rows or rows[0][_TYPE] != CASE_OPENED:
            return None  # no case: nothing, or an appeal's, the forum's, a delivery's or an erasure's stream
        # Each row read as the store reads it (its one JSON parse) and mapped by the read
        # models' one mapper (decrypt, erased fields as the marker, upcast).
        stored = [stored_event_from_row(row) for row in rows]
        keys_of = {i: _key_ids(s.payload) for i, s in enumerate(stored) if s.may_be_encrypted}
        key_ids = frozenset().union(*keys_of.values())
        keys = _FreshKeys(self._keys, self._keys.erased_now(key_ids) if key_ids else {})
        events, timeline = [], []
        for i, (s, row) in enumerate(zip(stored, rows, strict=True)):
            event, payload = readmodels.decode(s, keys)
            events.append(event)
            # A payload without an encrypted field is sent as its stored text (canonical JSON).
            data = _JSON.encode(payload) if keys_of.get(i) else row[_PAYLOAD]
            entry = timeline_entry_json(s.position, s.stream_version, s.event_type, s.occurred_at, s.actor_id,
                                        s.actor_role, s.legal_basis, data)  # fmt: skip
            timeline.append((s.event_type, entry))
        state = readmodels.fold_case(events)
        version, state_json = rows[-1][_VERSION], state.model_dump(mode="json")
        if state.decision is None:
            return DecodedCase(case_id, version, key_ids, state, state_json, tuple(timeline))
        stream = appeal_id(case_id, state.decision.number)
        appeal_rows = self._store.read_stream_rows(stream)
        if not appeal_rows:
            return DecodedCase(case_id, version, key_ids, state, state_json, tuple(timeline), stream)
        appealed = [stored_event_from_row(row) for row in appeal_rows]
        appeal_keys = frozenset().union(*(_key_ids(s.payload) for s in appealed if s.may_be_encrypted)) - key_ids
        if appeal_keys:
            key_ids |= appeal_keys
            keys = _FreshKeys(self._keys, self._keys.erased_now(key_ids))
        appeal = fold_appeal(readmodels.as_folded(readmodels.to_domain_event(s, keys) for s in appealed))
        return DecodedCase(case_id, version, key_ids, state, state_json, tuple(timeline), stream,
                           appeal_rows[-1][_VERSION], appeal)  # fmt: skip
