"""Personalised options: BPA (serviceloven § 96), the cash grant (§ 95) and an
individual budget (only under a time-limited trial), chosen by the citizen; a
decision on one of them follows the citizen's recorded choice
(domain/case/personalised.py)."""

from __future__ import annotations

import pytest

from domain import terminology
from tests import scenario
from tests.domain.case.histories import CASEWORKER, CITIZEN, TEAM_LEAD, heard
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

BPA = {
    "service": scenario.code(terminology.services(), "Støtte til daglige opgaver i hjemmet"),
    "legal_basis": "SEL § 96",
    "hours_per_week": 40,
}


def choice(option: str = "bpa", **more) -> dict:
    return {"type": "record_citizens_choice", "actor": CITIZEN, "option": option, **more}


def grant(*services: dict) -> dict:
    return {"type": "make_decision", "actor": TEAM_LEAD, "outcome": "granted", "services": list(services)}


ASSOCIATION = {
    "kind": "association",
    "name": "Handicapforeningen",
    "cvr": "12345678",
    "approval": "Socialtilsyn Øst 2026-17",
}
BPA_CHOICE = choice(employer={"kind": "citizen"})

RULES = [
    Refusal("case.role_not_allowed", given=heard(), when=BPA_CHOICE | {"actor": CASEWORKER}, field="actor.role"),
    Refusal(
        "choice.no_provider", given=heard(), when=choice("individual_budget", trial="L 133 2021-22"), field="provider"
    ),
    Refusal(
        "choice.individual_budget_no_basis",
        given=heard(),
        when=choice("individual_budget", provider="Mentorhuset"),
        field="trial",
    ),
    Refusal("choice.no_employer", given=heard(), when=choice("cash_grant"), field="employer"),
    Refusal(
        "choice.bpa_needs_work_leader",
        given=heard(),
        when=BPA_CHOICE | {"citizen_is_work_leader": False},
        field="citizen_is_work_leader",
    ),
    Refusal(
        "choice.employer_unnamed", given=heard(), when=choice(employer={"kind": "relative"}), field="employer.name"
    ),
    Refusal(
        "choice.employer_cvr", given=heard(), when=choice(employer=ASSOCIATION | {"cvr": "1234"}), field="employer.cvr"
    ),
    Refusal(
        "choice.employer_not_approved",
        given=heard(),
        when=choice(employer=ASSOCIATION | {"approval": None}),
        field="employer.approval",
    ),
    Refusal("decision.not_citizens_choice", given=heard(), when=grant(BPA), field="services[0].legal_basis"),
    Refusal(
        "decision.not_citizens_choice",
        given=[*heard(), choice("cash_grant", employer={"kind": "citizen"})],
        when=grant(BPA),
        field="services[0].legal_basis",
    ),
    Refusal(
        "decision.hours_required",
        given=[*heard(), BPA_CHOICE],
        when=grant(BPA | {"hours_per_week": None}),
        field="services[0].hours_per_week",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "choice.bpa_by_an_approved_association",
        given=heard(),
        when=choice(employer=ASSOCIATION),
        then=["citizens_choice_recorded"],
    ),
    Accepted("decision.bpa_as_chosen", given=[*heard(), BPA_CHOICE], when=grant(BPA), then=["decision_made"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
