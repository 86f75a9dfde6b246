"""Reads of the read models: each an indexed query on the live generation.

The work list is sorted by what is due first and paged with a keyset cursor
(the last row's due date and case id), so the thousandth page costs what the
first does. A page also says which log position it shows (the projection's),
so a caller can tell whether its own last command is in it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, exists, func, literal, or_, select, true, union_all
from sqlalchemy.engine import Dialect

from domain.case_summary import CASEWORKERS, CITIZEN, TEAM_LEADS
from domain.phases import Phase
from eventlog.compiled import DriverStatement, as_list, one_of
from eventlog.engines import Engines
from eventlog.hashing import format_timestamp, parse_timestamp
from eventlog.schema import citizen_keys
from eventlog.schema import events as events_table
from projections.projector import live_generation, not_set_up
from projections.schema import (
    NO_DEADLINE,
    case_members,
    case_summaries,
    changes_by_day,
    deadline_misses,
    name_index,
    phase_totals,
    projection_state,
    report_cases,
    work_items,
)

CASES, CHANGES = "cases", "changes_by_day"
DEFAULT_PAGE, MAX_PAGE = 50, 200
#: How long a read that asks for a log position waits for the read models to reach it, in seconds.
WAIT_FOR_POSITION_S = 5.0


class BadQuery(ValueError):
    """A query parameter the read side cannot use; ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CaseFilter:
    phase: Phase | None = None
    overdue: bool | None = None
    caseworker_id: str | None = None
    member_id: str | None = None
    due_before: datetime | None = None
    target_group: str | None = None
    #: Only this citizen's cases (the key id their data is encrypted with).
    citizen_key: str | None = None
    #: Blind-index tokens of the name searched for: every one must match.
    name_tokens: tuple[str, ...] | None = None
    open_only: bool = False
    #: Need-to-know: only cases of these units, and cases with no unit yet (None: every unit).
    units: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    position: int


def encode_cursor(due_at: str, case_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([due_at, case_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_at, case_id = json.loads(raw)
        if not (isinstance(due_at, str) and isinstance(case_id, str)):
            raise ValueError
        if due_at != NO_DEADLINE:
            parse_timestamp(due_at)
        return due_at, case_id
    except (ValueError, binascii.Error, TypeError, UnicodeDecodeError):
        raise BadQuery("the cursor is not one this list gave out; start again without it", "cursor") from None


def iso(stored: str | None) -> str | None:
    """A stored timestamp (``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UTC) as ``datetime.isoformat()``
    writes it, without parsing it: a page has hundreds of them."""
    if not stored:
        return None
    if stored.endswith(".000000Z"):  # isoformat leaves out microseconds that are zero
        return stored[:19] + "+00:00"
    return stored[:-1] + "+00:00"


_PHASE_LABELS = {phase.value: phase.label for phase in Phase}


#: The columns of a summary row, in the table's order (``select(case_summaries)`` reads them so).
_SUMMARY_COLUMNS = ("generation", "case_id", "phase", "phase_since", "is_open", "caseworker_id", "target_group",
                    "target_group_display", "due_at", "due_what", "missed", "appeal_status", "version",
                    "last_changed_at", "last_position", "citizen_key", "erased", "unit")  # fmt: skip
assert tuple(c.name for c in case_summaries.columns) == _SUMMARY_COLUMNS


def _row(r: Any, now: str) -> dict[str, Any]:
    """A summary row as the API shows it; ``now`` is the stored form of the time of reading.

    The row is unpacked by position: a page builds up to 200 of these per request, and
    reading a row's values by name took a third of the list's time."""
    (_, case_id, phase, phase_since, is_open, caseworker_id, target_group, target_group_display, due_at, due_what,
     missed, appeal_status, version, last_changed_at, _, _, erased, unit, *_) = r  # fmt: skip
    due_at = None if due_at == NO_DEADLINE else due_at
    return {
        "case_id": case_id,
        "phase": phase,
        "phase_label": _PHASE_LABELS[phase],
        "phase_since": iso(phase_since),
        "caseworker_id": caseworker_id,
        "unit": unit,
        "target_group": {"code": target_group, "display": target_group_display} if target_group else None,
        "due_at": iso(due_at),
        "due_what": due_what,
        "overdue": bool(is_open and (missed or (due_at is not None and due_at < now))),
        "appeal_status": appeal_status,
        "version": version,
        "last_changed_at": iso(last_changed_at),
        "erased": bool(erased),
    }


#: A set filter (the citizen's key, a team member, a word of the name) that matches at most
#: this many cases is read through its own index first, and only those cases' rows are sorted;
#: one that matches more is checked row by row along the due-date order, where a page of 50
#: fills within about 50 x cases / matches rows (at most 10,000 rows at 100,000 cases).
NARROW = 500


def _set_filters(filters: CaseFilter, generation: int) -> list[tuple[Any, Callable[[Any], Any]]]:
    """Each set filter as (the query of its case ids, its test of a summary row's columns).

    The id queries are written so SQLite's planner, which has no statistics, takes the
    filter's own index: selecting ``status`` makes the primary key of ``case_members``
    (generation, case_id, person_id) no longer covering, so it does not scan the whole
    generation by that key instead of using ``ix_case_members_person``."""
    s, m, n = case_summaries.c, case_members.c, name_index.c
    found: list[tuple[Any, Callable[[Any], Any]]] = []
    if filters.citizen_key is not None:
        key = filters.citizen_key
        found.append(
            (select(s.case_id).where(s.generation == generation, s.citizen_key == key), lambda c: c.citizen_key == key)
        )
    if filters.member_id is not None:
        person = filters.member_id
        found.append((select(m.case_id, m.status).where(m.generation == generation, m.person_id == person),
                      lambda c: exists().where(m.generation == generation, m.case_id == c.case_id, m.person_id == person)))  # fmt: skip
    for token in filters.name_tokens or ():
        found.append(
            (select(n.case_id).where(n.generation == generation, n.token == token), _has_token(generation, token))
        )
    return found


def _has_token(generation: int, token: str) -> Callable[[Any], Any]:
    """The row-by-row test of one name token (a function per token: a lambda in the loop would see the last)."""
    n = name_index.c
    return lambda c: exists().where(n.generation == generation, n.token == token, n.case_id == c.case_id)


def list_cases(engines: Engines, filters: CaseFilter, *, now: datetime, limit: int = DEFAULT_PAGE,
               cursor: str | None = None) -> Page:  # fmt: skip
    """One page of cases, what is due first.

    Its cost does not grow with the number of cases: a page is read along the due-date
    index and stops when it is full, or, when a set filter matches few cases (``NARROW``),
    from those cases alone."""
    _check_limit(limit)
    after = decode_cursor(cursor) if cursor else None
    if not _set_filters(filters, 0):
        found = _list_in_one_statement(engines, filters, now=now, limit=limit, after=after)
        if found is not None:
            return found
    s = case_summaries.c
    with engines.read.connect() as conn, conn.begin():
        generation, position = live_generation(conn, CASES)
        if filters.overdue is True and filters.phase is not None and not filters.phase.is_open:
            # Only an open case can be overdue (Phase.is_open): a closed phase's overdue cases are
            # none, known without reading every closed case.
            return Page([], None, position)
        narrow: set[str] | None = None
        tests = []
        for ids, test in _set_filters(filters, generation):
            matched = set(conn.execute(ids.limit(NARROW + 1)).scalars())
            if len(matched) <= NARROW:
                narrow = matched if narrow is None else narrow & matched
            else:
                tests.append(test)  # matches many: checked row by row as the page is read
        # The few cases of a narrow filter alone, by primary key, then the other filters and the
        # order (``_FEW``); otherwise the generation along the due-date index.
        table, c, few = (case_summaries, s, {}) if narrow is None else (_FEW, _FEW.c, {"few_generation": generation, "few_ids": sorted(narrow)})  # fmt: skip
        dialect = engines.read.dialect
        values = _row_values(filters, now=now, after=after, dialect=dialect)
        conditions = [c.generation == generation, *(test(c) for test in tests),
                      *_row_conditions(c, values, filters.open_only, dialect)]  # fmt: skip
        values.update(few)
        rows = (
            []
            if narrow == set()
            else conn.execute(_in_order(table, c, conditions, filters, now, limit + 1), values).all()
        )
    return _page(rows, limit, position, now)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise BadQuery(f"limit must be between 1 and {MAX_PAGE}", "limit")


#: The live generation of the case summaries and the log position it shows, read inside a
#: statement (scalar subqueries over ``projection_state``): a page and the generation it is
#: read from are then one snapshot, with no transaction around them.
_LIVE = select(projection_state.c.generation).where(projection_state.c.name == CASES).scalar_subquery()
_LIVE_POSITION = (
    select(projection_state.c.position).where(projection_state.c.name == CASES).scalar_subquery().label("live_position")
)


def _citizen_page() -> Any:
    s, k = case_summaries.c, citizen_keys.c
    key = select(k.key_id).where(k.citizen_ref == bindparam("citizen_ref")).scalar_subquery()
    # OFFSET 0 keeps SQLite from merging the citizen's cases into the ordered page: merged, its
    # planner (no statistics) walks the whole generation along the due-date index instead.
    own = select(case_summaries).where(s.generation == _LIVE, s.citizen_key == key).offset(0).subquery("own")
    return select(own, _LIVE_POSITION).order_by(own.c.due_at, own.c.case_id).limit(bindparam("limit"))


#: A citizen's own cases, what is due first: their key found through the reference their CPR
#: number derives (``KeyStore.citizen_ref``), by the index of a citizen's key. Compiled once per
#: database, and run as a lone statement: the citizen's home page asks it on every visit.
_CITIZEN_PAGES: weakref.WeakKeyDictionary[Engine, DriverStatement] = weakref.WeakKeyDictionary()


def citizen_cases(engines: Engines, citizen_ref: str, *, now: datetime, limit: int = DEFAULT_PAGE) -> Page | None:
    """The first page of one citizen's own cases (their home page, their list) in one
    statement: the key lookup, the live generation, its position and the page. None when
    the citizen has no case there (or no key): the caller reads that answer, and its
    position, through ``list_cases``."""
    _check_limit(limit)
    statement = _CITIZEN_PAGES.get(engines.read)
    if statement is None:
        statement = _CITIZEN_PAGES[engines.read] = DriverStatement(_citizen_page(), engines.read.dialect)
    with engines.lone_statement("SELECT case_summaries") as cursor:
        rows = statement.execute(cursor, {"citizen_ref": citizen_ref, "limit": limit + 1}).fetchall()
    if not rows:
        return None
    return _page(rows, limit, rows[0][-1], now)


#: The summaries of a few cases (a narrow filter's), by primary key. The LIMIT keeps SQLite from
#: merging it into the page's query (it would then scan the due-date index of the generation,
#: to save the sort of a handful of rows). Built once: its columns are copied for each query.
_FEW = (
    select(case_summaries)
    .where(case_summaries.c.generation == bindparam("few_generation"),
           case_summaries.c.case_id.in_(bindparam("few_ids", expanding=True)))
    .limit(NARROW + 1)
    .subquery("few")
)  # fmt: skip


#: The page statements of ``_list_in_one_statement``, compiled once per database and shape.
_PAGES: weakref.WeakKeyDictionary[Engine, dict[tuple[Any, ...], DriverStatement]] = weakref.WeakKeyDictionary()


def _list_in_one_statement(engines: Engines, filters: CaseFilter, *, now: datetime, limit: int,
                           after: tuple[str, str] | None) -> Page | None:  # fmt: skip
    """A page without set filters (the work list as most open it) in one statement: the live
    generation and its position come from ``projection_state`` inside it, so it is one
    snapshot with no transaction around it (on PostgreSQL four round trips became one).
    Compiled once per shape of filters and run as a lone statement: building and compiling
    it on each view cost a caseworker's list a tenth of its time. None when the page is
    empty (the position then comes from ``live_generation``, which also says when the
    projection is not set up), or for the overdue filter."""
    if filters.overdue is True:  # two ranges merged (``_in_order``): read in a transaction
        return None
    dialect = engines.read.dialect
    values = _row_values(filters, now=now, after=after, dialect=dialect)
    shape = (filters.open_only, *values)
    compiled = _PAGES.setdefault(engines.read, {})
    statement = compiled.get(shape)
    if statement is None:
        s = case_summaries.c
        statement = compiled[shape] = DriverStatement(
            select(case_summaries, _LIVE_POSITION)
            .where(s.generation == _LIVE, *_row_conditions(s, values, filters.open_only, dialect))
            .order_by(s.due_at, s.case_id)
            .limit(bindparam("limit")),
            dialect,
        )
    values["limit"] = limit + 1
    with engines.lone_statement("SELECT case_summaries") as cursor:
        rows = statement.execute(cursor, values).fetchall()
    if not rows:
        return None
    return _page(rows, limit, rows[0][-1], now)


def _row_conditions(c: Any, given: Collection[str], open_only: bool, dialect: Dialect) -> list[Any]:
    """The filters a summary row is tested against one by one, and the cursor's place: one for
    each parameter ``_row_values`` gives (``given``: their names), bound by name."""
    conditions = []
    if "phase" in given:
        conditions.append(c.phase == bindparam("phase"))
    if open_only:
        conditions.append(c.is_open.is_(True))
    if "now" in given:  # not overdue (overdue: ``_in_order``)
        conditions.append(~and_(c.is_open.is_(True), or_(c.missed.is_(True), c.due_at < bindparam("now"))))
    if "caseworker_id" in given:
        # "mine": the cases I am the caseworker of, and those no caseworker has taken yet
        conditions.append(or_(c.caseworker_id == bindparam("caseworker_id"), c.caseworker_id.is_(None)))
    if "units" in given:
        conditions.append(or_(one_of(c.unit, "units", dialect), c.unit.is_(None)))
    if "due_before" in given:
        conditions.append(c.due_at < bindparam("due_before"))
    if "target_group" in given:
        conditions.append(c.target_group == bindparam("target_group"))
    if "after_due" in given:
        after_due: Any = bindparam("after_due")
        conditions.append(or_(c.due_at > after_due, and_(c.due_at == after_due, c.case_id > bindparam("after_case"))))
    return conditions


def _row_values(filters: CaseFilter, *, now: datetime, after: tuple[str, str] | None,
                dialect: Dialect) -> dict[str, Any]:  # fmt: skip
    """The values of ``_row_conditions``'s parameters for these filters: which are given makes
    the statement's shape, compiled once (``_list_in_one_statement``)."""
    values: dict[str, Any] = {}
    if filters.phase is not None:
        values["phase"] = filters.phase.value
    if filters.overdue is False:
        values["now"] = format_timestamp(now)
    if filters.caseworker_id is not None:
        values["caseworker_id"] = filters.caseworker_id
    if filters.units is not None:
        values["units"] = as_list(filters.units, dialect)
    if filters.due_before is not None:
        values["due_before"] = format_timestamp(filters.due_before)
    if filters.target_group is not None:
        values["target_group"] = filters.target_group
    if after is not None:
        values["after_due"], values["after_case"] = after
    return values


def _in_order(table: Any, c: Any, conditions: list[Any], filters: CaseFilter, now: datetime, limit: int) -> Any:
    """The rows matching ``conditions``, what is due first, at most ``limit``.

    Overdue (an open case past its due date, or with a deadline missed) is read as two
    ranges, each in order and at most ``limit`` long, then merged: past due, along the
    due-date index up to now; and a deadline missed but not yet past due. As one condition
    (an OR) no index bounded it: with fewer overdue cases than a page, every case was read
    and tested (113 ms at 100,000 cases, none overdue; 18 ms now, on SQLite, whose planner
    without statistics still walks the cases due later for the second range)."""
    order = (c.due_at, c.case_id)
    if filters.overdue is not True:
        return select(table).where(*conditions).order_by(*order).limit(limit)
    stored_now = format_timestamp(now)
    open_case = c.is_open.is_(True)
    ranges = [
        select(table).where(*conditions, open_case, c.due_at < stored_now).order_by(*order).limit(limit).subquery(),
        select(table).where(*conditions, open_case, c.missed.is_(True), c.due_at >= stored_now)
        .order_by(*order).limit(limit).subquery(),
    ]  # fmt: skip
    both = union_all(*(select(r) for r in ranges)).subquery()
    return select(both).order_by(both.c.due_at, both.c.case_id).limit(limit)


#: Where a summary row holds the values its cursor is made of.
_DUE_AT, _CASE_ID = _SUMMARY_COLUMNS.index("due_at"), _SUMMARY_COLUMNS.index("case_id")


def _page(rows: Sequence[Any], limit: int, position: int, now: datetime) -> Page:
    """A page of summary rows (SQLAlchemy's or the driver's tuples), and the cursor after it if there are more."""
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][_DUE_AT], rows[-1][_CASE_ID]) if more else None
    now_stored = format_timestamp(now)
    return Page([_row(r, now_stored) for r in rows], next_cursor, position)


def case_summary(engines: Engines, case_id: str, *, now: datetime) -> dict[str, Any] | None:
    with engines.read.connect() as conn:
        generation, _ = live_generation(conn, CASES)
        row = conn.execute(
            select(case_summaries).where(case_summaries.c.generation == generation, case_summaries.c.case_id == case_id)
        ).one_or_none()
    return _row(row, format_timestamp(now)) if row is not None else None


def is_case(engines: Engines, case_id: str) -> bool:
    """Whether ``case_id`` is a case (not an appeal, forum, delivery or erasure stream)."""
    with engines.read.connect() as conn:
        generation, _ = live_generation(conn, CASES)
        return conn.execute(
            select(case_summaries.c.case_id).where(case_summaries.c.generation == generation,
                                                   case_summaries.c.case_id == case_id)
        ).first() is not None  # fmt: skip


#: The groups whose shared items each role takes too (a team lead the caseworkers' as well).
_GROUPS_OF = {"team_lead": (TEAM_LEADS, CASEWORKERS), "caseworker": (CASEWORKERS,)}
#: ``tasks_for``'s statement, compiled once per database and set of groups (they are part of it).
_TASKS: weakref.WeakKeyDictionary[Engine, dict[tuple[str, ...], DriverStatement]] = weakref.WeakKeyDictionary()


def _tasks_statement(groups: tuple[str, ...]) -> Any:
    """The person's items and their groups' unassigned ones on the live generation, what is
    due first (an item with no due date holds NO_DEADLINE, so it comes last), at most ``limit``.

    Each of them is read as its own index range, in order and at most ``limit`` long, and the
    ranges merged: as one condition (an OR) SQLite walked every work item of the generation,
    a caseworker's list reading an item of every open case of the municipality. The ranges
    are joined to the live generation's row, so one row comes even when there is no item (its
    columns NULL) and none only when the projection is not set up: one statement says both."""
    w, state = work_items.c, projection_state.c
    live = select(state.generation).where(state.name == CASES).scalar_subquery()
    limit: Any = bindparam("limit")
    whose = [
        w.person_id == bindparam("person_id"),
        *(and_(w.role == literal(g), w.person_id.is_(None)) for g in groups),
    ]
    ranges = [
        select(w.case_id, w.kind, w.what, w.role, w.person_id, w.due_at)
        .where(w.generation == live, who)
        .order_by(w.due_at, w.case_id)
        .limit(limit)
        .subquery()
        for who in whose
    ]
    items = union_all(*(select(r) for r in ranges)).subquery("items")
    i = items.c
    return (
        select(i.case_id, i.kind, i.what, i.role, i.person_id, i.due_at)
        .select_from(projection_state.outerjoin(items, true()))
        .where(state.name == CASES)
        .order_by(i.due_at, i.case_id)
        .limit(limit)
    )


def _due(stored: str | None) -> str | None:
    """A work item's stored due date as the API shows it (None for none)."""
    return None if stored is None or stored == NO_DEADLINE else parse_timestamp(stored).isoformat()


def tasks_for(engines: Engines, person_id: str, role: str, *, limit: int = DEFAULT_PAGE) -> list[dict[str, Any]]:
    """What this person must do next, what is due first: their own items, and their group's.
    A lone statement compiled once per set of groups: the caseworker's list asks it on every view."""
    if not 1 <= limit <= MAX_PAGE:
        raise BadQuery(f"limit must be between 1 and {MAX_PAGE}", "limit")
    groups = _GROUPS_OF.get(role, ())
    compiled = _TASKS.setdefault(engines.read, {})
    statement = compiled.get(groups)
    if statement is None:
        statement = compiled[groups] = DriverStatement(_tasks_statement(groups), engines.read.dialect)
    with engines.lone_statement("SELECT work_items") as cursor:
        rows = statement.execute(cursor, {"person_id": person_id, "limit": limit}).fetchall()
    if not rows:
        raise not_set_up(CASES)
    return [
        {"case_id": case_id, "kind": kind, "what": what, "role": whose, "person_id": person, "due_at": _due(due_at)}
        for case_id, kind, what, whose, person, due_at in rows
        if case_id is not None  # the live generation's own row: no item
    ]


def citizen_tasks(engines: Engines, case_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The citizen's own turns in their cases (answer a hearing, approve the team, answer the plan)."""
    if not case_ids:
        return []
    w = work_items.c
    with engines.read.connect() as conn:
        generation, _ = live_generation(conn, CASES)
        rows = conn.execute(
            select(w.case_id, w.kind, w.what, w.due_at)
            .where(w.generation == generation, w.role == CITIZEN, w.case_id.in_(list(case_ids)))
            .order_by(func.coalesce(w.due_at, NO_DEADLINE))
        ).all()
    return [{"case_id": r.case_id, "kind": r.kind, "what": r.what, "due_at": _due(r.due_at)} for r in rows]


#: The phase report's counts that follow from the read model's rows alone (not from the
#: time asked), per database, with the (generation, position) they were counted at. The
#: rows change only in a projector's transaction that moves the position, or in a
#: rebuild's swap that changes the generation, so the same pair means the same rows and
#: the same counts. Two of them scan every case's row (no index gives a phase's missed
#: deadlines or an appeal's status): at 10,000 cases most of a report's time.
_STILL_COUNTS: weakref.WeakKeyDictionary[Engine, tuple[tuple[int, int], tuple[list, list, list, list]]] = (
    weakref.WeakKeyDictionary()
)


def phase_counts(engines: Engines, *, now: datetime) -> dict[str, Any]:
    """Cases per phase (kept as totals), how many are overdue (an index range on the
    due date, plus those with a missed deadline), how many were erased, and the deadlines
    missed so far by kind (kept as totals): counts only."""
    s, t = case_summaries.c, phase_totals.c
    kept = _STILL_COUNTS.get(engines.read)
    if kept is not None:
        # The kept totals still hold if the projection has not moved: then the counts that
        # depend on the time are one statement, with the live generation and position read
        # inside it (one snapshot, one round trip).
        (generation, position), (rows, missed, appeals, by_kind) = kept
        with engines.lone_read() as conn:
            live_generation_now, position_now, past_due, missed_ahead = conn.execute(_moving_counts(now)).one()
        if (live_generation_now, position_now) == (generation, position):
            return _phase_report(rows, missed, appeals, by_kind, past_due, missed_ahead, position)
    with engines.read.connect() as conn, conn.begin():
        generation, position = live_generation(conn, CASES)
        kept = _STILL_COUNTS.get(engines.read)
        if kept is not None and kept[0] == (generation, position):
            rows, missed, appeals, by_kind = kept[1]
        else:
            rows = list(conn.execute(select(t.phase, t.cases, t.erased).where(t.generation == generation, t.cases > 0)))
            missed = list(conn.execute(select(s.phase, func.count()).where(
                s.generation == generation, s.missed.is_(True), s.is_open.is_(True)).group_by(s.phase)))  # fmt: skip
            appeals = list(conn.execute(select(s.appeal_status, func.count()).where(
                s.generation == generation, s.appeal_status.is_not(None)).group_by(s.appeal_status)))  # fmt: skip
            m = deadline_misses.c
            by_kind = list(conn.execute(select(m.kind, m.missed).where(m.generation == generation, m.missed > 0)))
            _STILL_COUNTS[engines.read] = ((generation, position), (rows, missed, appeals, by_kind))
        past_due = conn.execute(select(func.count()).select_from(case_summaries).where(
            s.generation == generation, s.due_at < format_timestamp(now), s.is_open.is_(True))).scalar_one()  # fmt: skip
        missed_ahead = conn.execute(select(func.count()).select_from(case_summaries).where(
            s.generation == generation, s.missed.is_(True), s.is_open.is_(True),
            s.due_at >= format_timestamp(now))).scalar_one()  # fmt: skip
    return _phase_report(rows, missed, appeals, by_kind, past_due, missed_ahead, position)


def _moving_counts(now: datetime) -> Any:
    """One statement: the live generation and position, the open cases past their due date,
    and those with a missed deadline not yet past due, of that generation."""
    s, state = case_summaries.c, projection_state.c
    live = select(state.generation).where(state.name == CASES).scalar_subquery()
    where_live = (s.generation == live, s.is_open.is_(True))
    stored_now = format_timestamp(now)
    return select(
        live,
        select(state.position).where(state.name == CASES).scalar_subquery(),
        select(func.count()).select_from(case_summaries).where(*where_live, s.due_at < stored_now).scalar_subquery(),
        select(func.count())
        .select_from(case_summaries)
        .where(*where_live, s.missed.is_(True), s.due_at >= stored_now)
        .scalar_subquery(),
    )


def _phase_report(rows: list, missed: list, appeals: list, by_kind: list, past_due: int, missed_ahead: int,
                  position: int) -> dict[str, Any]:  # fmt: skip
    by_phase = {phase: cases for phase, cases, _ in rows}
    return {
        "cases": sum(by_phase.values()),
        "by_phase": dict(sorted(by_phase.items())),
        "overdue": past_due + missed_ahead,
        "erased": sum(erased for _, _, erased in rows),
        "missed_by_phase": dict(sorted((phase, n) for phase, n in missed)),
        # every deadline of the municipality's missed so far, by kind (Event.missed_deadline)
        "missed_by_kind": dict(sorted((kind, n) for kind, n in by_kind)),
        "appeals_by_status": dict(sorted((status, n) for status, n in appeals)),
        "position": position,
    }


def cases_changed_on(engines: Engines, day: date) -> list[str]:
    """The cases with an event on ``day`` (Copenhagen time), in the order they first changed that day."""
    c = changes_by_day.c
    with engines.read.connect() as conn:
        generation, _ = live_generation(conn, CHANGES)
        return list(conn.execute(
            select(c.case_id).where(c.generation == generation, c.day == day.isoformat()).order_by(c.first_position)
        ).scalars())  # fmt: skip


def cases_changed_page(
    engines: Engines, day: date, *, after_position: int = 0, limit: int = 200
) -> tuple[list[str], int | None]:
    """A page of ``cases_changed_on``: the cases first changed after ``after_position``,
    and where the next page starts (None after the last)."""
    c = changes_by_day.c
    with engines.read.connect() as conn:
        generation, _ = live_generation(conn, CHANGES)
        rows = conn.execute(
            select(c.case_id, c.first_position)
            .where(c.generation == generation, c.day == day.isoformat(), c.first_position > after_position)
            .order_by(c.first_position)
            .limit(limit + 1)
        ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [r.case_id for r in rows], (rows[-1].first_position if more else None)


def report_facts(engines: Engines) -> tuple[list[dict[str, Any]], int]:
    """Every case's contribution to the learning report, and the position it shows."""
    with engines.read.connect() as conn:
        generation, position = live_generation(conn, CASES)
        rows = conn.execute(select(report_cases.c.facts).where(report_cases.c.generation == generation)).scalars()
        return [json.loads(r) for r in rows], position


def positions(engines: Engines) -> dict[str, int]:
    with engines.read.connect() as conn:
        return {
            name: position
            for name, position in conn.execute(select(projection_state.c.name, projection_state.c.position))
        }


def log_head(engines: Engines) -> int:
    with engines.read.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(events_table.c.position), 0))).scalar_one()


def check_position(engines: Engines, min_position: int) -> None:
    if min_position < 0:
        raise BadQuery("min_position is a position in the event log: 0 or more", "min_position")
    head = log_head(engines)
    if min_position > head:
        raise BadQuery(f"min_position {min_position} is beyond the event log's head ({head})", "min_position")


def reached(engines: Engines, min_position: int, names: Sequence[str] = (CASES,)) -> bool:
    at = positions(engines)
    return all(at.get(name, 0) >= min_position for name in names)


async def wait_for_position(engines: Engines, min_position: int, *, names: Sequence[str] = (CASES,),
                            timeout: float = WAIT_FOR_POSITION_S) -> bool:  # fmt: skip
    """Waits until the read models have projected ``min_position``; False if not within ``timeout``."""
    await asyncio.to_thread(check_position, engines, min_position)
    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(reached, engines, min_position, names):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
