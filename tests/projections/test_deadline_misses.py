"""The deadlines the municipality missed, kept as totals by kind (``Event.missed_deadline``):
counted as the projector follows the log, counted again the same by a rebuild, and, for a
database projected before revision 0003, counted once from what it had projected."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from eventlog.migrations import upgrade
from projections import queries
from projections.setup import build_projector
from tests import scenario
from tests.eventlog.conftest import postgres_url  # noqa: F401 - the fixture, for the postgresql runs
from tests.projections.helpers import START, CaseWriter, lifecycle, paged
from tests.projections.test_projector import DEADLINES, NOW, log, logs  # noqa: F401 - the fixtures

SYSTEM = {"id": "samskab", "role": "system"}


def missed_phase(phase: str, weeks: int) -> dict:
    """What the workflow records when a phase's deadline passes (the phase's own deadline)."""
    return {"type": "record_missed_deadline", "actor": SYSTEM, "phase": phase,
            "due_at": (START + timedelta(weeks=weeks)).isoformat()}  # fmt: skip


def write_cases(store, keys) -> None:
    """Three cases: two that missed their visitation's deadline, one that missed nothing."""
    opened = {"type": "open_visitation", "actor": scenario.CASEWORKER}
    for case_id, commands in (
        ("K-1", [opened, missed_phase("visitation", 8)]),
        ("K-2", [opened, missed_phase("visitation", 8)]),
        ("K-3", [opened]),
    ):
        writer = CaseWriter(store, keys, case_id, [lifecycle(case_id)[0], *commands])
        while not writer.done:
            writer.step()


def project(store, keys) -> None:
    projector = build_projector(store, keys, DEADLINES, batch_size=2)
    for name in projector.projections:
        while projector.step(name):
            pass


def by_kind(store) -> dict[str, int]:
    queries._STILL_COUNTS.pop(store.engines.read, None)
    return queries.phase_counts(store.engines, now=NOW)["missed_by_kind"]


def test_missed_deadlines_are_counted_by_kind_and_a_rebuild_counts_the_same(log):  # noqa: F811 - the fixture
    store, keys = log
    write_cases(store, keys)
    project(store, keys)
    assert by_kind(store) == {"phase": 2}

    projector = build_projector(store, keys, DEADLINES, batch_size=5)
    projector.rebuild("cases")
    assert by_kind(store) == {"phase": 2}


def test_an_upgrade_to_0003_counts_what_was_projected_before_it(log):  # noqa: F811 - the fixture
    store, keys = log
    write_cases(store, keys)
    project(store, keys)
    counted = by_kind(store)
    with store.engines.write.begin() as conn:  # the database as revision 0002 left it: no totals table
        conn.execute(sa.text("DROP TABLE deadline_misses"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0002'"))

    assert upgrade(store.engines.write) == ("0002", "0004")
    assert by_kind(store) == counted == {"phase": 2}


def test_the_overdue_filter_pages_past_due_and_missed_cases_in_order(log):  # noqa: F811 - the fixture
    """Overdue is two ranges merged (past due; a deadline missed but not yet past due): paged
    one at a time it gives what the rows themselves say, in the list's order, at any moment."""
    store, keys = log
    write_cases(store, keys)
    project(store, keys)
    seen = set()
    for now in (START, START + timedelta(weeks=4), START + timedelta(weeks=9), START + timedelta(weeks=60), NOW):
        listed = queries.list_cases(store.engines, queries.CaseFilter(), now=now, limit=200).rows
        expected = [r for r in listed if r["overdue"]]
        for filters in (queries.CaseFilter(overdue=True), queries.CaseFilter(overdue=True, open_only=True)):
            assert paged(store, filters, now=now, limit=1) == expected, now
        for r in expected:
            past_due = r["due_at"] is not None and r["due_at"] < now.isoformat()
            seen.add("past due" if past_due else "missed only")
    assert seen == {"past due", "missed only"}
