"""Phase 3, the team with the citizen: staff from several departments,
volunteers from civil society (SEL § 18), relatives, and the citizen.

Invitations are answered by the person invited; the citizen approves the
team before the pilot can start.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.case.need import LifeArea
from domain.messages import Command, Event, PersonRef, Role
from domain.personal_data import Personal


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
    EXPIRED = "expired"  # no answer by the reply deadline: a replacement may be invited
    LEFT = "left"  # removed from the team later, with a reason


class Invitee(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str = Field(min_length=1, max_length=64)
    name: Annotated[str, Personal] = Field(min_length=1, max_length=200)
    kind: MemberKind
    organisation: str = Field(min_length=1, max_length=200, description="Department or civil-society organisation")
    life_area: LifeArea | None = None


class TeamMember(Invitee):
    status: InvitationStatus = InvitationStatus.INVITED
    decline_reason: str | None = None
    reminded: bool = False
    invited_at: datetime | None = None


class InviteTeamMember(Command):
    title = "Invite team member"
    type: Literal["invite_team_member"] = "invite_team_member"
    label = "Invitér til holdet"
    intro = "Invitér en person til holdet om borgeren. Personen svarer selv på invitationen."
    invitee: Invitee
    reason: str = Field(default="", max_length=2000, description="Required once the citizen has approved the team")


class TeamMemberInvited(Event):
    type: Literal["team_member_invited"] = "team_member_invited"
    label = "Inviteret til holdet"
    invitee: Invitee
    reason: Annotated[str, Personal] = ""


class AnswerInvitation(Command):
    """The invited person accepts, or declines with a reason."""

    title = "Answer invitation"
    type: Literal["answer_invitation"] = "answer_invitation"
    label = "Svar på invitation"
    roles = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF, Role.VOLUNTEER, Role.RELATIVE})
    accept: bool
    reason: str = Field(default="", max_length=2000)


class TeamMemberJoined(Event):
    type: Literal["team_member_joined"] = "team_member_joined"
    label = "Tiltrådt holdet"
    person_id: str


class TeamMemberDeclined(Event):
    type: Literal["team_member_declined"] = "team_member_declined"
    label = "Takket nej"
    person_id: str
    reason: Annotated[str, Personal]


class ApproveTeam(Command):
    """The citizen approves the team, or asks for changes (with a comment)."""

    title = "Approve team"
    type: Literal["approve_team"] = "approve_team"
    label = "Godkend holdet"
    intro = "Holdet er dit. Godkend det, eller skriv hvad du vil have ændret."
    roles = frozenset({Role.CITIZEN})
    approve: bool = True
    comment: str = Field(default="", max_length=2000)


class TeamApprovedByCitizen(Event):
    type: Literal["team_approved_by_citizen"] = "team_approved_by_citizen"
    label = "Holdet godkendt af borgeren"
    members: tuple[str, ...]
    comment: Annotated[str, Personal]


class TeamChangesRequested(Event):
    type: Literal["team_changes_requested"] = "team_changes_requested"
    label = "Borgeren ønsker ændringer i holdet"
    comment: Annotated[str, Personal]


class RemindInvitation(Command):
    """Issued by the workflow halfway to an invitation's reply deadline."""

    title = "Remind invitee"
    issued_by_system = True
    type: Literal["remind_invitation"] = "remind_invitation"
    label = "Påmind om invitation"
    person_id: str


class InvitationReminderSent(Event):
    type: Literal["invitation_reminder_sent"] = "invitation_reminder_sent"
    label = "Påmindelse om invitation sendt"
    person_id: str


class ExpireInvitation(Command):
    """Issued by the workflow when the reply deadline passes without an answer."""

    title = "Expire invitation"
    issued_by_system = True
    type: Literal["expire_invitation"] = "expire_invitation"
    label = "Lad invitation udløbe"
    person_id: str


class InvitationExpired(Event):
    type: Literal["invitation_expired"] = "invitation_expired"
    label = "Invitation udløbet"
    person_id: str


class ChangeTeam(Command):
    """A later change to an approved team: someone leaves, always with a reason."""

    title = "Change team"
    type: Literal["change_team"] = "change_team"
    label = "Tag en person af holdet"
    person_id: PersonRef
    reason: str = Field(min_length=3, max_length=2000)


class TeamMemberLeft(Event):
    type: Literal["team_member_left"] = "team_member_left"
    label = "Forladt holdet"
    person_id: str
    reason: Annotated[str, Personal]


class ProposeTeam(Command):
    """Asks the domain for the roles the citizen's situation calls for."""

    title = "Propose team"
    type: Literal["propose_team"] = "propose_team"
    label = "Foreslå hold"


class ProposedRole(BaseModel):
    model_config = ConfigDict(frozen=True)

    life_area: LifeArea | None
    kind: MemberKind | None  # None: the citizen
    organisation: str
    why: Annotated[str, Personal]


class TeamProposed(Event):
    type: Literal["team_proposed"] = "team_proposed"
    label = "Hold foreslået"
    roles: tuple[ProposedRole, ...]
