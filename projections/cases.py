"""The case read models: one summary row per case, its team, its work items,
the blind index of the citizen's name, and its contribution to the learning
report.

A case is a stream whose first event is ``need_registered``. An appeal
stream (first event ``appeal_window_opened``) is shown inside its case, never
as a case of its own; an erasure (``personal_data_erased``) marks its cases
erased. Every other stream (the forum, the KL deliveries) is no case.

Each row follows from the case's state (``domain.case_summary``), which this
projection keeps by folding the case's events as they come, through the one
decoding path every reader uses (``activities.readmodels.decode``: decryption,
erased fields as the marker, upcasting). States are kept in memory for the
most recently changed open cases; a case not kept is folded again from its stream
(up to the event at hand), so a restart or a second projector gives the same
rows.

An erased case (its key destroyed; erasure is only allowed once every case of
the citizen is closed, see ``app/erasure.py``) is shown as closed and erased,
with no name in the index and no work items: its events no longer fold into
the state they once did.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from activities.readmodels import ErasedRecord, decode, marked_event, to_domain_event
from activities.reports import PILOT_STARTED, READ_TYPES, CaseFacts, readable_for_report
from domain import catalogue
from domain.appeal import AppealState, AppealWindowOpened, evolve_appeal, initial_appeal_state
from domain.case.deadlines import PhaseDeadlines
from domain.case.decider import CaseState, fold, initial_state
from domain.case.need import NeedRegistered
from domain.case_summary import CaseSummary, name_tokens, summarise, work_items
from domain.phases import Phase
from domain.retention import ERASURE_EVENT, PersonalDataErased
from eventlog import EventStore, StoredEvent
from eventlog.crypto import is_envelope
from eventlog.hashing import format_timestamp
from eventlog.keystore import KeyStore
from projections.schema import (
    NO_DEADLINE,
    case_members,
    case_summaries,
    deadline_misses,
    name_index,
    phase_totals,
    report_cases,
)
from projections.schema import work_items as work_items_table
from projections.writes import insert_rows

#: The first event of a case's stream and of an appeal's, as the domain names them.
CASE_OPENED = NeedRegistered.model_fields["type"].default
APPEAL_OPENED = AppealWindowOpened.model_fields["type"].default
#: How many open cases' states are kept in memory between batches.
STATES_KEPT = 5_000

CASE, APPEAL, ERASURE, OTHER = "case", "appeal", "erasure", "other"


@dataclass
class _Case:
    """What the projection keeps of one case between events."""

    state: CaseState = field(default_factory=initial_state)
    facts: CaseFacts = field(default_factory=CaseFacts)
    erased: bool = False
    citizen_key: str | None = None
    appeal_stream: str | None = None
    appeal: AppealState | None = None
    last_changed_at: datetime | None = None
    last_position: int = 0
    #: The stream version seen so far (erased events count, as in the log).
    version: int = 0
    #: Decoded events not yet folded into ``state``: a batch folds each case once.
    pending: list = field(default_factory=list)
    #: Whether the case has rows in the generation being written (None: not known, so its old rows are read
    #: and deleted), and the phase and erased flag of the summary row written last (when it has rows).
    has_rows: bool | None = None
    written: tuple[str, bool] | None = None

    def settled(self) -> CaseState:
        """The state with every event seen folded in (an erased one counts toward the version only)."""
        if self.pending:
            self.state = fold(self.pending, self.state)
            self.pending.clear()
        return self.state


def _key_id(payload: Any) -> str | None:
    stack = [payload]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_envelope(node):
                return str(node.get("kid"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


#: The event types that record a missed deadline of the municipality's, and its kind (declared on the events).
MISSED_DEADLINES: dict[str, str] = catalogue.missed_deadline_kinds()


class CaseProjection:
    """Case summaries, teams, work items, the name index and the report's per-case facts."""

    name = "cases"
    tables = (case_summaries, case_members, work_items_table, name_index, report_cases, phase_totals, deadline_misses)
    #: The tables with a row (or rows) per case, replaced as a case changes.
    per_case = (case_summaries, case_members, work_items_table, name_index, report_cases)

    def __init__(
        self, store: EventStore, keys: KeyStore, deadlines: PhaseDeadlines, *, kept: int = STATES_KEPT
    ) -> None:
        self.store = store
        self.keys = keys
        self.deadlines = deadlines
        self.kept = kept
        self._cases: OrderedDict[str, _Case] = OrderedDict()
        self._kinds: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        #: The position right after the last event projected here: a batch starting elsewhere drops the kept states.
        self._next_position = -1

    def forget(self) -> None:
        self._cases.clear()
        self._next_position = -1

    # -- which stream is what --------------------------------------------------------

    def _kind(self, stored: StoredEvent) -> tuple[str, str | None]:
        """(kind, the case it belongs to) of the event's stream, from the stream's first event."""
        known = self._kinds.get(stored.stream_id)
        if known is not None:
            return known
        kind: tuple[str, str | None]
        first = stored if stored.stream_version == 1 else self.store.read_stream(stored.stream_id)[0]
        if first.event_type == CASE_OPENED:
            kind = (CASE, first.stream_id)
        elif first.event_type == APPEAL_OPENED:
            kind = (APPEAL, str(first.payload.get("case_id")))
        elif first.event_type == ERASURE_EVENT:
            kind = (ERASURE, None)
        else:
            kind = (OTHER, None)
        self._kinds[stored.stream_id] = kind
        if len(self._kinds) > self.kept * 4:
            self._kinds.popitem(last=False)
        return kind

    # -- folding ---------------------------------------------------------------------

    def _case(self, case_id: str, before_position: int) -> _Case:
        """The case as it stood just before ``before_position`` (kept, or folded from the log)."""
        kept = self._cases.get(case_id)
        if kept is not None:
            return kept
        return self._fold_from_log(case_id, before_position)

    def _case_for(self, stored: StoredEvent, case_id: str) -> _Case:
        """The case an event of its own stream continues; a registration starts a new one (nothing to read)."""
        if stored.stream_id == case_id and stored.stream_version == 1:
            # Nothing before its first event wrote a row for the case (an appeal or an erasure comes
            # after the case's own events): its rows are inserted, with nothing to read or delete.
            return _Case(has_rows=False)
        return self._case(case_id, stored.position)

    def _fold_from_log(self, case_id: str, before_position: int) -> _Case:
        case = _Case()
        for stored in self.store.read_stream(case_id):
            if stored.position >= before_position:
                break
            self._see_case_event(case, stored)
        return case

    def _see_case_event(self, case: _Case, stored: StoredEvent) -> None:
        if stored.stream_version == 1:
            case.citizen_key = _key_id(stored.payload)
        event, _ = decode(stored, self.keys)
        if isinstance(event, ErasedRecord):
            case.erased = True
        case.pending.append(event)
        if stored.event_type == PILOT_STARTED:
            case.facts.pilot_started = True
        elif stored.event_type in READ_TYPES:
            # The report reads an erased event's non-personal fields; a readable one is the event itself.
            readable = readable_for_report(stored, self.keys) if isinstance(event, ErasedRecord) else event
            if readable is not None:
                case.facts.see(readable)
        case.version = stored.stream_version
        case.last_position = stored.position
        case.last_changed_at = stored.occurred_at

    def _see_appeal_event(self, case: _Case, stored: StoredEvent) -> None:
        if case.appeal_stream != stored.stream_id or case.appeal is None:
            # A newer decision's appeal replaces the one shown; an earlier one is folded from its stream.
            case.appeal_stream = stored.stream_id
            case.appeal = initial_appeal_state()
            for earlier in self.store.read_stream(stored.stream_id):
                if earlier.position >= stored.position:
                    break
                case.appeal = evolve_appeal(case.appeal, marked_event(earlier, self.keys))
        try:
            case.appeal = evolve_appeal(case.appeal, marked_event(stored, self.keys))
        except ValueError:
            if not case.erased:
                raise
        case.last_position = max(case.last_position, stored.position)
        if case.last_changed_at is None or stored.occurred_at > case.last_changed_at:
            case.last_changed_at = stored.occurred_at

    # -- a batch ---------------------------------------------------------------------

    def apply(self, conn: Connection, generation: int, events: Sequence[StoredEvent]) -> None:
        if not events:
            return
        if events[0].position != self._next_position:
            # Another projector (or a rebuild) projected the events in between: what is kept may be stale.
            self.forget()
        dirty: dict[str, _Case] = {}
        misses: dict[str, int] = {}
        for stored in events:
            kind, case_id = self._kind(stored)
            if kind == OTHER or (kind != ERASURE and case_id is None):
                continue
            missed = MISSED_DEADLINES.get(stored.event_type)
            if missed is not None:
                misses[missed] = misses.get(missed, 0) + 1
            if kind == ERASURE:
                erasure = to_domain_event(stored, self.keys)
                for erased_case in erasure.cases if isinstance(erasure, PersonalDataErased) else ():
                    if self._kind_of_stream(erased_case) != CASE:
                        continue
                    case = dirty.get(erased_case) or self._case(erased_case, stored.position)
                    case.erased = True
                    dirty[erased_case] = case
                continue
            assert case_id is not None
            case = dirty.get(case_id) or self._case_for(stored, case_id)
            if kind == CASE:
                self._see_case_event(case, stored)
            else:
                self._see_appeal_event(case, stored)
            dirty[case_id] = case
        self._add_to_totals(conn, deadline_misses, "kind", generation,
                            {kind: {"missed": n} for kind, n in misses.items()})  # fmt: skip
        if dirty:
            self._write(conn, generation, dirty)
            for case_id, case in dirty.items():
                if case.erased or case.state.phase is Phase.CLOSED:
                    # A closed case seldom changes again (an appeal, a late request for its file), and is
                    # folded from its stream when it does. Kept, the states of every case closed lately
                    # were most of the process's objects, which each of the garbage collector's full
                    # collections went over (about 200 objects a case; 1.2 s a collection at 5,000 cases).
                    self._cases.pop(case_id, None)
                    continue
                self._cases[case_id] = case
                self._cases.move_to_end(case_id)
            while len(self._cases) > self.kept:
                self._cases.popitem(last=False)
        self._next_position = events[-1].position + 1

    def _kind_of_stream(self, stream_id: str) -> str:
        first = self.store.read_stream(stream_id)[:1]
        return self._kind(first[0])[0] if first else OTHER

    def _write(self, conn: Connection, generation: int, dirty: dict[str, _Case]) -> None:
        totals: dict[str, list[int]] = {}  # phase -> [cases, erased] moved by this batch

        def moved(phase: str, erased: bool, by: int) -> None:
            counts = totals.setdefault(phase, [0, 0])
            counts[0] += by
            counts[1] += by * int(erased)

        # A case's old rows are replaced: what its summary row said is known when this projection wrote
        # it (and still keeps the case), read otherwise; a case new in this batch has no rows.
        unread = [case_id for case_id, case in dirty.items() if case.has_rows is None]
        s = case_summaries.c
        for chunk in _chunks(unread, 500):
            for phase, erased in conn.execute(
                select(s.phase, s.erased).where(s.generation == generation, s.case_id.in_(chunk))
            ):
                moved(phase, bool(erased), -1)
        for case in dirty.values():
            if case.has_rows and case.written is not None:
                moved(*case.written, -1)
        replaced = [case_id for case_id, case in dirty.items() if case.has_rows is not False]
        for table in self.per_case:
            for chunk in _chunks(replaced, 500):
                conn.execute(delete(table).where(table.c.generation == generation, table.c.case_id.in_(chunk)))
        summaries, members, items, names, facts = [], [], [], [], []
        for case_id, case in dirty.items():
            state = case.settled()
            summary = summarise(state, self.deadlines, case.appeal)
            summaries.append(self._summary_row(generation, case_id, case, summary))
            facts.append({"generation": generation, "case_id": case_id, "facts": json.dumps(case.facts.as_json())})
            for entry in summary.team:
                members.append({"generation": generation, "case_id": case_id, "person_id": entry.person_id,
                                "kind": entry.kind.value, "status": entry.status.value})  # fmt: skip
            if case.erased:
                continue
            for seq, item in enumerate(work_items(state, self.deadlines, case.appeal)):
                items.append({"generation": generation, "case_id": case_id, "seq": seq, "kind": item.kind,
                              "what": item.what, "role": item.role, "person_id": item.person_id,
                              "due_at": format_timestamp(item.due_at) if item.due_at else NO_DEADLINE})  # fmt: skip
            if state.citizen is not None:
                for token in sorted({self.keys.name_token(w) for w in name_tokens(state.citizen.name)}):
                    names.append({"generation": generation, "token": token, "case_id": case_id})
        for table, rows in ((case_summaries, summaries), (case_members, members), (work_items_table, items),
                            (name_index, names), (report_cases, facts)):  # fmt: skip
            insert_rows(conn, table, rows)
        for row in summaries:
            moved(row["phase"], row["erased"], 1)
            case = dirty[row["case_id"]]
            case.has_rows, case.written = True, (row["phase"], row["erased"])
        by_phase = {phase: {"cases": m[0], "erased": m[1]} for phase, m in totals.items() if m != [0, 0]}
        self._add_to_totals(conn, phase_totals, "phase", generation, by_phase)

    @staticmethod
    def _add_to_totals(conn: Connection, table: Table, key: str, generation: int,
                       added: dict[str, dict[str, int]]) -> None:  # fmt: skip
        """Adds to a table of totals kept per generation and key (``phase_totals``, ``deadline_misses``):
        each key's row is made at zero when it has none, then its counts moved by ``added[key]``."""
        if not added:
            return
        c = table.c
        present = set(conn.execute(select(c[key]).where(c.generation == generation, c[key].in_(list(added)))).scalars())
        missing = [{"generation": generation, key: k, **dict.fromkeys(counts, 0)} for k, counts in added.items()
                   if k not in present]  # fmt: skip
        if missing:
            conn.execute(insert(table), missing)
        for k, counts in added.items():
            conn.execute(update(table).where(c.generation == generation, c[key] == k)
                         .values({name: c[name] + n for name, n in counts.items()}))  # fmt: skip

    def _summary_row(self, generation: int, case_id: str, case: _Case, summary: CaseSummary) -> dict[str, Any]:
        erased = case.erased
        phase = Phase.CLOSED if erased else summary.phase
        return {
            "generation": generation,
            "case_id": case_id,
            "phase": phase.value,
            "phase_since": format_timestamp(summary.phase_since) if summary.phase_since and not erased else None,
            "is_open": phase.is_open,
            "caseworker_id": summary.caseworker_id,
            "target_group": summary.target_group,
            "target_group_display": summary.target_group_display,
            "due_at": format_timestamp(summary.due_at) if summary.due_at and not erased else NO_DEADLINE,
            "due_what": None if erased else summary.due_what,
            "missed": summary.missed and not erased,
            "appeal_status": summary.appeal_status,
            "version": case.version,
            "last_changed_at": format_timestamp(case.last_changed_at) if case.last_changed_at else NO_DEADLINE,
            "last_position": case.last_position,
            "citizen_key": case.citizen_key,
            "erased": erased,
            "unit": summary.unit,
        }


def _chunks(items: list[str], size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
