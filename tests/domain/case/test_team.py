"""The citizen's team: invitations, answers and the citizen's approval.

It is the citizen's team: the citizen approves it or says which changes they
want; a declined invitation gives its reason so the caseworker can invite
someone else; a change after the approval gives its reason
(domain/case/team.py)."""

from __future__ import annotations

import pytest

from tests import scenario
from tests.domain.case.histories import (
    CITIZEN,
    STAFF,
    STRANGER,
    SYSTEM,
    VOLUNTEER,
    decided,
    in_pilot,
    invited,
    joined,
    team_approved,
)
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

INVITE_KARIM = scenario.invite(VOLUNTEER, "Karim", "volunteer", "Røde Kors")
INVITE_STRANGER = scenario.invite(STRANGER, "Ulla", "volunteer", "Ældre Sagen")
REMIND_KARIM = {"type": "remind_invitation", "actor": SYSTEM, "person_id": VOLUNTEER["id"]}


def disapprove(comment: str = "") -> dict:
    return {"type": "approve_team", "actor": CITIZEN, "approve": False, "comment": comment}


def change_team(person: dict) -> dict:
    return {
        "type": "change_team",
        "actor": scenario.CASEWORKER,
        "person_id": person["id"],
        "reason": "Flyttet fra kommunen",
    }


RULES = [
    # it is the citizen's team: the citizen alone approves it
    Refusal(
        "case.role_not_allowed",
        given=joined(),
        when=scenario.approve_team() | {"actor": scenario.CASEWORKER},
        field="actor.role",
    ),
    Refusal("team.already_approved", given=team_approved(), when=scenario.approve_team()),
    Refusal("team.already_invited", given=invited(), when=INVITE_KARIM, field="invitee.person_id"),
    # joined is as much on the team as invited
    Refusal("team.already_invited", given=joined(), when=INVITE_KARIM, field="invitee.person_id"),
    Refusal("team.already_reminded", given=[*invited(), REMIND_KARIM], when=REMIND_KARIM),
    Refusal("team.change_needs_reason", given=team_approved(), when=INVITE_STRANGER, field="reason"),
    Refusal("team.changes_need_comment", given=joined(), when=disapprove(" "), field="comment"),
    Refusal(
        "team.decline_needs_reason", given=invited(), when=scenario.answer(VOLUNTEER, accept=False), field="reason"
    ),
    Refusal("team.empty", given=decided(), when=scenario.approve_team()),
    # every invitee declined: still nobody besides the citizen
    Refusal(
        "team.empty",
        given=[*decided(), INVITE_KARIM, scenario.answer(VOLUNTEER, accept=False, reason="Jeg har ikke tid")],
        when=scenario.approve_team(),
    ),
    # only the person invited answers an invitation
    Refusal("team.no_open_invitation", given=[*decided(), INVITE_KARIM], when=scenario.answer(STAFF), field="actor.id"),
    Refusal("team.not_a_member", given=in_pilot(), when=change_team(STRANGER), field="person_id"),
    # an invitee who has not joined has nothing to leave
    Refusal(
        "team.not_a_member",
        given=[*in_pilot(), INVITE_STRANGER | {"reason": "Brug for en mentor mere"}],
        when=change_team(STRANGER),
        field="person_id",
    ),
    # the citizen approves the team once everyone invited has answered, and names who has not
    Refusal(
        "team.open_invitations",
        given=[*invited(), scenario.answer(VOLUNTEER)],
        when=scenario.approve_team(),
        says="Lise",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("team.approved", given=joined(), when=scenario.approve_team(), then=["team_approved_by_citizen"]),
    Accepted(
        "team.changes_requested",
        given=joined(),
        when=disapprove("Jeg vil hellere have en fra min klub"),
        then=["team_changes_requested"],
    ),
    Accepted("team.reminded_once", given=invited(), when=REMIND_KARIM, then=["invitation_reminder_sent"]),
    Accepted(
        "team.change_after_approval_with_reason",
        given=team_approved(),
        when=INVITE_STRANGER | {"reason": "Borgeren ønsker en mentor mere"},
        then=["team_member_invited"],
    ),
    Accepted(
        "team.declined_with_reason",
        given=invited(),
        when=scenario.answer(VOLUNTEER, accept=False, reason="Jeg har ikke tid"),
        then=["team_member_declined"],
    ),
    Accepted("team.member_leaves", given=in_pilot(), when=change_team(VOLUNTEER), then=["team_member_left"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
