"""A case closes with a reason: not before its evaluation, not while an application
awaits its decision, not while the help goes on in follow-up (SEL § 148: a decision
stops it first) (domain/case/closing.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import (
    CASEWORKER,
    CITIZEN,
    application,
    help_stopped,
    in_follow_up,
    pilot_completed,
    registered,
)
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

CLOSE = {"type": "close_case", "actor": CASEWORKER, "reason": "Borgeren klarer sig selv"}

RULES = [
    Refusal("case.close_before_evaluation", given=pilot_completed(), when=CLOSE),
    Refusal("case.close_while_help_goes_on", given=in_follow_up(), when=CLOSE),
    # an application received before the visitation opened is decided or withdrawn first
    Refusal("case.application_undecided", given=[*registered(), application("SEL § 85")], when=CLOSE),
    Refusal("case.role_not_allowed", given=registered(), when=CLOSE | {"actor": CITIZEN}, field="actor.role"),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("case.closed_when_the_help_stopped", given=help_stopped(), when=CLOSE, then=["case_closed"]),
    Accepted("case.closed_before_visitation", given=registered(), when=CLOSE, then=["case_closed"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
