"""The processing deadline of an application (retssikkerhedslovens § 3, stk. 2):
a missed one is recorded only where a deadline runs; a phase's missed deadline is
recorded by the system alone (domain/case/deadlines.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.domain.case.histories import CASEWORKER, SYSTEM, applied, in_visitation
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

MISSED = {
    "type": "record_missed_processing_deadline",
    "actor": SYSTEM,
    "expected_by": (NOW + timedelta(days=30)).isoformat(),
}

RULES = [
    # a phase's deadline passes on the case's own timer: the system alone records the miss
    Refusal(
        "case.role_not_allowed",
        given=in_visitation(),
        when={"type": "record_missed_deadline", "actor": CASEWORKER, "phase": "visitation", "due_at": NOW.isoformat()},
        field="actor.role",
    ),
    # no application received: no deadline runs, so none can be missed
    Refusal("deadline.no_processing_deadline", given=in_visitation(), when=MISSED),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "deadline.missed",
        given=applied(),
        given_at=NOW - timedelta(days=365),
        when=MISSED,
        then=["processing_deadline_missed"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
