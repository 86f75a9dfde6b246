"""The help after the evaluation (serviceloven § 148): followed up while it goes
on; once it is decided to stop, there is nothing left to follow up
(domain/follow_up.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import decide_on_help, evaluated, follow_up, help_stopped, in_follow_up
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

RULES = [
    Refusal("follow_up.help_ended", given=help_stopped(), when=follow_up("continue")),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("follow_up.while_the_help_goes_on", given=in_follow_up(), when=follow_up("continue"), then=["follow_up_recorded"]),
    Accepted("help.stopped_after_a_follow_up", given=[*in_follow_up(), follow_up("stop")],
             when=decide_on_help("stop", "Målet er nået"), then=["help_decided"]),
    Accepted("help.continues_after_the_evaluation", given=evaluated(), when=decide_on_help("continue"), then=["help_decided"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
