"""The projector against a real SQLite event log: the read models equal the
cases folded from scratch, whatever the batches, crashes, second projectors
and rebuilds in between."""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from activities.readmodels import decode, fold_case
from domain.appeal_window import DANISH_TIME
from domain.case.deadlines import PhaseDeadlines
from domain.case_summary import summarise
from eventlog import EventStore, NewEvent
from eventlog.access_log import AccessLog
from eventlog.keystore import KeyStore
from eventlog.schema import GUARD_TRIGGERS
from projections import queries
from projections.cases import CaseProjection
from projections.projector import ProjectionFailed
from projections.schema import NO_DEADLINE, case_members, case_summaries, changes_by_day, report_cases
from projections.setup import build_projector
from tests.eventlog.conftest import postgres_log, postgres_url, sqlite_log  # noqa: F401
from tests.projections.helpers import CaseWriter, lifecycle, paged

NOW = datetime(2027, 1, 1, tzinfo=UTC)
DEADLINES = PhaseDeadlines()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def logs(request, tmp_path):
    """A factory of fresh, empty logs (with a key store) on the test's database."""

    @contextmanager
    def fresh() -> Iterator[tuple[EventStore, KeyStore]]:
        if request.param == "postgresql":
            opened = postgres_log(request.getfixturevalue("postgres_url"))
        else:
            opened = sqlite_log(tmp_path)
        with opened as log:
            yield log.store, KeyStore(log.store.engines, os.urandom(32))

    return fresh


def write_interleaved(store, keys, lengths: list[int], rng: random.Random) -> list[CaseWriter]:
    writers = [CaseWriter(store, keys, f"K-{i}", lifecycle(f"K-{i}", cpr=f"04129812{i:02d}", name=f"Borger Nummer{i}"))
               for i in range(len(lengths))]  # fmt: skip
    budget = {w.case_id: n for w, n in zip(writers, lengths, strict=True)}
    live = [w for w in writers if budget[w.case_id] > 0]
    while live:
        w = rng.choice(live)
        w.step()
        budget[w.case_id] -= 1
        if budget[w.case_id] == 0 or w.done:
            live.remove(w)
    return writers


def expected_rows(store: EventStore, keys: KeyStore) -> dict[str, tuple]:
    """Every case's summary, folded from scratch from its stream."""
    rows = {}
    for stream_id in store.stream_ids():
        stored = store.read_stream(stream_id)
        if stored[0].event_type != "need_registered":
            continue
        state = fold_case(decode(s, keys)[0] for s in stored)
        s = summarise(state, DEADLINES)
        due = s.due_at.isoformat() if s.due_at else None
        rows[stream_id] = (s.phase.value, s.caseworker_id, s.target_group, due, s.due_what, s.missed, state.version)
    return rows


def projected_rows(store: EventStore) -> dict[str, tuple]:
    page = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=queries.MAX_PAGE)
    return {
        r["case_id"]: (r["phase"], r["caseworker_id"], (r["target_group"] or {}).get("code"), r["due_at"], r["due_what"],
                       r["overdue"] and r["due_at"] is not None and r["due_at"] >= NOW.isoformat(), r["version"])
        for r in page.rows
    }  # fmt: skip


def comparable(rows: dict[str, tuple]) -> dict[str, tuple]:
    # ``missed`` is compared through the row's own flag below; drop it from the tuple here.
    return {k: v[:5] + v[6:] for k, v in rows.items()}


@pytest.fixture
def log(logs):
    with logs() as opened:
        yield opened


class Crash(Exception):
    pass


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=5),
    batch_size=st.integers(min_value=1, max_value=40),
    crash_every=st.one_of(st.none(), st.integers(min_value=2, max_value=6)),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_the_read_models_equal_the_cases_folded_from_scratch_whatever_the_batches_and_crashes(
    logs, lengths, batch_size, crash_every, seed
):
    with logs() as (store, keys):
        write_interleaved(store, keys, lengths, random.Random(seed))
        projector = build_projector(store, keys, DEADLINES, batch_size=batch_size)
        projection = projector.projections["cases"]
        real_apply, calls = projection.apply, {"n": 0}

        def crashing_apply(conn, generation, events):
            calls["n"] += 1
            real_apply(conn, generation, events)  # the writes happen, then the crash: all must roll back
            if calls["n"] % crash_every == 0:
                raise Crash("injected between the writes and the commit")

        with patch.object(projection, "apply", crashing_apply) if crash_every else nullcontext():
            for _ in range(10_000):
                try:
                    if projector.step("cases") == 0:
                        break
                except (Crash, ProjectionFailed):
                    continue
        projector.catch_up()
        expected = expected_rows(store, keys)
        assert comparable(projected_rows(store)) == comparable(expected)
        counts = queries.phase_counts(store.engines, now=NOW)
        assert counts["by_phase"] == dict(sorted(Counter(row[0] for row in expected.values()).items()))
        with store.engines.read.connect() as conn:
            facts = conn.execute(select(report_cases.c.case_id)).scalars().all()
            changes = conn.execute(select(changes_by_day.c.day, changes_by_day.c.case_id)).all()
        assert sorted(facts) == sorted(expected_rows(store, keys))  # one row per case, none twice
        assert len(changes) == len(set(changes))


def test_streams_that_are_no_case_never_appear_as_cases(log):
    store, keys = log
    write_interleaved(store, keys, [8], random.Random(1))
    other = NewEvent(event_id=str(uuid.uuid4()), event_type="kl_delivery_day_completed", schema_version=1,
                     occurred_at=NOW, actor_id="system", actor_role="system", legal_basis=None,
                     payload={"day": "2026-11-23"})  # fmt: skip
    store.append("kl-gateway-deliveries", 0, [other])
    appeal = NewEvent(event_id=str(uuid.uuid4()), event_type="appeal_window_opened", schema_version=1,
                      occurred_at=NOW, actor_id="system", actor_role="system", legal_basis="Retssikkerhedsloven § 67",
                      payload={"case_id": "K-0", "decision_number": 1, "outcome": "granted",
                               "decided_at": "2026-11-23T12:00:00+00:00",
                               "window_ends_at": "2026-12-21T12:00:00+00:00"})  # fmt: skip
    store.append("K-0-appeal-1", 0, [appeal])
    projector = build_projector(store, keys, DEADLINES)
    projector.catch_up()
    page = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW)
    assert [r["case_id"] for r in page.rows] == ["K-0"]
    assert page.rows[0]["appeal_status"] == "window_open"  # the appeal is shown inside its case
    assert queries.phase_counts(store.engines, now=NOW)["cases"] == 1
    assert not queries.is_case(store.engines, "K-0-appeal-1")
    day = datetime.fromisoformat(page.rows[0]["last_changed_at"]).date()
    assert "kl-gateway-deliveries" not in queries.cases_changed_on(store.engines, day)


def test_a_rebuild_equals_the_live_projection_and_reads_answer_while_it_runs(log):
    store, keys = log
    write_interleaved(store, keys, [12, 20, 5, 30], random.Random(7))
    projector = build_projector(store, keys, DEADLINES, batch_size=10)
    projector.catch_up()
    live = projected_rows(store)
    seen_during = []
    projector.rebuild("cases", progress=lambda n: seen_during.append(projected_rows(store)))
    assert seen_during and all(rows == live for rows in seen_during)  # the old generation served meanwhile
    assert projected_rows(store) == live
    status = {s.name: s for s in projector.status()}
    assert status["cases"].generation == 2 and not status["cases"].rebuilding and status["cases"].lag_events == 0
    with store.engines.read.connect() as conn:
        assert set(conn.execute(select(case_summaries.c.generation)).scalars()) == {2}


def test_two_projectors_at_once_neither_repeat_nor_skip(log):
    store, keys = log
    write_interleaved(store, keys, [30, 30, 30], random.Random(3))
    first = build_projector(store, keys, DEADLINES, batch_size=7)
    second = build_projector(store, keys, DEADLINES, batch_size=5)
    threads = [threading.Thread(target=p.catch_up) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert comparable(projected_rows(store)) == comparable(expected_rows(store, keys))
    with store.engines.read.connect() as conn:
        changes = conn.execute(select(changes_by_day.c.day, changes_by_day.c.case_id)).all()
    expected = {(e.occurred_at.astimezone(DANISH_TIME).date().isoformat(), e.stream_id)
                for e in store.read_all(limit=10_000)}  # fmt: skip
    assert len(changes) == len(set(changes)) and set(changes) == expected


def test_a_projection_stops_at_an_event_it_cannot_project_names_it_and_goes_on_after_a_fix(log):
    store, keys = log
    write_interleaved(store, keys, [6], random.Random(2))
    projector = build_projector(store, keys, DEADLINES)
    real = CaseProjection._see_case_event
    assert isinstance(projector.projections["cases"], CaseProjection)

    def broken(self, case, stored):
        if stored.event_type == "assessment_recorded":
            raise ValueError("a bug in this version")
        real(self, case, stored)

    with patch.object(CaseProjection, "_see_case_event", broken):
        projector.run_once()
    status = {s.name: s for s in projector.status()}["cases"]
    failed_at = next(e for e in store.read_stream("K-0") if e.event_type == "assessment_recorded").position
    assert status.failed_position == failed_at and status.failed_type == "assessment_recorded"
    assert status.position == failed_at - 1  # the events before it are kept, none after it
    # the other projection shared the batch and went on past the event
    changes = {s.name: s for s in projector.status()}["changes_by_day"]
    assert changes.failed_position is None and changes.position > failed_at
    projector._failed_at.clear()  # the fix is deployed: the next round goes on
    projector.catch_up()
    status = {s.name: s for s in projector.status()}["cases"]
    assert status.failed_position is None and status.lag_events == 0
    assert comparable(projected_rows(store)) == comparable(expected_rows(store, keys))


def test_projections_at_one_position_read_each_batch_once(log, monkeypatch):
    store, keys = log
    write_interleaved(store, keys, [12, 12], random.Random(5))
    projector = build_projector(store, keys, DEADLINES, batch_size=10)
    import projections.projector as module

    parsed: list[int] = []
    real = module.stored_event_from_row

    def parse(row):
        parsed.append(row[0])
        return real(row)

    monkeypatch.setattr(module, "stored_event_from_row", parse)
    projector.catch_up()
    assert sorted(parsed) == [
        e.position for e in store.read_all(limit=1000)
    ]  # each event parsed once, not per projection
    assert {s.name: s.lag_events for s in projector.status()} == {"cases": 0, "changes_by_day": 0}
    assert comparable(projected_rows(store)) == comparable(expected_rows(store, keys))


def test_the_list_pages_by_deadline_with_a_cursor_and_filters(log):
    store, keys = log
    write_interleaved(store, keys, [3, 5, 9, 2, 12, 4, 30], random.Random(5))
    build_projector(store, keys, DEADLINES).catch_up()
    everything = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=200).rows
    pages, cursor = [], None
    while True:
        page = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=2, cursor=cursor)
        pages.extend(page.rows)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == everything
    dues = [r["due_at"] or NO_DEADLINE for r in everything]
    assert dues == sorted(dues)
    visitation = queries.list_cases(store.engines, queries.CaseFilter(phase=__import__("domain.phases").phases.Phase.VISITATION),
                                    now=NOW).rows  # fmt: skip
    assert {r["case_id"] for r in visitation} == {r["case_id"] for r in everything if r["phase"] == "visitation"}
    named = queries.list_cases(
        store.engines, queries.CaseFilter(name_tokens=(keys.name_token("nummer4"),)), now=NOW
    ).rows
    assert [r["case_id"] for r in named] == ["K-4"]
    key = keys.key_id_for_citizen("0412981203")
    assert [
        r["case_id"] for r in queries.list_cases(store.engines, queries.CaseFilter(citizen_key=key), now=NOW).rows
    ] == ["K-3"]
    with pytest.raises(queries.BadQuery) as bad:
        queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, cursor="not-a-cursor")
    assert bad.value.field == "cursor"


def test_a_set_filter_pages_the_same_whether_it_matches_few_cases_or_many(log, monkeypatch):
    """A name, a team member or a citizen is read through its own index when it matches few
    cases and checked row by row when it matches many (``NARROW``): the pages are the same."""
    from domain.phases import Phase

    store, keys = log
    write_interleaved(store, keys, [3, 5, 9, 2, 12, 4, 30, 30], random.Random(7))
    build_projector(store, keys, DEADLINES).catch_up()
    with store.engines.read.connect() as conn:
        members = sorted(set(conn.execute(select(case_members.c.person_id)).scalars()))
    assert members
    word = keys.name_token
    filters = [
        queries.CaseFilter(name_tokens=(word("borger"),)),  # every case
        queries.CaseFilter(name_tokens=tuple(sorted((word("borger"), word("nummer4"))))),  # one case, one wide word
        queries.CaseFilter(name_tokens=(word("ingen"),)),  # no case
        queries.CaseFilter(citizen_key=keys.key_id_for_citizen("0412981203")),
        *(queries.CaseFilter(member_id=person) for person in members),
        queries.CaseFilter(member_id=members[0], phase=Phase.CLOSED, name_tokens=(word("borger"),)),
        queries.CaseFilter(name_tokens=(word("borger"),), overdue=True),
        queries.CaseFilter(name_tokens=(word("borger"),), overdue=False, open_only=True),
    ]

    answers = {}
    for narrow in (0, 2, 500):
        monkeypatch.setattr(queries, "NARROW", narrow)
        answers[narrow] = [paged(store, f, now=NOW, limit=2) for f in filters]
    assert answers[0] == answers[2] == answers[500]
    everything = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=200).rows
    assert answers[500][0] == everything
    assert [r["case_id"] for r in answers[500][1]] == ["K-4"]
    assert answers[500][2] == [] and [r["case_id"] for r in answers[500][3]] == ["K-3"]
    assert answers[500][-2] == [r for r in everything if r["overdue"]]


def test_every_shape_of_the_row_filters_pages_to_the_rows_it_names(log):
    """The list's statement is compiled once per shape of filters (which of them are given),
    its values bound on each read: every shape, with values that match some cases and not
    others, read page by page, is the whole list filtered by hand."""
    from itertools import product

    from domain.phases import Phase

    store, keys = log
    write_interleaved(store, keys, [3, 5, 9, 2, 12, 4, 30, 7], random.Random(11))
    build_projector(store, keys, DEADLINES).catch_up()
    everything = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=200).rows
    caseworker = next(r["caseworker_id"] for r in everything if r["caseworker_id"])
    group = next(r["target_group"]["code"] for r in everything if r["target_group"])
    due = sorted(r["due_at"] for r in everything if r["due_at"])
    before = datetime.fromisoformat(due[len(due) // 2])
    phase = Phase(everything[0]["phase"])

    def matches(r: dict, f: queries.CaseFilter) -> bool:
        return (
            (f.phase is None or r["phase"] == f.phase.value)
            and (not f.open_only or Phase(r["phase"]).is_open)
            and (f.overdue is None or r["overdue"] == f.overdue)
            and (f.caseworker_id is None or r["caseworker_id"] in (f.caseworker_id, None))
            and (f.units is None or r["unit"] in (*f.units, None))
            and (
                f.due_before is None or (r["due_at"] is not None and datetime.fromisoformat(r["due_at"]) < f.due_before)
            )
            and (f.target_group is None or (r["target_group"] or {}).get("code") == f.target_group)
        )

    seen = set()
    for ph, open_only, overdue, cw, units, due_before, tg in product(
        (None, phase), (False, True), (None, False), (None, caseworker, "ingen"), (None, ("enhed-x",)),
        (None, before), (None, group),
    ):  # fmt: skip
        f = queries.CaseFilter(phase=ph, open_only=open_only, overdue=overdue, caseworker_id=cw, units=units,
                               due_before=due_before, target_group=tg)  # fmt: skip
        expected = [r for r in everything if matches(r, f)]
        assert paged(store, f, now=NOW, limit=2) == expected, f
        seen.add(len(expected))
    assert 0 in seen and len(everything) in seen and len(seen) > 3  # the values narrow the list, not all or nothing


def test_my_tasks_are_my_items_and_my_groups_unassigned_ones_what_is_due_first(log):
    """``tasks_for`` reads each person's own items and each of their groups' unassigned
    items as ranges of their own and merges them: for every person and role, at every
    limit, the items table filtered and sorted by hand (an item with no due date last)."""
    from domain.case_summary import CASEWORKERS, TEAM_LEADS
    from projections.schema import work_items

    store, keys = log
    write_interleaved(store, keys, [1, 2, 4, 6, 8, 10, 12, 14, 16, 3, 5, 7], random.Random(12))
    build_projector(store, keys, DEADLINES).catch_up()
    with store.engines.read.connect() as conn:
        items = conn.execute(select(work_items)).mappings().all()
    assert {i["person_id"] is None for i in items} == {True, False}  # assigned items and a group's unassigned ones
    assert any(i["due_at"] == NO_DEADLINE for i in items)  # an item with no due date: it sorts last
    assert all(i["due_at"] is not None for i in items)  # stored: NO_DEADLINE for none, never NULL
    groups = {"caseworker": (CASEWORKERS,), "team_lead": (TEAM_LEADS, CASEWORKERS), "volunteer": ()}
    people = [*sorted({i["person_id"] for i in items if i["person_id"]}), "nobody"]
    seen = set()
    for person in people:
        for role, its_groups in groups.items():
            mine = [
                i for i in items if i["person_id"] == person or (i["person_id"] is None and i["role"] in its_groups)
            ]
            mine.sort(key=lambda i: (i["due_at"], i["case_id"]))
            for limit in (1, 2, 50):
                got = queries.tasks_for(store.engines, person, role, limit=limit)
                assert [(t["case_id"], t["kind"]) for t in got] == [(i["case_id"], i["kind"]) for i in mine[:limit]]
                assert all(t["due_at"] is None for t, i in zip(got, mine, strict=False) if i["due_at"] == NO_DEADLINE)
                seen.add(len(got))
    assert 0 in seen and max(seen) > 2


def test_a_citizen_s_first_page_in_one_statement_is_their_list_through_their_key(log):
    """``citizen_cases`` finds the key inside its statement: the same rows, order and cursor as
    the list through the key id, for a citizen with several cases, one with none, and one erased."""
    store, keys = log
    writers = [CaseWriter(store, keys, f"C-{i}", lifecycle(f"C-{i}", cpr="0101901234")) for i in range(5)]
    writers.append(CaseWriter(store, keys, "D-1", lifecycle("D-1", cpr="0202902345")))
    rng = random.Random(3)
    for w in writers:
        for _ in range(rng.randint(1, 12)):
            if not w.done:
                w.step()
    build_projector(store, keys, DEADLINES).catch_up()
    through_key = queries.list_cases(store.engines, queries.CaseFilter(citizen_key=keys.key_id_for_citizen("0101901234")),
                                     now=NOW, limit=3)  # fmt: skip
    first = queries.citizen_cases(store.engines, keys.citizen_ref("0101901234"), now=NOW, limit=3)
    assert first is not None and first == through_key and len(first.rows) == 3 and first.next_cursor is not None
    everything = queries.citizen_cases(store.engines, keys.citizen_ref("0101901234"), now=NOW, limit=200)
    assert everything is not None
    assert sorted(r["case_id"] for r in everything.rows) == [f"C-{i}" for i in range(5)]
    assert everything.next_cursor is None
    assert queries.citizen_cases(store.engines, keys.citizen_ref("0303903456"), now=NOW) is None  # no key
    erase(store, keys, "D-1")
    build_projector(store, keys, DEADLINES).catch_up()
    assert queries.citizen_cases(store.engines, keys.citizen_ref("0202902345"), now=NOW) is None
    with pytest.raises(queries.BadQuery) as bad:
        queries.citizen_cases(store.engines, keys.citizen_ref("0101901234"), now=NOW, limit=0)
    assert bad.value.field == "limit"


def test_a_closed_phase_has_no_overdue_cases(log):
    """Only an open case can be overdue: the overdue filter on a closed phase answers nothing,
    and on an open phase what the rows themselves say."""
    from domain.phases import Phase

    store, keys = log
    write_interleaved(store, keys, [3, 5, 9, 2, 12, 4, 30, 30], random.Random(7))
    build_projector(store, keys, DEADLINES).catch_up()
    everything = queries.list_cases(store.engines, queries.CaseFilter(), now=NOW, limit=200).rows
    assert any(r["phase"] == "closed" for r in everything)
    for phase in Phase:
        if phase is Phase.NEW:
            continue
        rows = queries.list_cases(store.engines, queries.CaseFilter(phase=phase, overdue=True), now=NOW, limit=200).rows
        assert rows == [r for r in everything if r["phase"] == phase.value and r["overdue"]]


def test_a_list_view_is_one_access_log_row_that_each_shown_case_s_log_finds(log):
    store, _keys = log
    log = AccessLog(store.engines)
    for n in range(50):
        log.record(actor_id="cw-anne", actor_role="caseworker", stream_id=None, what="list_cases", purpose="arbejdsliste",
                   shown=[f"K-{n % 5}", f"K-{(n + 1) % 5}"])  # fmt: skip
    log.record(actor_id="aud-hans", actor_role="auditor", stream_id=None, what="events (whole log)", purpose="tilsyn")
    log.record(actor_id="cw-anne", actor_role="caseworker", stream_id="K-1", what="read_case", purpose="visitation")
    reads = log.for_case("K-1")
    assert len([r for r in reads if r.what.startswith("shown#list_cases")]) == 20
    assert [r.what for r in reads if not r.what.startswith("shown#")] == ["events (whole log)", "read_case"]
    assert all(r.what.startswith("shown#") or r.stream_id in (None, "K-1") for r in reads)
    assert log.verify().ok
    with store.engines.write.begin() as conn:  # tamper: hide that K-1 was in the first list
        for statement in GUARD_TRIGGERS[store.engines.write.dialect.name]:
            conn.exec_driver_sql(statement)
        first = min(r.position for r in reads if r.what.startswith("shown#"))
        conn.exec_driver_sql(f"DELETE FROM access_log_cases WHERE access_position = {first} AND stream_id = 'K-1'")
    report = log.verify()
    assert not report.ok and report.first_bad_position == first


def test_a_case_whose_citizen_was_erased_rebuilds_as_closed_and_erased_without_its_name(log):
    """After an erasure the case's events hold the marker in their personal fields (a team
    member's invitation among them): a rebuild still goes through, and shows the case closed,
    erased, with no name in the index and no work items."""

    store, keys = log
    writer = write_interleaved(store, keys, [30], random.Random(8))[0]
    projector = build_projector(store, keys, DEADLINES)
    projector.catch_up()
    assert queries.list_cases(
        store.engines, queries.CaseFilter(name_tokens=(keys.name_token("nummer0"),)), now=NOW
    ).rows
    erase(store, keys, writer.case_id)
    projector.catch_up()
    projector.rebuild("cases")
    row = queries.case_summary(store.engines, writer.case_id, now=NOW)
    assert row is not None and row["erased"] and row["phase"] == "closed" and row["due_at"] is None
    assert not queries.list_cases(
        store.engines, queries.CaseFilter(name_tokens=(keys.name_token("nummer0"),)), now=NOW
    ).rows
    assert queries.tasks_for(store.engines, "cw-anne", "caseworker") == []
    assert queries.phase_counts(store.engines, now=NOW)["erased"] == 1


def erase(store, keys, case_id: str) -> None:
    """The citizen of ``case_id`` erased as the erasure records it: the key destroyed, then its event."""
    from domain.retention import ERASURE_EVENT

    key_id = keys.key_id_for_stream(case_id)
    keys.destroy(key_id, "GDPR art. 17(1)(a)")
    store.append(f"erasure-{key_id}", 0, [NewEvent(
        event_id=str(uuid.uuid4()), event_type=ERASURE_EVENT, schema_version=1, occurred_at=NOW, actor_id="aud-hans",
        actor_role="auditor", legal_basis="GDPR art. 17(1)(a)", payload={"key_id": key_id, "cases": [case_id]})])  # fmt: skip


def test_a_closed_case_is_not_kept_in_memory_and_an_event_after_it_closed_still_projects(log):
    """A closed case's state is dropped once its rows are written (closed cases seldom change);
    an event that comes after (here the erasure) folds it again from its stream and replaces
    its rows, the totals moved from its old row to its new one, not counted twice."""

    store, keys = log
    writer = write_interleaved(store, keys, [100], random.Random(3))[0]
    assert writer.done
    projector = build_projector(store, keys, DEADLINES)
    projector.catch_up()
    closed = queries.case_summary(store.engines, writer.case_id, now=NOW)
    assert closed is not None and closed["phase"] == "closed"
    cases = projector.projections["cases"]
    assert isinstance(cases, CaseProjection) and writer.case_id not in cases._cases
    erase(store, keys, writer.case_id)
    projector.catch_up()
    row = queries.case_summary(store.engines, writer.case_id, now=NOW)
    assert row is not None and row["erased"] and row["phase"] == "closed"
    counts = queries.phase_counts(store.engines, now=NOW)
    assert counts["by_phase"] == {"closed": 1} and counts["erased"] == 1
    with store.engines.read.connect() as conn:
        assert conn.execute(select(report_cases.c.case_id)).scalars().all() == [writer.case_id]


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(timezones=st.timezones()))
def test_a_stored_time_reads_as_isoformat_writes_it(moment):
    from datetime import UTC

    from eventlog.hashing import format_timestamp
    from projections.queries import iso

    assert iso(format_timestamp(moment)) == moment.astimezone(UTC).isoformat()
