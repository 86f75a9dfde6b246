"""Phase 3, the team with the citizen: staff from several departments,
volunteers from civil society (SEL § 18), relatives, and the citizen.

Invitations are answered by the person invited; the citizen approves the
team before the pilot can start.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import Command, Event
from domain.need import LifeArea


class MemberKind(StrEnum):
    STAFF = "staff"  # municipal staff: inside the municipality
    VOLUNTEER = "volunteer"  # civil society: needs the citizen's consent to see anything
    RELATIVE = "relative"  # needs the citizen's consent too

    @property
    def outside_municipality(self) -> bool:
        return self is not MemberKind.STAFF


class InvitationStatus(StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"


class Invitee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: MemberKind
    organisation: str = Field(min_length=1, max_length=200, description="Department or civil-society organisation")
    life_area: LifeArea | None = None


class TeamMember(Invitee):
    status: InvitationStatus = InvitationStatus.INVITED
    decline_reason: str | None = None


class InviteTeamMember(Command):
    title = "Invite team member"
    type: Literal["invite_team_member"] = "invite_team_member"
    invitee: Invitee


class TeamMemberInvited(Event):
    type: Literal["team_member_invited"] = "team_member_invited"
    invitee: Invitee


class AnswerInvitation(Command):
    """The invited person accepts, or declines with a reason."""

    title = "Answer invitation"
    type: Literal["answer_invitation"] = "answer_invitation"
    accept: bool
    reason: str = Field(default="", max_length=2000)


class TeamMemberJoined(Event):
    type: Literal["team_member_joined"] = "team_member_joined"
    person_id: str


class TeamMemberDeclined(Event):
    type: Literal["team_member_declined"] = "team_member_declined"
    person_id: str
    reason: str


class ApproveTeam(Command):
    """The citizen approves the team, or asks for changes (with a comment)."""

    title = "Approve team"
    type: Literal["approve_team"] = "approve_team"
    approve: bool = True
    comment: str = Field(default="", max_length=2000)


class TeamApprovedByCitizen(Event):
    type: Literal["team_approved_by_citizen"] = "team_approved_by_citizen"
    members: tuple[str, ...]
    comment: str


class TeamChangesRequested(Event):
    type: Literal["team_changes_requested"] = "team_changes_requested"
    comment: str
