"""Team assembly and the pilot on the time-skipping server: invitations with
reply deadlines, consent revoked mid-pilot, plan changes, meetings, check-ins
and an early stop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.cases import CommandRejected, parse_command
from domain.case.deadlines import PhaseDeadlines
from domain.case.team import InvitationStatus
from domain.phases import Phase
from eventlog.outbox import Outbox
from tests import scenario

LIFECYCLE = scenario.full_lifecycle_after_registration()
REPLY = timedelta(days=14)
DEADLINES = PhaseDeadlines(invitation_reply=REPLY, pilot_check_in=timedelta(weeks=4), team=None, pilot=None)


async def open_at(cases, case_id, upto: int, deadlines: PhaseDeadlines = DEADLINES) -> None:
    await cases.open_case(parse_command(scenario.register(case_id)), deadlines=deadlines)
    for command in LIFECYCLE[:upto]:
        await cases.act(case_id, parse_command(command))


def sent(settings, case_id: str) -> list[tuple[str, str]]:
    outbox = Outbox(settings.database_url)
    try:
        return [(m.kind, m.recipient) for m in outbox.for_case(case_id)]
    finally:
        outbox.dispose()


async def test_an_unanswered_invitation_is_reminded_then_expires_and_a_replacement_can_join(
    env, cases, case_id, settings, store
):
    await open_at(cases, case_id, 5)  # both invited, nobody answered
    await cases.act(case_id, parse_command(scenario.answer(scenario.STAFF)))

    await env.sleep(REPLY / 2 + timedelta(hours=1))
    state = await cases.state(case_id)
    assert state.team["vol-karim"].reminded and state.team["vol-karim"].status is InvitationStatus.INVITED

    await env.sleep(REPLY / 2)
    state = await cases.state(case_id)
    assert state.team["vol-karim"].status is InvitationStatus.EXPIRED
    types = [e.event_type for e in store.read_stream(case_id)]
    assert types.count("invitation_reminder_sent") == 1 and types.count("invitation_expired") == 1
    assert ("invitation", "vol-karim") in sent(settings, case_id)
    assert ("reminder", "vol-karim") in sent(settings, case_id)
    assert ("invitation_expired", "cw-anne") in sent(settings, case_id)

    replacement = {"id": "vol-emma", "role": "volunteer"}
    await cases.act(case_id, parse_command(scenario.invite(replacement, "Emma", "volunteer", "Røde Kors")))
    await cases.act(case_id, parse_command(scenario.answer(replacement)))
    result = await cases.act(case_id, parse_command(scenario.approve_team()))
    assert "team_approved_by_citizen" in result.events


async def test_an_answered_invitation_gets_no_reminder(env, cases, case_id, store):
    await open_at(cases, case_id, 7)
    await env.sleep(REPLY * 2)
    types = [e.event_type for e in store.read_stream(case_id)]
    assert "invitation_reminder_sent" not in types and "invitation_expired" not in types


async def test_revoking_consent_mid_pilot_refuses_the_volunteers_next_observation(cases, case_id):
    await open_at(cases, case_id, 13)  # pilot running, the volunteer observed once with consent
    await cases.act(case_id, parse_command(scenario.revoke(scenario.VOLUNTEER)))

    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.observation(scenario.VOLUNTEER, "Jonas var glad i dag")))

    assert refused.value.rule == "consent.missing"
    state = await cases.state(case_id)
    assert len(state.observations) == 1 and state.consents["vol-karim"].revoked_at is not None


async def test_a_plan_adjustment_is_recorded_with_its_reason_and_who_proposed_it(cases, case_id, store):
    await open_at(cases, case_id, 12)
    adjusted = scenario.propose_plan(responsible="jc-lise")
    adjustment = {
        "type": "adjust_plan",
        "actor": scenario.CASEWORKER,
        "plan": adjusted["plan"],
        "reason": "Jonas vil hellere have Lise som kontakt",
        "proposed_by": "citizen",
    }
    await cases.act(case_id, parse_command(adjustment))
    state = await cases.state(case_id)
    assert state.plan.activities[0].responsible == "jc-lise" and state.plan_adjustments == 1
    last = store.read_stream(case_id)[-1]
    assert last.event_type == "plan_adjusted" and last.payload["proposed_by"] == "citizen"


async def test_a_joint_meeting_is_held_with_the_citizen_and_its_minutes_recorded(cases, case_id, settings):
    await open_at(cases, case_id, 12)
    await cases.act(case_id, parse_command(scenario.schedule_meeting()))
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.record_meeting(citizen_present=False)))
    assert refused.value.rule == "meeting.citizen_absent"
    await cases.act(case_id, parse_command(scenario.record_meeting()))
    state = await cases.state(case_id)
    assert state.meetings[1].held and "citizen" in state.meetings[1].attended
    assert ("meeting", "vol-karim") in sent(settings, case_id)


async def test_the_pilot_is_checked_in_on_every_interval_until_it_ends(env, cases, case_id, settings, store):
    await open_at(cases, case_id, 12)
    await env.sleep(timedelta(weeks=9))
    assert (await cases.state(case_id)).check_ins == 2
    assert sent(settings, case_id).count(("check_in", "cw-anne")) == 2
    await cases.act(case_id, parse_command(scenario.complete_pilot()))
    await env.sleep(timedelta(weeks=9))
    assert (await cases.state(case_id)).check_ins == 2


async def test_a_pilot_can_end_early_with_a_reason(cases, case_id):
    await open_at(cases, case_id, 12)
    stop = scenario.complete_pilot() | {
        "ended_early": True,
        "early_end_reason": "Jonas er flyttet til en anden kommune",
    }
    result = await cases.act(case_id, parse_command(stop))
    state = await cases.state(case_id)
    assert result.phase is Phase.EVALUATION and state.pilot_result.ended_early
