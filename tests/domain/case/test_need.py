"""The case as a whole: every command is stamped with its time, and the case
belongs to one unit at a time (need-to-know: GDPR art. 5, stk. 1, litra c, and
art. 25; domain/case/units.py)."""

from __future__ import annotations

import pytest

from tests import scenario
from tests.domain.case.histories import CASE_ID, CASEWORKER, registered
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id


def assign(unit: str, reason: str = "") -> dict:
    return {"type": "assign_unit", "actor": CASEWORKER, "unit": unit, "reason": reason}


RULES = [
    # The workflow stamps each command with its own clock before deciding: a
    # command without a time would be decided on no clock at all.
    Refusal("case.unstamped", given=[], when=scenario.register(CASE_ID), at=None, field="at"),
    Refusal(
        "unit.unchanged",
        given=[*registered(), assign("jobcenter-nord")],
        when=assign("jobcenter-nord", reason="Borgeren er flyttet"),
        field="unit",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("register_need", given=[], when=scenario.register(CASE_ID), then=["need_registered"]),
    Accepted(
        "unit.moved_with_reason",
        given=[*registered(), assign("jobcenter-nord")],
        when=assign("jobcenter-syd", reason="Borgeren er flyttet"),
        then=["unit_assigned"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
