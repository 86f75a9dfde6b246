"""The action plan and the pilot.

The plan's goals are the citizen's own, measurable and dated (serviceloven
§ 141): each links to a goal from the assessment and has a target date ahead.
Its activities are owned by the team (a member, the caseworker or the citizen),
a change is proposed by the team, and the citizen accepts the plan or says
which changes they want. Check-ins come in order; a pilot that ends early says
why (domain/case/pilot.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tests import scenario
from tests.domain.case.histories import (
    CASEWORKER,
    STRANGER,
    SYSTEM,
    in_pilot,
    joined,
    plan_accepted,
    plan_proposed,
    team_approved,
)
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id


def adjust(proposed_by: str) -> dict:
    return {
        "type": "adjust_plan",
        "actor": CASEWORKER,
        "plan": scenario.propose_plan()["plan"],
        "reason": "Jonas vil prøve to dage mere",
        "proposed_by": proposed_by,
    }


def check_in(number: int) -> dict:
    return {"type": "record_check_in", "actor": SYSTEM, "number": number}


def complete_early(reason: str = "") -> dict:
    return scenario.complete_pilot() | {"ended_early": True, "early_end_reason": reason}


RULES = [
    # it is the citizen's plan: the citizen alone accepts it
    Refusal(
        "case.role_not_allowed",
        given=plan_proposed(),
        when=scenario.accept_plan() | {"actor": CASEWORKER},
        field="actor.role",
    ),
    Refusal("pilot.check_in_order", given=in_pilot(), when=check_in(2)),
    Refusal("pilot.check_in_order", given=[*in_pilot(), check_in(1)], when=check_in(1)),
    Refusal("pilot.early_end_needs_reason", given=in_pilot(), when=complete_early("  "), field="early_end_reason"),
    Refusal("pilot.observer_not_on_team", given=in_pilot(), when=scenario.observation(STRANGER), field="actor.id"),
    Refusal("pilot.plan_not_accepted", given=plan_proposed(), when=scenario.start_pilot()),
    Refusal(
        "pilot.responsible_not_on_team",
        given=team_approved(),
        when=scenario.propose_plan(responsible=STRANGER["id"]),
        field="plan.activities[0].responsible",
    ),
    Refusal("pilot.team_not_approved", given=joined(), when=scenario.propose_plan()),
    Refusal("plan.already_accepted", given=plan_accepted(), when=scenario.accept_plan()),
    Refusal(
        "plan.changes_need_comment", given=plan_proposed(), when=scenario.accept_plan(accept=False), field="comment"
    ),
    # the scenario's assessment has one goal
    Refusal(
        "plan.goal_not_linked",
        given=team_approved(),
        when=scenario.propose_plan(linked_goal=2),
        field="plan.goals[0].linked_goal",
    ),
    Refusal("plan.none_proposed", given=team_approved(), when=scenario.accept_plan()),
    Refusal("plan.proposer_not_on_team", given=in_pilot(), when=adjust(STRANGER["id"]), field="proposed_by"),
    Refusal(
        "plan.target_date_passed",
        given=team_approved(),
        when=scenario.propose_plan(target=date(2026, 11, 23)),
        field="plan.goals[0].target_date",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted(
        "plan.proposed",
        given=team_approved(),
        when=scenario.propose_plan(responsible="citizen"),
        then=["plan_proposed"],
    ),
    Accepted(
        "plan.changes_requested",
        given=plan_proposed(),
        when=scenario.accept_plan(accept=False, comment="Færre timer"),
        then=["plan_changes_requested"],
    ),
    Accepted(
        "plan.adjusted_on_the_citizens_proposal", given=in_pilot(), when=adjust("citizen"), then=["plan_adjusted"]
    ),
    Accepted("pilot.first_check_in", given=in_pilot(), when=check_in(1), then=["pilot_check_in_due"]),
    Accepted(
        "pilot.ended_early_with_reason",
        given=in_pilot(),
        when=complete_early("Jonas har fået fast job"),
        then=["pilot_completed"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


def test_the_changes_the_citizen_asks_for_are_kept_and_the_plan_waits():
    asked = scenario.accept_plan(accept=False, comment="Hellere om eftermiddagen")
    state, _ = CASE.history([*plan_proposed(), asked], NOW)
    assert state.plan_change_requests == ("Hellere om eftermiddagen",) and not state.plan_accepted
