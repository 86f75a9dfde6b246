"""Every visitation timer on the time-skipping server: the processing deadline
(reminder, miss, notice, escalation), the hearing deadline, the appeal window,
a late appeal, an overdue reconsideration, Ankestyrelsen, a changed decision."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from activities.readmodels import case_view
from app.cases import CaseClient, CommandRejected, parse_appeal_command, parse_command
from app.keys import open_key_store
from domain import terminology
from domain.appeal import AppealStatus, appeal_id
from domain.personal_data import ERASED_MARKER
from domain.phases import Phase
from eventlog.outbox import Outbox
from tests import scenario

CW, TL, CITIZEN = scenario.CASEWORKER, scenario.TEAM_LEAD, scenario.CITIZEN
SEL85 = {
    "service": scenario.code(terminology.services(), "Støtte til beskæftigelse"),
    "legal_basis": "SEL § 85",
    "hours_per_week": 3,
}


def partly(actor=TL) -> dict:
    return {
        "type": "make_decision",
        "actor": actor,
        "outcome": "partly_granted",
        "services": [SEL85],
        "reasons": "Delvist dækket",
    }


async def run(cases: CaseClient, case_id: str, *commands: dict) -> None:
    for data in commands:
        await cases.act(case_id, parse_command(data))


async def assessed_case(cases: CaseClient, case_id: str, heard: bool = True) -> None:
    """Assessed, and heard on the assessment (FVL § 19) unless ``heard`` is False."""
    await cases.open_case(parse_command(scenario.register(case_id)))
    await run(
        cases,
        case_id,
        {"type": "open_visitation", "actor": CW},
        scenario.assessment(),
        *(scenario.heard() if heard else ()),
    )


def outbox_for(settings, stream_id: str) -> list:
    outbox = Outbox(settings.database_url)
    try:
        return outbox.for_case(stream_id)
    finally:
        outbox.dispose()


async def eventually(check, tries: int = 100):
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")


async def test_the_processing_deadline_reminds_then_tells_the_citizen_with_no_made_up_date_and_asks_the_caseworker(
    env, cases, case_id, settings, store
):
    await assessed_case(cases, case_id, heard=False)  # no decision against the citizen here
    await run(cases, case_id, {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]})

    await env.sleep(timedelta(weeks=7, days=1))  # the reminder goes a week before the 8 weeks
    assert [m.kind for m in outbox_for(settings, case_id)] == ["reminder"]
    assert not (await cases.state(case_id)).visitation.delay.deadline_passed

    await env.sleep(timedelta(weeks=1))
    state = await eventually(lambda: _passed(cases, case_id))
    assert state.visitation.delay.expected_date_needed  # the caseworker's work item: no date is made up
    # the visitation's phase deadline (also 8 weeks) is recorded up to the deadline spread later
    passed = next(e for e in reversed(store.read_stream(case_id)) if e.event_type == "processing_deadline_passed")
    assert passed.legal_basis == "Retssikkerhedsloven § 3, stk. 2"
    sent = outbox_for(settings, case_id)
    assert [(m.recipient, m.kind) for m in sent][1:] == [
        ("citizen", "deadline_notice"),
        ("team_lead", "escalation"),
        ("cw-anne", "expected_date_needed"),
    ]
    assert "Du kan forvente en afgørelse senest" not in sent[1].body

    # the caseworker sets the date: the citizen is told at once
    expected = (await env.get_current_time()).date() + timedelta(days=10)
    await run(
        cases,
        case_id,
        {
            "type": "notify_processing_delay",
            "actor": CW,
            "expected_by": expected.isoformat(),
            "reason": "Vi venter på en lægeerklæring",
        },
    )
    await eventually(lambda: _kinds_count(settings, case_id, "deadline_notice", 2))
    assert not (await cases.state(case_id)).visitation.delay.expected_date_needed
    # and when that date passes too, a second notice, and the caseworker is asked again
    await env.sleep(timedelta(days=12))
    await eventually(lambda: _kinds_count(settings, case_id, "deadline_notice", 3))
    assert [e.event_type for e in store.read_stream(case_id)][-1] == "expected_date_passed"
    assert (await cases.state(case_id)).visitation.delay.expected_date_needed


async def test_the_caseworker_tells_the_citizen_before_the_deadline_and_no_second_date_is_asked(
    env, cases, case_id, settings, store
):
    await assessed_case(cases, case_id, heard=False)
    await run(cases, case_id, {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]})
    too_early = (await env.get_current_time()).date() + timedelta(weeks=4)
    with pytest.raises(CommandRejected) as refused:
        await run(
            cases,
            case_id,
            {
                "type": "notify_processing_delay",
                "actor": CW,
                "expected_by": too_early.isoformat(),
                "reason": "Travlhed",
            },
        )
    assert (refused.value.rule, refused.value.field) == ("deadline.expected_not_after_deadline", "expected_by")
    expected = (await env.get_current_time()).date() + timedelta(weeks=10)
    await run(
        cases,
        case_id,
        {
            "type": "notify_processing_delay",
            "actor": CW,
            "expected_by": expected.isoformat(),
            "reason": "Vi venter på en lægeerklæring",
        },
    )
    await eventually(lambda: _kinds_count(settings, case_id, "deadline_notice", 1))
    await env.sleep(timedelta(weeks=8, days=1))
    state = await eventually(lambda: _passed(cases, case_id))
    assert not state.visitation.delay.expected_date_needed  # the citizen has a date already
    assert "expected_date_needed" not in [m.kind for m in outbox_for(settings, case_id)]


async def _passed(cases, case_id):
    state = await cases.state(case_id)
    return state if state.visitation.delay.deadline_passed else None


async def _kinds_count(settings, stream_id, kind, count):
    return [m.kind for m in outbox_for(settings, stream_id)].count(kind) == count


async def test_a_decision_in_time_stops_the_processing_deadline(env, cases, case_id, settings):
    await assessed_case(cases, case_id)
    await run(cases, case_id, {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]}, partly())
    await env.sleep(timedelta(weeks=9))
    state = await cases.state(case_id)
    assert not state.visitation.delay.deadline_passed
    assert "deadline_notice" not in [m.kind for m in outbox_for(settings, case_id)]


async def test_the_hearing_deadline_passing_lets_the_decision_be_made(env, cases, case_id, settings):
    await assessed_case(cases, case_id, heard=False)
    await run(
        cases,
        case_id,
        {
            "type": "consent_to_obtain_information",
            "actor": CITIZEN,
            "information": ["Lægeerklæring"],
            "from_whom": ["Egen læge"],
            "case_id": case_id,
        },
        {
            "type": "record_case_information",
            "actor": CW,
            "source": "Egen læge",
            "summary": "Kan arbejde 10 timer om ugen",
        },
        {"type": "start_hearing", "actor": CW, "answer_within_days": 14},
    )
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(partly()))
    assert refused.value.rule == "decision.hearing_open"

    await env.sleep(timedelta(days=15))

    state = await cases.state(case_id)
    assert state.visitation.hearing.deadline_passed and state.visitation.information[0].heard
    assert [m.kind for m in outbox_for(settings, case_id)] == ["hearing", "hearing_deadline"]
    result = await cases.act(case_id, parse_command(partly()))
    assert result.phase is Phase.TEAM


async def test_no_appeal_in_the_window_closes_it_and_a_late_appeal_is_recorded_and_flagged(
    env, cases, case_id, settings
):
    await assessed_case(cases, case_id)
    await run(cases, case_id, partly())
    appeal = appeal_id(case_id, 1)
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN))

    await env.sleep(timedelta(weeks=5))  # 4 weeks to the end of the day, past a weekend or holiday

    assert (await cases.appeal_state(case_id)).status is AppealStatus.WINDOW_CLOSED  # and its workflow ended
    result = await cases.act_on_appeal(
        case_id,
        parse_appeal_command({"type": "lodge_appeal", "actor": CITIZEN, "complaint": "Jeg havde ikke set brevet"}),
    )
    assert result.status is AppealStatus.AWAITING_RECONSIDERATION
    state = await cases.appeal_state(case_id)
    assert state.late
    await eventually(lambda: _kinds_include(settings, appeal, "late_appeal"))
    assert ("team_lead", "late_appeal") in [(m.recipient, m.kind) for m in outbox_for(settings, appeal)]


async def test_an_overdue_reconsideration_escalates_and_an_upheld_one_goes_to_ankestyrelsen(
    env, cases, case_id, settings, store
):
    await assessed_case(cases, case_id)
    await run(cases, case_id, partly())
    appeal = appeal_id(case_id, 1)
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN))
    await cases.act_on_appeal(
        case_id, parse_appeal_command({"type": "lodge_appeal", "actor": CITIZEN, "complaint": "For få timer"})
    )
    assert not (await cases.appeal_state(case_id)).late

    await env.sleep(timedelta(weeks=4, days=1))

    assert (await cases.appeal_state(case_id)).reconsideration_overdue
    await cases.act_on_appeal(
        case_id, parse_appeal_command({"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "Fastholdes"})
    )
    await eventually(lambda: _kinds_include(settings, appeal, "appeal_forwarded"))
    sent = outbox_for(settings, appeal)
    assert ("Ankestyrelsen", "appeal_forwarded") in [(m.recipient, m.kind) for m in sent]
    assert "escalation" in [m.kind for m in sent]
    assert [e.event_type for e in store.read_stream(appeal)][-2:] == [
        "decision_reconsidered",
        "appeal_sent_to_ankestyrelsen",
    ]


async def test_the_complaint_and_reconsideration_are_under_the_citizens_key_and_erased_with_it(
    env, cases, case_id, store, keys, settings
):
    complaint, reasons = "Jeg har brug for hjælp om natten", "Borgerens søvnproblemer er vurderet"
    await assessed_case(cases, case_id)
    await run(cases, case_id, partly())
    appeal = appeal_id(case_id, 1)
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN))
    await cases.act_on_appeal(case_id, parse_appeal_command(scenario.lodge_appeal(complaint)))
    await cases.act_on_appeal(case_id, parse_appeal_command({**scenario.reconsider("upheld"), "reasons": reasons}))
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.SENT_TO_ANKESTYRELSEN))

    stored = json.dumps([e.payload for e in store.read_stream(appeal)], ensure_ascii=False)
    assert complaint not in stored and reasons not in stored  # ciphertext in the log
    assert complaint in json.dumps(case_view(store, appeal, keys), ensure_ascii=False)  # plaintext when read

    keys.destroy(keys.key_id_for_stream(case_id), basis="GDPR art. 17")  # the citizen's key, bound to the case

    view = case_view(store, appeal, open_key_store(store, settings))  # as another process reads it
    sent = next(e for e in view if e["type"] == "appeal_sent_to_ankestyrelsen")
    assert sent["payload"]["complaint"] == sent["payload"]["reconsideration_reasons"] == ERASED_MARKER
    assert complaint not in json.dumps(view, ensure_ascii=False) and store.verify().ok


async def test_a_decision_changed_on_reconsideration_reopens_the_case_for_a_new_decision(env, cases, case_id, store):
    await assessed_case(cases, case_id)
    await run(cases, case_id, partly())
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN))
    await cases.act_on_appeal(
        case_id, parse_appeal_command({"type": "lodge_appeal", "actor": CITIZEN, "complaint": "For få timer"})
    )
    with pytest.raises(CommandRejected) as refused:
        await cases.act_on_appeal(
            case_id,
            parse_appeal_command({"type": "reconsider", "actor": CITIZEN, "outcome": "changed", "reasons": "x"}),
        )
    assert refused.value.field == "actor.role"
    await cases.act_on_appeal(
        case_id,
        parse_appeal_command({"type": "reconsider", "actor": TL, "outcome": "changed", "reasons": "Nye oplysninger"}),
    )
    state = await eventually(lambda: _reopened(cases, case_id))
    assert state.visitation.reopened_by == appeal_id(case_id, 1)
    result = await cases.act(case_id, parse_command({**partly(), "outcome": "granted", "reasons": ""}))
    assert result.phase is Phase.TEAM
    assert (await cases.state(case_id)).decision.number == 2
    await eventually(lambda: _appeal_status(cases, case_id, AppealStatus.WINDOW_OPEN, decision_number=2))


async def _appeal_status(cases, case_id, status, decision_number=1):
    try:
        return (await cases.appeal_state(case_id, decision_number)).status is status
    except Exception:  # noqa: BLE001 - polled until it holds: an appeal not started yet is not there
        return False


async def _kinds_include(settings, stream_id, kind):
    return kind in [m.kind for m in outbox_for(settings, stream_id)]


async def _reopened(cases, case_id):
    state = await cases.state(case_id)
    return state if state.visitation.reopened_by else None
