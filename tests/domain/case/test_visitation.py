"""The application (domain/case/visitation.py) and the needs assessment (domain/case/assessment.py).

One application is pending at a time, each with its own processing deadline
(retssikkerhedslovens § 3, stk. 2; domain/case/revisitation.py). The assessment
follows VUM 2.0 with KL's Fælles Faglige Begreber: each condition assessed once,
and a goal (FFB indsatsmål) addresses an assessed condition under "Aktivitet og
deltagelse" (domain/case/visitation.py). Whether ældreloven covers the citizen is the
municipality's assessment, on a ground of ældrelovens § 2 (domain/case/elder_act.py).
"""

from __future__ import annotations

import pytest

from domain import terminology
from tests import scenario
from tests.domain.case.histories import CASEWORKER, CITIZEN, application, applied, heard, in_visitation
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

WORK = scenario.code(terminology.conditions(), "Varetage beskæftigelse")
#: A condition under "Funktioner og forhold", not "Aktivitet og deltagelse".
CONSCIOUSNESS = scenario.code(terminology.conditions(), "Bevidsthedstilstand")
SOCIAL = scenario.code(terminology.conditions(), "Deltage i sociale fællesskaber og fritidsaktiviteter")


def withdraw(number: int = 1) -> dict:
    return {"type": "withdraw_application", "actor": CITIZEN, "number": number, "reason": "Jeg klarer mig selv nu"}


REOPENED = {
    "type": "reopen_decision",
    "actor": {"id": "samskab", "role": "system"},
    "appeal_id": "case-1-appeal-1",
    "reasons": "Ændret ved genvurderingen",
}


def refused_closed_and_reopened() -> list[dict]:
    """An application refused, the case closed, and the refusal changed on appeal: the case is back in
    visitation with its application decided (Rsl §§ 66-68)."""
    refusal = scenario.decision("refused", "Behovet dækkes af tilbud efter anden lovgivning")
    return [*applied(), *heard()[len(in_visitation()) :], refusal, scenario.close(), REOPENED]


def assessment(**goal) -> dict:
    """The scenario's assessment with its one goal changed."""
    data = scenario.assessment()
    data["goals"] = [data["goals"][0] | goal]
    return data


def assessment_also_of(condition: str, **goal) -> dict:
    """The scenario's assessment with one more condition assessed, and its goal changed."""
    data = assessment(**goal)
    data["conditions"] = [*data["conditions"], {"condition": condition, "severity": 2}]
    return data


def elder_act(covered: bool, ground: str | None = None) -> dict:
    return {
        "type": "assess_elder_act",
        "actor": CASEWORKER,
        "covered": covered,
        "ground": ground,
        "reasons": "Behovet skyldes autisme, ikke alder",
    }


RULES = [
    # A decided application sent back to visitation by an appeal: a new one comes through a reported changed need.
    Refusal("application.already_received", given=refused_closed_and_reopened(), when=application("SEL § 85")),
    Refusal("application.one_pending", given=applied(), when=application("SEL § 97"), field="applied_for"),
    Refusal("application.unknown", given=applied(), when=withdraw(2), field="number"),
    Refusal(
        "assessment.duplicate_condition",
        given=in_visitation(),
        when=scenario.assessment() | {"conditions": [*scenario.assessment()["conditions"]] * 2},
        field="conditions[2].condition",
    ),
    Refusal(
        "assessment.goal_condition_wrong_group",
        given=in_visitation(),
        when=assessment_also_of(CONSCIOUSNESS, primary_condition=CONSCIOUSNESS, target_severity=1),
        field="goals[0].primary_condition",
        says="Aktivitet og deltagelse",
    ),
    Refusal(
        "assessment.goal_secondary_is_primary",
        given=in_visitation(),
        when=assessment(primary_condition=WORK, target_severity=1, secondary_conditions=[WORK]),
        field="goals[0].secondary_conditions[0]",
    ),
    Refusal(
        "assessment.goal_secondary_without_primary",
        given=in_visitation(),
        when=assessment(secondary_conditions=[WORK]),
        field="goals[0].primary_condition",
    ),
    Refusal("elder_act.ground_required", given=in_visitation(), when=elder_act(covered=True), field="ground"),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("application.withdrawn", given=applied(), when=withdraw(1), then=["application_withdrawn"]),
    # withdrawing does not use up the right to apply (Rsl § 3, stk. 2): the citizen applies again in the same case
    Accepted(
        "application.again_after_withdrawal",
        given=[*applied(), withdraw(1)],
        when=application("SEL § 85"),
        then=["application_received"],
    ),
    Accepted(
        "assessment.goal_with_primary_and_secondary",
        given=in_visitation(),
        when=assessment(primary_condition=WORK, target_severity=1, secondary_conditions=[SOCIAL]),
        then=["assessment_recorded"],
    ),
    Accepted(
        "elder_act.not_covered", given=in_visitation(), when=elder_act(covered=False), then=["elder_act_assessed"]
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
