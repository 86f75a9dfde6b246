"""The help after the evaluation (serviceloven § 148): followed up while it goes
on; once it is decided to stop, there is nothing left to follow up
(domain/case/follow_up.py)."""

from __future__ import annotations

import pytest

from domain.case.follow_up import HelpDecided
from domain.forum import forum_id
from tests import scenario
from tests.domain.case.histories import decide_on_help, evaluated, follow_up, help_stopped, in_follow_up, in_visitation
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

RULES = [
    Refusal("follow_up.help_ended", given=help_stopped(), when=follow_up("continue")),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "follow_up.while_the_help_goes_on",
        given=in_follow_up(),
        when=follow_up("continue"),
        then=["follow_up_recorded"],
    ),
    Accepted(
        "help.stopped_after_a_follow_up",
        given=[*in_follow_up(), follow_up("stop")],
        when=decide_on_help("stop", "Målet er nået"),
        then=["help_decided"],
    ),
    Accepted(
        "help.continues_after_the_evaluation", given=evaluated(), when=decide_on_help("continue"), then=["help_decided"]
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


SCALE = decide_on_help("scale", "Forløbet virker og kan bruges af andre") | {
    "forum_proposal": "Et mentorforløb med en frivillig fra en forening virker for unge i målgruppen"
}


def test_a_proposal_to_scale_the_help_goes_to_the_forum_of_the_assessed_target_group():
    """A case reaches the decision on its help only through a decision, and a decision
    only on an assessment, which names the target group: the forum is always known."""
    [decided] = Accepted("help.scaled", given=evaluated(), when=SCALE, then=["help_decided"]).check(CASE)
    assert isinstance(decided, HelpDecided)
    state, _ = CASE.history(evaluated(), NOW)
    assert decided.forum_id == forum_id(state.assessment.target_group.code)
    # and no decision (so no help to scale) without the assessment
    Refusal("decision.needs_assessment", given=in_visitation(), when=scenario.decision()).check(CASE)
