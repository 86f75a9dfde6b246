"""Deadlines that pass together do not wake every case at once: a case's phase
deadline timer fires a share of ``deadline_spread`` after the deadline, fixed per case
(``domain.case.deadlines.spread_offset``); the miss carries the real due time, and a phase that
ends after its deadline but before the spread timer fires still has its miss recorded. The
processing and hearing deadlines and the appeal's window do the same."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from app.cases import CaseClient, parse_command
from app.settings import Settings
from domain.appeal import AppealStatus, appeal_id
from domain.case.deadlines import PhaseDeadlines, spread_offset
from tests import scenario
from tests.workflows.test_visitation_timers import CITIZEN, CW, _appeal_status, assessed_case, eventually, partly, run

SPREAD = timedelta(minutes=10)
VISITATION = timedelta(days=1)
DEADLINES = PhaseDeadlines(visitation=VISITATION)


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
    due = await visitation_due(cases, case_id)

    await env.sleep(VISITATION + offset - timedelta(minutes=2))  # past the deadline, before the timer
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
    due = await visitation_due(cases, case_id)

    await env.sleep(VISITATION + timedelta(minutes=1))  # the deadline passed; the case's timer has not fired
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
    await env.sleep(VISITATION + SPREAD)

    assert (await cases.state(case_id)).missed_deadlines == ()


# -- the other deadlines many cases share ----------------------------------------------------------------


def late_case_and_appeal_id() -> str:
    """A case id whose own spread and its first appeal's both put their timers well after the moment."""
    while spread_offset(case_id := late_case_id(), SPREAD) < timedelta(minutes=4) or spread_offset(
        appeal_id(case_id, 1), SPREAD
    ) < timedelta(minutes=4):
        pass
    return case_id


async def visitation_due(cases: CaseClient, case_id: str) -> datetime:
    """When the visitation that has just opened is due, by the municipality's deadline."""
    opened = (await cases.state(case_id)).phase_since
    assert opened is not None  # the case is in a phase
    return opened + VISITATION


async def _application_received(cases, case_id: str) -> datetime:
    await assessed_case(cases, case_id, heard=False)
    await run(cases, case_id, {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]})
    return (await cases.state(case_id)).visitation.application.due_at


async def test_the_processing_deadline_fires_after_the_case_s_offset_and_carries_the_real_due_time(env, cases, store):
    case_id = late_case_id()
    offset = spread_offset(case_id, SPREAD)
    due = await _application_received(cases, case_id)

    await env.sleep(
        due + offset - timedelta(minutes=2) - await env.get_current_time()
    )  # past the deadline, before the timer
    assert not (await cases.state(case_id)).visitation.delay.deadline_passed
    await env.sleep(timedelta(minutes=4))

    assert (await cases.state(case_id)).visitation.delay.deadline_passed
    passed = next(e for e in reversed(store.read_stream(case_id)) if e.event_type == "processing_deadline_passed")
    assert datetime.fromisoformat(str(passed.payload["due_at"]).replace("Z", "+00:00")) == due
    assert passed.occurred_at >= due + offset - timedelta(seconds=1)


async def test_the_hearing_deadline_fires_after_the_case_s_offset_and_carries_the_real_due_time(env, cases, store):
    case_id = late_case_id()
    offset = spread_offset(case_id, SPREAD)
    await assessed_case(cases, case_id, heard=False)
    await run(cases, case_id,
              {"type": "consent_to_obtain_information", "actor": CITIZEN, "information": ["Lægeerklæring"],
               "from_whom": ["Egen læge"], "case_id": case_id},
              {"type": "record_case_information", "actor": CW, "source": "Egen læge", "summary": "Kan arbejde 10 timer om ugen"},
              {"type": "start_hearing", "actor": CW, "answer_within_days": 14})  # fmt: skip
    due = (await cases.state(case_id)).visitation.hearing.due_at

    await env.sleep(due + offset - timedelta(minutes=2) - await env.get_current_time())
    assert not (await cases.state(case_id)).visitation.hearing.deadline_passed
    await env.sleep(timedelta(minutes=4))

    assert (await cases.state(case_id)).visitation.hearing.deadline_passed
    passed = store.read_stream(case_id)[-1]
    assert passed.event_type == "hearing_deadline_passed"
    assert datetime.fromisoformat(str(passed.payload["due_at"]).replace("Z", "+00:00")) == due
    assert passed.occurred_at >= due + offset - timedelta(seconds=1)


async def test_the_appeal_window_closes_after_the_appeal_s_offset_and_carries_the_real_end(env, cases, store):
    case_id = late_case_and_appeal_id()
    offset = spread_offset(appeal_id(case_id, 1), SPREAD)
    await assessed_case(cases, case_id)
    await run(cases, case_id, partly())
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN))
    ends = (await cases.appeal_state(case_id)).window_ends_at

    await env.sleep(ends + offset - timedelta(minutes=2) - await env.get_current_time())
    assert (await cases.appeal_state(case_id)).status is AppealStatus.WINDOW_OPEN
    await env.sleep(timedelta(minutes=4))

    closed = store.read_stream(appeal_id(case_id, 1))[-1]
    assert closed.event_type == "appeal_window_closed"
    assert datetime.fromisoformat(str(closed.payload["window_ends_at"]).replace("Z", "+00:00")) == ends
    assert closed.occurred_at >= ends + offset - timedelta(seconds=1)


async def test_an_invitation_s_reminder_and_expiry_fire_after_the_case_s_offset(env, cases, store):
    case_id = late_case_id()
    offset = spread_offset(case_id, SPREAD)
    reply = timedelta(days=14)
    await cases.open_case(parse_command(scenario.register(case_id)),
                          deadlines=PhaseDeadlines(invitation_reply=reply, team=None, pilot=None))  # fmt: skip
    for command in scenario.full_lifecycle_after_registration()[:5]:  # both invited, nobody answered
        await cases.act(case_id, parse_command(command))
    invited_at = (await cases.state(case_id)).team["vol-karim"].invited_at

    await env.sleep(invited_at + reply / 2 + offset - timedelta(minutes=2) - await env.get_current_time())
    assert not (await cases.state(case_id)).team["vol-karim"].reminded
    await env.sleep(timedelta(minutes=4))
    assert (await cases.state(case_id)).team["vol-karim"].reminded

    await env.sleep(invited_at + reply + offset - timedelta(minutes=2) - await env.get_current_time())
    assert (await cases.state(case_id)).team["vol-karim"].status.value == "invited"
    await env.sleep(timedelta(minutes=4))
    assert (await cases.state(case_id)).team["vol-karim"].status.value == "expired"
    expired = [e for e in store.read_stream(case_id)
               if e.event_type == "invitation_expired" and e.payload["person_id"] == "vol-karim"]  # fmt: skip
    assert len(expired) == 1 and expired[0].occurred_at >= invited_at + reply + offset - timedelta(seconds=1)
