"""Ældreloven from 1 July 2025: the municipality assesses whether a citizen's needs are
age-related (ældrelovens § 2); SEL §§ 83-86 are not granted to one it has found covered
(SEL § 2, stk. 5), nor to one of pension age before it has assessed; BPA and cash-grant
users stay under serviceloven (§ 2, stk. 4) (domain/case/elder_act.py)."""

from __future__ import annotations

import pytest

from domain import terminology
from tests import scenario
from tests.domain.case.histories import CASE_ID, CASEWORKER, OPEN_VISITATION, TEAM_LEAD, application
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

#: Born 1 January 1950: pension age 65, reached in 2015. (Jonas, the scenario's citizen, is 27.)
PENSIONER = {"cpr": "0101500000", "name": "Mikkel Sørensen"}


def assessed_pensioner() -> list[dict]:
    return [scenario.register(CASE_ID, citizen=PENSIONER), OPEN_VISITATION, scenario.assessment(), *scenario.heard()]


def assess_elder_act(covered: bool, ground: str | None = None) -> dict:
    return {"type": "assess_elder_act", "actor": CASEWORKER, "covered": covered, "ground": ground,
            "reasons": "Behovet er opstået med aldringen" if covered else "Behovet skyldes ikke aldring"}  # fmt: skip


PERSONAL_HELP = {"service": scenario.code(terminology.services(), "Støtte til daglige opgaver i hjemmet"),
                 "legal_basis": "SEL § 83"}  # fmt: skip


def grant_personal_help() -> dict:
    return {"type": "make_decision", "actor": TEAM_LEAD, "outcome": "partly_granted", "services": [PERSONAL_HELP],
            "reasons": "Hjælp til de daglige opgaver"}  # fmt: skip


COVERED = [*assessed_pensioner(), assess_elder_act(True, "pension_age")]

RULES = [
    Refusal("elder_act.ground_required", given=assessed_pensioner(), when=assess_elder_act(True), field="ground"),
    Refusal(
        "elder_act.bpa_stays_under_serviceloven",
        given=[*assessed_pensioner(), application("SEL § 96")],
        when=assess_elder_act(True, "pension_age"),
        field="covered",
    ),
    Refusal(
        "elder_act.not_pension_age",
        given=[scenario.register(CASE_ID), OPEN_VISITATION, scenario.assessment()],
        when=assess_elder_act(True, "pension_age"),
        field="ground",
    ),
    Refusal("decision.elder_act", given=COVERED, when=grant_personal_help(), field="services[0].legal_basis"),
    Refusal(
        "decision.elder_act_not_assessed",
        given=assessed_pensioner(),
        when=grant_personal_help(),
        field="services[0].legal_basis",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "elder_act.covered",
        given=assessed_pensioner(),
        when=assess_elder_act(True, "pension_age"),
        then=["elder_act_assessed"],
    ),
    Accepted(
        "elder_act.age_like_needs_before_pension_age",
        given=[scenario.register(CASE_ID), OPEN_VISITATION],
        when=assess_elder_act(True, "age_like_needs"),
        then=["elder_act_assessed"],
    ),
    Accepted(
        "decision.serviceloven_when_not_covered",
        given=[*assessed_pensioner(), assess_elder_act(False)],
        when=grant_personal_help(),
        then=["decision_made"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
