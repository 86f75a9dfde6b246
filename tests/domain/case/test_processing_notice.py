"""Processing-deadline notices (retssikkerhedsloven § 3, stk. 2): given events, when a
command, then events or a refusal. No date is ever made up for the citizen."""

from __future__ import annotations

from datetime import date, timedelta

from domain.phases import Phase
from tests import scenario
from tests.domain.test_follow_up_rules import CW, NOW, SYSTEM, given, refused, when

RECEIVE = {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]}  # 8 weeks


def received():
    return given(scenario.register("case-1"), {"type": "open_visitation", "actor": CW}, RECEIVE)


def delay(expected: date, reason: str = "Vi venter på en lægeerklæring") -> dict:
    return {"type": "notify_processing_delay", "actor": CW, "expected_by": expected.isoformat(), "reason": reason}


PASSED = {"type": "record_processing_deadline_passed", "actor": SYSTEM}


def test_given_a_pending_application_when_the_caseworker_knows_it_will_be_late_then_the_citizen_gets_the_date_and_reason():
    expected = (NOW + timedelta(weeks=10)).date()
    events = when(received(), delay(expected))
    assert [e.type for e in events] == ["processing_delay_notified"]
    assert f"{expected:%d.%m.%Y}" in events[0].notice and "lægeerklæring" in events[0].notice


def test_a_delay_notice_names_a_date_after_the_deadline_and_ahead():
    assert refused(received(), delay((NOW + timedelta(weeks=4)).date())).rule == "deadline.expected_not_after_deadline"
    assert refused(received(), delay(NOW.date())).rule == "deadline.expected_in_past"
    state = given(scenario.register("case-1"), {"type": "open_visitation", "actor": CW})
    assert refused(state, delay((NOW + timedelta(weeks=10)).date())).rule == "deadline.no_pending_application"


def test_given_no_date_when_the_deadline_passes_then_the_notice_promises_none_and_asks_the_caseworker():
    after_deadline = NOW + timedelta(weeks=8, minutes=5)
    assert refused(received(), PASSED).rule == "deadline.not_passed"
    events = when(received(), PASSED, at=after_deadline)
    assert events[0].expected_by is None and "forvente en afgørelse senest" not in events[0].notice
    state = given(PASSED, state=received(), at=after_deadline)
    assert state.visitation.delay.expected_date_needed and state.phase is Phase.VISITATION
    assert refused(state, PASSED, at=after_deadline).rule == "deadline.already_recorded"


def test_given_a_date_given_when_it_passes_then_a_second_notice_once_and_a_new_date_is_asked_for():
    expected = (NOW + timedelta(weeks=10)).date()
    state = given(delay(expected), state=received())
    later = NOW + timedelta(weeks=10, days=2)
    passed = {"type": "record_expected_date_passed", "actor": SYSTEM, "expected_by": expected.isoformat()}
    assert refused(state, passed, at=NOW + timedelta(weeks=9)).rule == "deadline.expected_not_passed"
    state = given(passed, state=state, at=later)
    assert state.visitation.delay.expected_date_needed and state.visitation.delay.notices == 2
    assert refused(state, passed, at=later).rule == "deadline.expected_not_passed"  # once per date
    state = given(delay(expected + timedelta(weeks=2)), state=state, at=later)
    assert not state.visitation.delay.expected_date_needed


def test_a_decision_ends_the_notices():
    state = given(scenario.assessment(), *scenario.heard(), state=received())
    state = given({**scenario.decision(), "actor": scenario.TEAM_LEAD}, state=state, at=NOW + timedelta(days=1))
    assert refused(state, PASSED, at=NOW + timedelta(weeks=9)).rule in (
        "case.wrong_phase",
        "deadline.no_pending_application",
    )
