"""The case that goes on, rule by rule: given these events, when this command,
then these events or this refusal (SEL § 148, stk. 2; FVL §§ 19, 22; Rsl § 3, stk. 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.case.decider import command_adapter, decide, fold, initial_state
from domain.case.follow_up import HelpChoice
from domain.case.revisitation import ApplicationStatus
from domain.errors import DomainError
from domain.forum import forum_id
from domain.phases import Phase
from tests import scenario

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CW, TL, CITIZEN, VOLUNTEER = scenario.CASEWORKER, scenario.TEAM_LEAD, scenario.CITIZEN, scenario.VOLUNTEER
SYSTEM = {"id": "samskab", "role": "system"}


def command(data: dict, at: datetime):
    return command_adapter.validate_python(data).model_copy(update={"at": at})


def given(*commands: dict, state=None, at: datetime = NOW):
    """The state after these commands, each a minute after the last."""
    state = state or initial_state()
    for n, data in enumerate(commands):
        state = fold(decide(state, command(data, at + timedelta(minutes=n))), state)
    return state


def when(state, data: dict, at: datetime = NOW + timedelta(days=1)):
    return decide(state, command(data, at))


def refused(state, data: dict, at: datetime = NOW + timedelta(days=1)) -> DomainError:
    with pytest.raises(DomainError) as error:
        when(state, data, at)
    return error.value


def evaluated(heard: bool = False):
    commands = [scenario.register("case-1"), *scenario.full_lifecycle_after_registration()[:15]]
    if heard:
        commands += [
            {"type": "start_hearing", "actor": CW, "answer_within_days": 14},
            {"type": "answer_hearing", "actor": CITIZEN, "answer": "Enig"},
        ]
    return given(*commands)


def help_decision(choice: str, **extra) -> dict:
    return {
        "type": "decide_on_help",
        "actor": TL,
        "choice": choice,
        "reasons": f"Evalueringen taler for {choice}",
        **extra,
    }


def follow_up(result: str) -> dict:
    return {
        "type": "record_follow_up",
        "actor": CW,
        "result": result,
        "notes": "Hjemmebesøg",
        "citizen_took_part": True,
    }


def in_follow_up(heard: bool = False):
    return given(help_decision("continue"), state=evaluated(heard), at=NOW + timedelta(days=2))


# -- the decision about the help -------------------------------------------------


def test_given_an_evaluation_when_the_help_continues_then_a_numbered_decision_with_klagevejledning_starts_follow_up():
    events = when(evaluated(), help_decision("continue"))
    assert [e.type for e in events] == ["help_decided"]
    decided = events[0]
    assert decided.number == 2 and decided.choice is HelpChoice.CONTINUE  # the visitation's decision was no. 1
    assert "Ankestyrelsen" in decided.appeal_guidance and "Begrundelse" in decided.letter
    state = fold(events, evaluated())
    assert state.phase is Phase.FOLLOW_UP and state.visitation.decisions == 2


def test_given_no_hearing_when_the_help_is_stopped_or_adjusted_then_refused_until_the_citizen_is_heard():
    assert refused(evaluated(), help_decision("stop")).rule.startswith("decision.")
    plan = scenario.propose_plan()["plan"]
    assert refused(evaluated(), help_decision("adjust", plan=plan)).rule.startswith("decision.")
    assert when(evaluated(heard=True), help_decision("stop"))[0].choice is HelpChoice.STOP


def test_given_an_evaluation_when_adjusting_then_a_new_pilot_cycle_on_the_new_plan():
    plan = scenario.propose_plan()["plan"]
    assert refused(evaluated(heard=True), help_decision("adjust")).rule == "help.plan_with_adjust"
    state = given(help_decision("adjust", plan=plan), state=evaluated(heard=True), at=NOW + timedelta(days=2))
    assert state.phase is Phase.PILOT and state.evaluation is None and state.check_ins == 0
    assert state.follow_up.cycles == 1
    # the new cycle ends in its own evaluation and its own decision
    state = given(scenario.complete_pilot(), scenario.evaluation(), state=state, at=NOW + timedelta(days=30))
    assert when(state, help_decision("continue"), at=NOW + timedelta(days=31))[0].number == 3


def test_a_decision_needs_reasons_unless_the_help_continues_unchanged():
    error = refused(evaluated(heard=True), {**help_decision("stop"), "reasons": ""})
    assert (error.rule, error.field) == ("help.needs_reasons", "reasons")


def test_given_an_evaluation_when_scaling_then_a_proposal_to_the_target_groups_forum():
    assert refused(evaluated(), help_decision("scale")).rule == "help.scale_needs_proposal"
    events = when(evaluated(), help_decision("scale", forum_proposal="Mentorordningen kan tilbydes flere"))
    state = evaluated()
    assert events[0].forum_id == forum_id(state.assessment.target_group.code)
    assert fold(events, state).phase is Phase.FOLLOW_UP


def test_the_help_is_decided_once_per_evaluation():
    state = in_follow_up()
    error = refused(state, help_decision("continue"))
    assert error.rule == "help.not_open" and "follow_up" in error.message


# -- follow-up (SEL § 148, stk. 2) -----------------------------------------------------


def test_given_a_case_not_in_follow_up_when_a_follow_up_is_recorded_then_refused_naming_the_phase():
    error = refused(evaluated(), follow_up("continue"))
    assert error.rule == "case.wrong_phase" and "evaluation phase" in error.message


def test_given_follow_up_when_the_timer_fires_then_follow_up_due_is_recorded_in_order():
    state = in_follow_up()
    assert [e.type for e in when(state, {"type": "record_follow_up_due", "actor": SYSTEM, "number": 1})] == [
        "follow_up_due"
    ]
    assert (
        refused(state, {"type": "record_follow_up_due", "actor": SYSTEM, "number": 2}).rule == "follow_up.out_of_order"
    )
    assert refused(state, {"type": "record_follow_up_due", "actor": CW, "number": 1}).rule == "case.role_not_allowed"


def test_given_follow_up_when_it_finds_the_help_must_stop_then_a_decision_is_needed_before_the_next():
    state = given(follow_up("stop"), state=in_follow_up(heard=True), at=NOW + timedelta(days=400))
    assert state.follow_up.recorded == 1 and state.follow_up.last_at == NOW + timedelta(days=400)
    assert refused(state, follow_up("continue"), at=NOW + timedelta(days=401)).rule == "follow_up.decision_pending"
    assert refused(state, scenario.close(), at=NOW + timedelta(days=401)).rule == "case.close_while_help_goes_on"
    state = given(help_decision("stop"), state=state, at=NOW + timedelta(days=401))
    assert state.follow_up.help_ended
    assert [e.type for e in when(state, scenario.close(), at=NOW + timedelta(days=402))] == ["case_closed"]


# -- revisitation -------------------------------------------------------------------------


def changed_need(reporter: dict = CITIZEN, kind: str = "citizen") -> dict:
    return {
        "type": "report_changed_need",
        "actor": reporter,
        "reported_by": kind,
        "description": "Jonas har mistet sit job",
    }


RECEIVE = {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]}


def test_given_follow_up_when_a_volunteer_reports_a_changed_need_then_the_case_is_revisited():
    state = in_follow_up()
    events = when(state, changed_need(VOLUNTEER, "volunteer"))
    assert [e.type for e in events] == ["changed_need_reported"] and events[0].from_phase is Phase.FOLLOW_UP
    revisited = fold(events, state)
    assert revisited.phase is Phase.VISITATION
    assert revisited.revisitation is not None and revisited.revisitation.number == 1
    assert refused(state, changed_need(VOLUNTEER, "citizen")).rule == "revisitation.reporter_role"
    outsider = {"id": "vol-other", "role": "volunteer"}
    assert refused(state, changed_need(outsider, "volunteer")).rule == "revisitation.not_on_team"


def test_a_revisitation_has_its_own_application_assessment_and_decision_and_returns_to_the_help():
    at = NOW + timedelta(days=10)
    state = given(changed_need(), RECEIVE, state=in_follow_up(), at=at)
    assert [a.status for a in state.visitation.applications] == [ApplicationStatus.PENDING]
    assert state.visitation.application.due_at is not None  # its own processing deadline
    decision = {**scenario.decision(), "actor": TL}
    assert refused(state, decision, at=at + timedelta(days=1)).rule == "revisitation.needs_new_assessment"
    state = given(scenario.assessment(), state=state, at=at + timedelta(days=1))
    events = when(state, decision, at=at + timedelta(days=2))
    assert events[0].number == 3  # visitation 1, help 2, revisitation 3: its appeal is decision 3's
    state = fold(events, state)
    assert state.phase is Phase.FOLLOW_UP and state.revisitation is None
    assert (
        state.visitation.applications[0].status is ApplicationStatus.DECIDED
        and state.visitation.applications[0].decision == 3
    )


def test_a_second_application_of_the_same_kind_while_one_is_pending_is_refused_naming_phase_and_rule():
    state = given(changed_need(), RECEIVE, state=in_follow_up(), at=NOW + timedelta(days=10))
    error = refused(state, RECEIVE, at=NOW + timedelta(days=11))
    assert (
        error.rule == "application.same_kind_pending"
        and "visitation phase" in error.message
        and error.field == "applied_for"
    )


def test_a_case_cannot_close_while_an_application_is_undecided_and_withdrawal_is_recorded():
    state = given(scenario.register("case-1"), RECEIVE)  # a case in the need phase may close
    assert refused(state, scenario.close()).rule == "case.application_undecided"
    withdraw = {"type": "withdraw_application", "actor": CITIZEN, "number": 1, "reason": "Jeg klarer mig selv"}
    events = when(state, withdraw)
    assert [e.type for e in events] == ["application_withdrawn"]
    state = fold(events, state)
    assert state.visitation.applications[0].status is ApplicationStatus.WITHDRAWN
    assert refused(state, withdraw).rule == "application.not_pending"
    assert [e.type for e in when(state, scenario.close())] == ["case_closed"]


def test_given_a_closed_case_when_an_appeal_changes_the_decision_then_it_reopens_for_a_new_one():
    state = given(scenario.register("case-1"), *scenario.full_lifecycle_after_registration())
    assert state.phase is Phase.CLOSED
    reopen = {"type": "reopen_decision", "actor": SYSTEM, "appeal_id": "case-1-appeal-1", "reasons": "Ændret"}
    state = fold(when(state, reopen), state)
    assert state.phase is Phase.VISITATION and state.closed_reason is None and state.visitation.reopened_by
    assert when(state, {**scenario.decision(), "actor": TL})[0].number == 2


# -- the read side: work items and deadlines of a case that goes on --------------------------


def test_the_work_list_shows_the_decision_about_the_help_a_follow_up_due_and_the_next_follow_up():
    from domain.case.deadlines import PhaseDeadlines
    from domain.case_summary import upcoming_deadlines, work_items

    deadlines = PhaseDeadlines()
    assert [i.kind for i in work_items(evaluated(), deadlines)] == ["decide_on_help"]
    state = in_follow_up()
    assert work_items(state, deadlines) == []
    follow_up_deadline = [d for d in upcoming_deadlines(state, deadlines) if d.kind == "follow_up"]
    assert [d.due_at for d in follow_up_deadline] == [state.follow_up.help_decided_at + deadlines.follow_up_interval]
    state = given(
        {"type": "record_follow_up_due", "actor": SYSTEM, "number": 1}, state=state, at=NOW + timedelta(days=370)
    )
    assert [i.kind for i in work_items(state, deadlines)] == ["record_follow_up"]


def test_the_work_list_asks_the_caseworker_for_the_expected_date_when_the_deadline_passed():
    from domain.case.deadlines import PhaseDeadlines
    from domain.case_summary import work_items

    state = given(
        scenario.register("case-1"),
        {"type": "open_visitation", "actor": CW},
        {"type": "receive_application", "actor": CW, "applied_for": ["SEL § 85"]},
    )
    state = given(
        {"type": "record_processing_deadline_passed", "actor": SYSTEM}, state=state, at=NOW + timedelta(weeks=9)
    )
    kinds = [i.kind for i in work_items(state, PhaseDeadlines())]
    assert "set_expected_date" in kinds
