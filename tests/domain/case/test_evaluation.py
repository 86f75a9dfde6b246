"""The evaluation at the pilot's end: a function level per assessed condition,
given once each, and participation counts that cannot exceed what was held or
taken; the case closes only once it is evaluated (domain/case/evaluation.py,
domain/instruments.py)."""

from __future__ import annotations

import pytest

from tests import scenario
from tests.domain.case.histories import evaluated, pilot_completed
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id


def evaluation(**changes) -> dict:
    data = scenario.evaluation()
    return data | {k: (data[k] | v if isinstance(v, dict) else v) for k, v in changes.items()}


FIRST_LEVEL = scenario.evaluation()["function_levels"][0]

RULES = [
    Refusal("case.close_before_evaluation", given=pilot_completed(), when=scenario.close()),
    Refusal(
        "evaluation.duplicate_condition",
        given=pilot_completed(),
        when=evaluation(function_levels=[*scenario.evaluation()["function_levels"], FIRST_LEVEL]),
        field="function_levels[2].condition",
    ),
    Refusal(
        "evaluation.participation_exceeds",
        given=pilot_completed(),
        when=evaluation(participation={"meetings_held": 4, "meetings_with_citizen": 5}),
        field="participation.meetings_with_citizen",
    ),
    Refusal(
        "evaluation.participation_exceeds",
        given=pilot_completed(),
        when=evaluation(participation={"decisions_taken": 3, "decisions_with_citizen": 4}),
        field="participation.decisions_with_citizen",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("case.closed_after_evaluation", given=evaluated(), when=scenario.close(), then=["case_closed"]),
    Accepted(
        "evaluation.citizen_in_every_meeting",
        given=pilot_completed(),
        when=evaluation(participation={"meetings_held": 4, "meetings_with_citizen": 4}),
        then=["evaluation_recorded"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
