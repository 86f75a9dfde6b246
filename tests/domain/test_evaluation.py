"""The baseline and the evaluation in the Case decider: given events / when a
command / then events or a refusal naming the answer at fault."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import terminology
from domain.case.decider import command_adapter, decide, event_from_record, fold, initial_state
from domain.case.evaluation import LegacyEvaluationRecorded, pilot_type
from domain.errors import DomainError
from domain.phases import Phase
from tests import scenario

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LIFECYCLE = scenario.full_lifecycle_after_registration()
TYPES = [c["type"] for c in LIFECYCLE]


def command(data: dict):
    return command_adapter.validate_python(data).model_copy(update={"at": NOW})


def given(*commands: dict):
    state = initial_state()
    for data in commands:
        state = fold(decide(state, command(data)), state)
    return state


def until(command_type: str, *, including: bool = True) -> list[dict]:
    """The registration and the happy path up to (and with) the first command of this type."""
    end = TYPES.index(command_type) + (1 if including else 0)
    return [scenario.register("case-1"), *LIFECYCLE[:end]]


def in_pilot():
    return given(*until("start_pilot"))


def in_evaluation(with_baseline: bool = True):
    steps = until("start_pilot") + ([scenario.baseline()] if with_baseline else []) + [scenario.complete_pilot()]
    return given(*steps)


def refused(state, data: dict) -> DomainError:
    with pytest.raises(DomainError) as error:
        decide(state, command(data))
    return error.value


def with_items(data: dict, form: str, items: list) -> dict:
    return {**data, form: {**data[form], "items": items}}


# -- the baseline ---------------------------------------------------------------------


def test_the_baseline_is_taken_in_the_pilot_and_scored():
    state = given(*until("start_pilot"), scenario.baseline())
    assert state.phase is Phase.PILOT
    assert state.baseline.wemwbs.score == 38 and state.baseline.self_determination.score == 14
    # no re-assessment given: the assessment's function levels are the baseline
    assert [level.severity for level in state.baseline.function_levels] == [3, 2]


def test_the_baseline_may_re_assess_a_function_level():
    data = scenario.baseline() | {
        "function_levels": [
            {
                "condition": scenario.code(terminology.conditions(), "Varetage beskæftigelse"),
                "level": scenario.code(terminology.function_levels(), "Fuldstændig nedsat funktionsevne"),
            }
        ]
    }
    state = given(*until("start_pilot"), data)
    assert [level.severity for level in state.baseline.function_levels] == [4, 2]


def test_the_baseline_is_measured_once():
    error = refused(given(*until("start_pilot"), scenario.baseline()), scenario.baseline())
    assert error.rule == "evaluation.baseline_already_recorded"


def test_the_baseline_is_not_possible_before_the_pilot():
    assert refused(given(*until("start_pilot", including=False)), scenario.baseline()).rule == "case.wrong_phase"


def test_only_a_caseworker_records_the_baseline():
    error = refused(in_pilot(), scenario.baseline() | {"actor": scenario.VOLUNTEER})
    assert error.field == "actor.role"


def test_an_invalid_baseline_answer_is_named():
    error = refused(in_pilot(), with_items(scenario.baseline(), "wemwbs", [3] * 13 + [7]))
    assert error.field == "wemwbs.items[13]"


# -- the evaluation ---------------------------------------------------------------------


def test_the_evaluation_scores_the_instruments_and_the_four_value_domains_by_hand():
    state = given(*until("start_pilot"), scenario.baseline(), scenario.complete_pilot(), scenario.evaluation())
    ev = state.evaluation
    assert (ev.wemwbs_before, ev.wemwbs.score) == (38, 52)
    assert (ev.self_determination_before, ev.self_determination.score) == (14, 24)
    assert [(c.before_severity, c.after_severity) for c in ev.function_levels] == [(3, 2), (2, 2)]
    assert ev.goals[0].goal_type.display == "Udvikle funktionsevne"  # from the citizen's goal the plan goal serves
    d = ev.value_domains
    # productivity: hours 3->3 (50), cost 1500->1200 (60), caseworker 2->1 (75): mean 61.7
    assert d.productivity.score == 61.7
    # effects: goal 100; function levels: 3->2 = 66.67 and 2->2 = 50, mean 58.33;
    # WEMWBS 38->52: 50 + 50*14/32 = 71.875; SB-6 14->24: 50 + 50*10/16 = 81.25; mean 77.9
    assert d.effects.parts == {
        "goal_attainment": 100.0,
        "function_level": 58.3,
        "wemwbs": 71.9,
        "self_determination": 81.2,
    }
    assert d.effects.score == 77.9
    # democracy: 4/4 meetings, 3/3 decisions, own statement, consent respected
    assert d.democracy.score == 100.0
    # service experience: the citizen's 5 = 100
    assert d.service_experience.score == 100.0
    assert ev.follow_up.status.display == "Træf afgørelse om fortsættelse af indsats"
    assert ev.citizen_statement == "Jeg bestemmer mere selv nu"
    assert (
        given(
            *until("start_pilot"),
            scenario.baseline(),
            scenario.complete_pilot(),
            scenario.evaluation(),
            scenario.close(),
        ).phase
        is Phase.CLOSED
    )


def test_without_a_baseline_no_change_is_claimed():
    state = given(*until("start_pilot"), scenario.complete_pilot(), scenario.evaluation())
    ev = state.evaluation
    assert ev.baseline_at is None and ev.wemwbs_before is None
    assert ev.value_domains.productivity.score is None
    assert set(ev.value_domains.effects.parts) == {"goal_attainment", "function_level"}


def test_an_evaluation_item_out_of_range_is_named():
    error = refused(in_evaluation(), with_items(scenario.evaluation(), "self_determination", [4, 4, 0, 4, 4, 4]))
    assert error.field == "self_determination.items[2]" and error.rule == "instrument.item_out_of_range"


def test_an_evaluation_item_missing_is_named():
    error = refused(in_evaluation(), with_items(scenario.evaluation(), "wemwbs", [4] * 5 + [None] + [4] * 8))
    assert error.field == "wemwbs.items[5]" and error.rule == "instrument.missing_item"


def test_an_unknown_instrument_version_is_named():
    data = scenario.evaluation()
    data["wemwbs"] = data["wemwbs"] | {"version": "0.9"}
    assert refused(in_evaluation(), data).field == "wemwbs.version"


def test_every_assessed_condition_needs_its_function_level_after():
    data = scenario.evaluation()
    data["function_levels"] = data["function_levels"][:1]
    error = refused(in_evaluation(), data)
    assert error.rule == "evaluation.condition_not_followed_up" and "Deltage i sociale" in error.message


def test_a_function_level_for_a_condition_never_assessed_is_refused():
    data = scenario.evaluation()
    data["function_levels"] = [
        *data["function_levels"],
        {**data["function_levels"][0], "condition": scenario.code(terminology.conditions(), "Vaske sig")},
    ]
    error = refused(in_evaluation(), data)
    assert error.field == "function_levels[2].condition" and error.rule == "evaluation.condition_not_assessed"


def test_a_function_level_code_must_come_from_funktionsevneniveau():
    data = scenario.evaluation()
    data["function_levels"][0] = {
        **data["function_levels"][0],
        "level": scenario.code(terminology.goal_types(), "Udvikle funktionsevne"),
    }
    error = refused(in_evaluation(), data)
    assert error.field == "function_levels[0].level" and "Funktionsevneniveau" in error.message


def test_every_plan_goal_needs_its_attainment():
    error = refused(in_evaluation(), scenario.evaluation() | {"goals": []})
    assert error.field == "goals[0]" and error.rule == "evaluation.goal_missing"


def test_participation_cannot_exceed_what_was_held():
    data = scenario.evaluation()
    data["participation"] = data["participation"] | {"meetings_with_citizen": 5}
    error = refused(in_evaluation(), data)
    assert error.field == "participation.meetings_with_citizen"


def test_a_rating_out_of_range_is_named_and_one_rating_is_needed():
    error = refused(
        in_evaluation(),
        scenario.evaluation() | {"ratings": [{"by": "citizen", "rating": 5}, {"by": "relative", "rating": 0}]},
    )
    assert error.field == "ratings[1].rating"
    assert refused(in_evaluation(), scenario.evaluation() | {"ratings": []}).rule == "evaluation.no_rating"


def test_the_follow_up_decision_is_an_ffb_status_paa_indsats_code():
    data = scenario.evaluation()
    data["follow_up"] = data["follow_up"] | {"status": scenario.code(terminology.goal_types(), "Udvikle funktionsevne")}
    error = refused(in_evaluation(), data)
    assert error.field == "follow_up.status" and "Status på indsats" in error.message


def test_the_evaluation_is_recorded_once_and_before_the_case_closes():
    state = in_evaluation()
    assert refused(state, scenario.close()).rule == "case.close_before_evaluation"
    done = fold(decide(state, command(scenario.evaluation())), state)
    assert refused(done, scenario.evaluation()).rule == "evaluation.already_recorded"


def test_the_pilot_type_is_the_ydelse_main_group_and_legal_basis():
    state = given(*until("make_decision"))
    assert pilot_type(state.decision) == "Socialpædagogisk støtte (SEL § 85)"
    assert pilot_type(None) == "ingen ydelse"


def test_a_placeholder_evaluation_of_schema_1_still_reads_from_an_old_log():
    payload = {
        "value_domains": {"productivity": 4, "effects": 4, "democracy": 5, "service_experience": 4},
        "quality_of_life": {"before": 4, "after": 7},
        "self_determination": {"before": 3, "after": 7},
        "citizen_statement": "x",
        "recommendation": "continue",
        "reasons": "y",
    }
    header = {"schema_version": 1, "occurred_at": NOW, "actor": scenario.CASEWORKER}
    event = event_from_record("evaluation_recorded", header, payload)
    assert isinstance(event, LegacyEvaluationRecorded)
