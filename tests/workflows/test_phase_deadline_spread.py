"""Phase deadlines that pass together do not wake every case at once: a case's phase
deadline timer fires a share of ``deadline_spread`` after the deadline, fixed per case
(``PHASE_DEADLINE_SPREAD``); the miss carries the real due time, and a phase that ends
after its deadline but before the spread timer fires still has its miss recorded."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.cases import parse_command
from app.settings import Settings
from domain.deadlines import PhaseDeadlines, spread_offset
from tests import scenario

SPREAD = timedelta(minutes=10)
DEADLINES = PhaseDeadlines(visitation=timedelta(days=1))


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(task_queue=f"cases-{uuid.uuid4().hex[:8]}", data_dir=tmp_path,
                    database_url=f"sqlite:///{tmp_path / 'eventlog.db'}", deadline_spread=SPREAD)  # fmt: skip


def late_case_id() -> str:
    """A case id whose spread puts its timer well after the deadline (most do)."""
    while spread_offset(case_id := f"case-{uuid.uuid4().hex[:10]}", SPREAD) < timedelta(minutes=4):
        pass
    return case_id


def test_the_offset_is_fixed_per_case_within_the_spread_and_zero_without_one():
    ids = [f"case-{i}" for i in range(300)]
    offsets = [spread_offset(i, SPREAD) for i in ids]
    assert offsets == [spread_offset(i, SPREAD) for i in ids]  # the same in every run and replay
    assert all(timedelta(0) <= o <= SPREAD for o in offsets)
    assert len(set(offsets)) > 250  # spread out, not bunched
    assert max(offsets) - min(offsets) > SPREAD * 0.9
    assert spread_offset("case-1", timedelta(0)) == timedelta(0)


async def test_the_timer_fires_after_the_case_s_offset_and_the_miss_carries_the_real_due_time(env, cases, store):
    case_id = late_case_id()
    offset = spread_offset(case_id, SPREAD)
    await cases.open_case(parse_command(scenario.register(case_id)), deadlines=DEADLINES)
    await cases.act(case_id, parse_command(scenario.full_lifecycle_after_registration()[0]))  # visitation opens
    due = (await cases.state(case_id)).phase_since + DEADLINES.visitation

    await env.sleep(DEADLINES.visitation + offset - timedelta(minutes=2))  # past the deadline, before the timer
    assert (await cases.state(case_id)).missed_deadlines == ()
    await env.sleep(timedelta(minutes=4))

    state = await cases.state(case_id)
    assert [(m.phase, m.due_at) for m in state.missed_deadlines] == [("visitation", due)]
    recorded = store.read_stream(case_id)[-1]
    assert recorded.event_type == "deadline_missed"
    assert recorded.occurred_at >= due + offset - timedelta(seconds=1)


async def test_a_phase_that_ends_after_its_deadline_but_before_the_timer_still_has_the_miss(env, cases, store):
    case_id = late_case_id()
    commands = scenario.full_lifecycle_after_registration()
    await cases.open_case(parse_command(scenario.register(case_id)), deadlines=DEADLINES)
    await cases.act(case_id, parse_command(commands[0]))
    due = (await cases.state(case_id)).phase_since + DEADLINES.visitation

    await env.sleep(DEADLINES.visitation + timedelta(minutes=1))  # the deadline passed; the case's timer has not fired
    assert (await cases.state(case_id)).missed_deadlines == ()
    for command in commands[1:3]:  # assessed and decided: visitation ends
        await cases.act(case_id, parse_command(command))

    state = await cases.state(case_id)
    assert state.phase.value != "visitation"
    assert [(m.phase, m.due_at) for m in state.missed_deadlines] == [("visitation", due)]
    assert [e.event_type for e in store.read_stream(case_id)].count("deadline_missed") == 1


async def test_a_phase_that_ends_before_its_deadline_has_no_miss(env, cases, store):
    case_id = late_case_id()
    commands = scenario.full_lifecycle_after_registration()
    await cases.open_case(parse_command(scenario.register(case_id)), deadlines=DEADLINES)
    for command in commands[:3]:
        await cases.act(case_id, parse_command(command))
    await env.sleep(DEADLINES.visitation + SPREAD)

    assert (await cases.state(case_id)).missed_deadlines == ()
