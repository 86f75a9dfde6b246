"""A changed need reopens visitation wherever a help is in force (SEL § 148, stk. 2),
reported by the person it names; an application is withdrawn while it is pending
(domain/case/revisitation.py)."""

from __future__ import annotations

import pytest

from tests.domain.case.histories import CASEWORKER, STRANGER, VOLUNTEER, applied, in_follow_up
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id


def changed(actor: dict, reported_by: str) -> dict:
    return {"type": "report_changed_need", "actor": actor, "reported_by": reported_by,
            "description": "Har fået det værre og har brug for mere hjælp"}  # fmt: skip


def withdraw(number: int) -> dict:
    return {"type": "withdraw_application", "actor": CASEWORKER, "number": number, "reason": "Borgerens ønske"}


RULES = [
    Refusal(
        "revisitation.reporter_role", given=in_follow_up(), when=changed(CASEWORKER, "citizen"), field="reported_by"
    ),
    Refusal("revisitation.not_on_team", given=in_follow_up(), when=changed(STRANGER, "volunteer"), field="actor.id"),
    Refusal("application.unknown", given=applied(), when=withdraw(2), field="number"),
    Refusal("application.not_pending", given=[*applied(), withdraw(1)], when=withdraw(1), field="number"),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "revisitation.reported",
        given=in_follow_up(),
        when=changed(CASEWORKER, "caseworker"),
        then=["changed_need_reported"],
    ),
    Accepted(
        "revisitation.reported_by_the_team",
        given=in_follow_up(),
        when=changed(VOLUNTEER, "volunteer"),
        then=["changed_need_reported"],
    ),
    Accepted("application.withdrawn", given=applied(), when=withdraw(1), then=["application_withdrawn"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
