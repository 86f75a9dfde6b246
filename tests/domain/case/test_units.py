"""A case belongs to a unit (need-to-know): placed by a case officer, moved with a
reason (domain/case/units.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import CASEWORKER, CITIZEN, registered
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id


def assign(unit: str, reason: str = "") -> dict:
    return {"type": "assign_unit", "actor": CASEWORKER, "unit": unit, "reason": reason}


PLACED = [*registered(), assign("unit-a")]

RULES = [
    Refusal("unit.unchanged", given=PLACED, when=assign("unit-a", "Igen"), field="unit"),
    Refusal("unit.move_needs_reason", given=PLACED, when=assign("unit-b"), field="reason"),
    Refusal(
        "case.role_not_allowed", given=registered(), when=assign("unit-a") | {"actor": CITIZEN}, field="actor.role"
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("unit.placed", given=registered(), when=assign("unit-a"), then=["unit_assigned"]),
    Accepted("unit.moved", given=PLACED, when=assign("unit-b", "Sagen hører til Team Øst"), then=["unit_assigned"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
