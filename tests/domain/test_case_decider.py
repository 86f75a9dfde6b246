"""The Case decider, given events / when a command / then events or a refusal.
No Temporal, no database: the rules alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.case.decider import command_adapter, decide, fold, initial_state
from domain.errors import DomainError
from domain.phases import Phase
from tests import scenario

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def command(data: dict):
    return command_adapter.validate_python(data).model_copy(update={"at": NOW})


def given(*commands: dict):
    """The state after carrying out each command in turn (each must be accepted)."""
    state = initial_state()
    for data in commands:
        state = fold(decide(state, command(data)), state)
    return state


def steps(n: int) -> list[dict]:
    return [scenario.register("case-1"), *scenario.full_lifecycle_after_registration()[:n]]


def refused(state, data: dict) -> DomainError:
    with pytest.raises(DomainError) as error:
        decide(state, command(data))
    return error.value


def test_the_whole_lifecycle_ends_closed_with_one_version_per_event():
    state = given(*steps(16))
    assert state.phase is Phase.CLOSED
    assert state.version == 17
    assert state.evaluation is not None and state.evaluation.citizen_statement == "Jeg bestemmer mere selv nu"


def test_a_command_out_of_phase_names_the_phase_and_what_is_allowed():
    error = refused(given(*steps(0)), scenario.start_pilot())
    assert error.rule == "case.wrong_phase"
    assert "need phase" in error.message
    assert "Allowed now: Open visitation, " in error.message and "Close case" in error.message


def test_a_closed_case_allows_nothing():
    error = refused(given(*steps(16)), scenario.observation(scenario.VOLUNTEER))
    assert "nothing (the case is closed)" in error.message


def test_only_a_caseworker_or_team_lead_opens_visitation():
    error = refused(given(*steps(0)), {"type": "open_visitation", "actor": scenario.VOLUNTEER})
    assert error.field == "actor.role" and "volunteer" in error.message


def test_the_assessment_refuses_a_code_from_the_wrong_list_naming_field_code_and_list():
    data = scenario.assessment()
    data["conditions"][0]["condition"] = scenario.code(scenario.terminology.goal_types(), "Udvikle funktionsevne")
    error = refused(given(*steps(1)), data)
    assert error.field == "conditions[0].condition"
    assert 'FFB "FFB tilstande"' in error.message and "Udvikle funktionsevne" in error.message


def test_the_assessment_refuses_an_unknown_code():
    data = scenario.assessment()
    data["target_group"] = "not-a-code"
    error = refused(given(*steps(1)), data)
    assert error.rule == "terminology.unknown_code" and error.field == "target_group"


def test_the_assessment_records_the_ffb_function_level_for_each_severity():
    state = given(*steps(2))
    levels = [c.function_level.display for c in state.assessment.conditions]
    assert levels == ["Svært nedsat funktionsevne", "Moderat nedsat funktionsevne"]


def test_a_decision_needs_an_assessment_first():
    error = refused(given(*steps(1)), scenario.decision())
    assert error.rule == "decision.needs_assessment"


@pytest.mark.parametrize("outcome", ["partly_granted", "refused"])
def test_reasons_are_required_unless_granted_in_full(outcome):
    error = refused(given(*steps(2)), scenario.decision(outcome, reasons=" "))
    assert error.field == "reasons" and "§ 22" in error.message


def test_a_decision_names_a_known_legal_basis():
    data = scenario.decision()
    data["services"][0]["legal_basis"] = "SEL § 999"
    error = refused(given(*steps(2)), data)
    assert error.field == "services[0].legal_basis"


def test_a_decision_carries_appeal_guidance():
    state = given(*steps(3))
    assert "Ankestyrelsen" in state.decision.appeal_guidance


def test_a_refusal_moves_the_case_to_refused_where_it_can_be_closed():
    state = given(*steps(2), *scenario.heard(), scenario.decision("refused", reasons="Behovet dækkes af andre tilbud"))
    assert state.phase is Phase.REFUSED
    assert (
        given(*steps(2), *scenario.heard(), scenario.decision("refused", reasons="x y z"), scenario.close()).phase
        is Phase.CLOSED
    )


def test_only_the_invited_person_answers_an_invitation():
    error = refused(given(*steps(4)), scenario.answer(scenario.STAFF))
    assert error.rule == "team.no_open_invitation"


def test_declining_needs_a_reason():
    error = refused(given(*steps(5)), scenario.answer(scenario.STAFF, accept=False))
    assert error.field == "reason"


def test_the_citizen_approves_the_team_only_when_everyone_has_answered():
    error = refused(given(*steps(6)), scenario.approve_team())
    assert error.rule == "team.open_invitations" and "Lise" in error.message


def test_only_the_citizen_approves_the_team():
    error = refused(given(*steps(7)), {"type": "approve_team", "actor": scenario.CASEWORKER})
    assert error.field == "actor.role"


def test_the_plan_waits_for_the_citizens_approval_of_the_team():
    error = refused(given(*steps(7)), scenario.propose_plan())
    assert error.rule == "pilot.team_not_approved"


def test_the_pilot_waits_for_the_citizen_to_accept_the_plan():
    error = refused(given(*steps(10)), scenario.start_pilot())
    assert error.rule == "pilot.plan_not_accepted"


def test_only_the_citizen_accepts_the_plan():
    error = refused(given(*steps(10)), scenario.accept_plan() | {"actor": scenario.CASEWORKER})
    assert error.field == "actor.role"


def test_the_citizen_may_ask_for_changes_to_the_plan_saying_which():
    assert refused(given(*steps(10)), scenario.accept_plan(accept=False)).field == "comment"
    state = given(*steps(10), scenario.accept_plan(accept=False, comment="Hellere om eftermiddagen"))
    assert state.plan_change_requests == ("Hellere om eftermiddagen",) and not state.plan_accepted


def test_a_plan_activity_is_owned_by_someone_on_the_team():
    error = refused(given(*steps(8)), scenario.propose_plan(responsible="stranger"))
    assert error.field == "plan.activities[0].responsible"


def test_a_plan_goal_links_to_one_of_the_citizens_goals_and_lies_ahead():
    assert refused(given(*steps(8)), scenario.propose_plan(linked_goal=2)).field == "plan.goals[0].linked_goal"
    past = scenario.propose_plan(target=NOW.date())
    assert refused(given(*steps(8)), past).field == "plan.goals[0].target_date"


def test_an_observation_comes_from_the_team():
    error = refused(given(*steps(12)), scenario.observation({"id": "someone", "role": "volunteer"}))
    assert error.rule == "pilot.observer_not_on_team"


def test_an_early_end_of_the_pilot_needs_a_reason():
    data = scenario.complete_pilot() | {"ended_early": True}
    error = refused(given(*steps(13)), data)
    assert error.field == "early_end_reason"


def test_a_case_in_evaluation_closes_only_after_the_evaluation():
    error = refused(given(*steps(14)), scenario.close())
    assert error.rule == "case.close_before_evaluation"


def test_the_system_alone_records_a_missed_deadline():
    error = refused(
        given(*steps(1)),
        {
            "type": "record_missed_deadline",
            "actor": scenario.CASEWORKER,
            "phase": "visitation",
            "due_at": NOW.isoformat(),
        },
    )
    assert error.field == "actor.role"


def test_an_unstamped_command_is_refused():
    with pytest.raises(DomainError) as error:
        decide(initial_state(), command_adapter.validate_python(scenario.register("case-1")))
    assert error.value.field == "at"


def test_a_bad_cpr_number_is_refused_by_the_model():
    data = scenario.register("case-1")
    data["citizen"]["cpr"] = "3213991234"
    with pytest.raises(Exception) as error:
        command_adapter.validate_python(data)
    assert "CPR" in str(error.value)
