"""The recommendation (indstilling) and the decision (afgørelse).

A decision names the services it grants, each on a legal basis for adult social
services (domain/legal.py); a refusal grants none; anything but a full grant
gives written reasons (forvaltningslovens § 22). A team lead returns a
recommendation with a comment, so the caseworker can change it
(domain/case/visitation.py)."""

from __future__ import annotations

import pytest

from domain import terminology
from domain.case.decision import DecisionMade
from domain.phases import Phase
from tests import scenario
from tests.domain.case.histories import CASEWORKER, TEAM_LEAD, heard
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id

SEL_85 = {
    "service": scenario.code(terminology.services(), "Støtte til beskæftigelse"),
    "legal_basis": "SEL § 85",
    "hours_per_week": 3,
}


def decision(outcome: str, services=(SEL_85,), reasons: str = "", **more) -> dict:
    return {
        "type": "make_decision",
        "actor": TEAM_LEAD,
        "outcome": outcome,
        "services": list(services),
        "reasons": reasons,
        **more,
    }


RECOMMEND = {"type": "recommend_decision", "actor": CASEWORKER, "outcome": "granted", "services": [SEL_85]}


def review(approve: bool, comment: str = "") -> dict:
    return {"type": "review_recommendation", "actor": TEAM_LEAD, "approve": approve, "comment": comment}


RULES = [
    Refusal("decision.no_services", given=heard(), when=decision("granted", services=()), field="services"),
    Refusal(
        "decision.no_services",
        given=heard(),
        when=decision("partly_granted", services=(), reasons="Delvist"),
        field="services",
    ),
    Refusal(
        "decision.reasons_required",
        given=heard(),
        when=decision("partly_granted", reasons="  "),
        field="reasons",
        says="forvaltningsloven § 22",
    ),
    # a refusal gives its reasons as much as a partial grant does
    Refusal(
        "decision.reasons_required",
        given=heard(),
        when=scenario.decision("refused", reasons=" "),
        field="reasons",
        says="§ 22",
    ),
    Refusal(
        "decision.refusal_with_services",
        given=heard(),
        when=decision("refused", reasons="Behovet dækkes af andre tilbud", rests_on=["SEL § 85"]),
        field="services",
    ),
    Refusal(
        "decision.unknown_legal_basis",
        given=heard(),
        when=decision("granted", services=[SEL_85 | {"legal_basis": "SEL § 999"}]),
        field="services[0].legal_basis",
    ),
    Refusal(
        "recommendation.return_needs_comment", given=[*heard(), RECOMMEND], when=review(approve=False), field="comment"
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


#: Heard and refused: the case is in the refused phase.
REFUSED = [*heard(), scenario.decision("refused", reasons="Behovet dækkes af andre tilbud")]

ACCEPTED = [
    Accepted("case.closed_after_refusal", given=REFUSED, when=scenario.close(), then=["case_closed"]),
    Accepted(
        "decision.granted_in_full_without_reasons", given=heard(), when=decision("granted"), then=["decision_made"]
    ),
    Accepted(
        "decision.refused_on_the_rules_it_rests_on",
        given=heard(),
        when=decision("refused", services=(), reasons="Behovet dækkes af andre tilbud", rests_on=["SEL § 85"]),
        then=["decision_made"],
    ),
    Accepted(
        "recommendation.returned_with_comment",
        given=[*heard(), RECOMMEND],
        when=review(approve=False, comment="Timetallet skal begrundes"),
        then=["recommendation_returned"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


def test_a_decision_carries_appeal_guidance():
    [made] = Accepted("decision.made", given=heard(), when=scenario.decision(), then=["decision_made"]).check(CASE)
    assert isinstance(made, DecisionMade) and "Ankestyrelsen" in made.appeal_guidance


def test_a_refusal_moves_the_case_to_refused_where_it_can_be_closed():
    state, _ = CASE.history(REFUSED, NOW)
    assert state.phase is Phase.REFUSED
    state, _ = CASE.history([*REFUSED, scenario.close()], NOW)
    assert state.phase is Phase.CLOSED
