"""A phase's deadline passed: the workflow's timer records it, nobody else
(domain/case/deadlines.py). The application's processing deadline (retssikkerhedslovens
§ 3, stk. 2) is the processing notice's (tests/domain/test_processing_notice_rules.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.domain.case.histories import CASEWORKER, SYSTEM, in_visitation, registered
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

MISSED = {
    "type": "record_missed_deadline",
    "actor": SYSTEM,
    "phase": "visitation",
    "due_at": (NOW - timedelta(days=1)).isoformat(),
}

RULES = [
    Refusal("case.role_not_allowed", given=in_visitation(), when=MISSED | {"actor": CASEWORKER}, field="actor.role"),
    # the need phase has no deadline of its own: nothing to miss there
    Refusal("case.wrong_phase", given=registered(), when=MISSED, field="type"),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("deadline.missed", given=in_visitation(), when=MISSED, then=["deadline_missed"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
