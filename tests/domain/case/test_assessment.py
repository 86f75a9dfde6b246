"""The needs assessment (VUM) is recorded in KL's codes, each from its own list, with
the FFB function level its severity stands for, once a case officer has opened the
visitation (domain/case/assessment.py, domain/case/need.py, domain/terminology.py)."""

from __future__ import annotations

import pytest

from domain import terminology
from tests import scenario
from tests.domain.case.histories import OPEN_VISITATION, VOLUNTEER, assessed, in_visitation, registered
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id


def assessment(**changes) -> dict:
    return scenario.assessment() | changes


def with_first_condition(condition: str) -> dict:
    data = scenario.assessment()
    data["conditions"][0]["condition"] = condition
    return data


GOAL_TYPE = scenario.code(terminology.goal_types(), "Udvikle funktionsevne")

RULES = [
    Refusal(
        "case.role_not_allowed",
        given=registered(),
        when=OPEN_VISITATION | {"actor": VOLUNTEER},
        field="actor.role",
        says="volunteer",
    ),
    Refusal(
        "terminology.unknown_code",
        given=in_visitation(),
        when=assessment(target_group="not-a-code"),
        field="target_group",
    ),
    # a goal type where a condition belongs: the refusal names the field, the list it must come from and the code
    Refusal(
        "terminology.wrong_list",
        given=in_visitation(),
        when=with_first_condition(GOAL_TYPE),
        field="conditions[0].condition",
        says='FFB "FFB tilstande"',
    ),
    Refusal(
        "terminology.wrong_list",
        given=in_visitation(),
        when=with_first_condition(GOAL_TYPE),
        field="conditions[0].condition",
        says="Udvikle funktionsevne",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("visitation.opened", given=registered(), when=OPEN_VISITATION, then=["visitation_opened"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


def test_the_assessment_records_the_ffb_function_level_for_each_severity():
    state, _ = CASE.history(assessed(), NOW)
    assert state.assessment is not None
    levels = [c.function_level.display for c in state.assessment.conditions]
    assert levels == ["Svært nedsat funktionsevne", "Moderat nedsat funktionsevne"]
