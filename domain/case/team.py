"""Phase 3, the team with the citizen: staff from several departments,
volunteers from civil society (SEL § 18), relatives, and the citizen.

Invitations are answered by the person invited; the citizen approves the
team before the pilot can start.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Changes, Concept, decides, with_entry
from domain.case.need import LifeArea
from domain.errors import require
from domain.messages import Command, Event, PersonRef, Role
from domain.personal_data import Personal
from domain.phases import Phase


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
    role_reason = "it is the citizen's team"
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
    example = {"person_id": "staff-lise", "reason": "Lise er flyttet til en anden afdeling"}
    person_id: PersonRef
    reason: str = Field(min_length=3, max_length=2000)


class TeamMemberLeft(Event):
    type: Literal["team_member_left"] = "team_member_left"
    label = "Forladt holdet"
    person_id: str
    reason: Annotated[str, Personal]


# -- the team's decider ---------------------------------------------------------

#: Where the team is formed and changed: from the decision on, while the help goes on.
TEAM_PHASES = frozenset({Phase.TEAM, Phase.PILOT, Phase.FOLLOW_UP})


class TeamView(Protocol):
    """What the team's rules read of a case: the team and whether the citizen approved it."""

    @property
    def team(self) -> Mapping[str, TeamMember]: ...
    @property
    def team_approved(self) -> bool: ...
    @property
    def team_change_requests(self) -> tuple[str, ...]: ...


class TeamContext(TeamView, Protocol):
    """The team with the caseworker, who is on it without an invitation."""

    @property
    def caseworker_id(self) -> str | None: ...


#: How the citizen is named where a team member could be: the owner of an activity, a
#: meeting's participant, who proposed a change.
CITIZEN_AS_RESPONSIBLE = "citizen"


def team_ids(state: TeamContext) -> set[str]:
    """Who can own an activity, take part in a meeting or propose a change: the
    joined members, the caseworker and the citizen."""
    return {m.person_id for m in joined_members(state)} | {CITIZEN_AS_RESPONSIBLE, state.caseworker_id or ""}


def joined_members(state: TeamView) -> list[TeamMember]:
    return [m for m in state.team.values() if m.status is InvitationStatus.JOINED]


def open_invitations(state: TeamView) -> list[TeamMember]:
    return [m for m in state.team.values() if m.status is InvitationStatus.INVITED]


def invite(state: TeamView, c: InviteTeamMember) -> list[Event]:
    existing = state.team.get(c.invitee.person_id)
    require(
        existing is None or existing.status not in (InvitationStatus.INVITED, InvitationStatus.JOINED),
        f"{c.invitee.name} ({c.invitee.person_id}) is already {existing.status.value if existing else ''} on the team",
        rule="team.already_invited",
        field="invitee.person_id",
    )
    require(
        not state.team_approved or bool(c.reason.strip()),
        "the citizen has already approved the team; a later change to the team needs a reason",
        rule="team.change_needs_reason",
        field="reason",
    )
    return [TeamMemberInvited(occurred_at=c.now, actor=c.actor, invitee=c.invitee, reason=c.reason.strip())]


def _open_invitation(state: TeamView, person_id: str) -> TeamMember:
    member = state.team.get(person_id)
    require(
        member is not None and member.status is InvitationStatus.INVITED,
        f"{person_id} has no open invitation to this team",
        rule="team.no_open_invitation",
        field="person_id",
    )
    assert member is not None  # refused above when missing
    return member


def remind_invitation(state: TeamView, c: RemindInvitation) -> list[Event]:
    member = _open_invitation(state, c.person_id)
    require(not member.reminded, f"{member.name} has been reminded already", rule="team.already_reminded")
    return [InvitationReminderSent(occurred_at=c.now, actor=c.actor, person_id=c.person_id)]


def expire_invitation(state: TeamView, c: ExpireInvitation) -> list[Event]:
    _open_invitation(state, c.person_id)
    return [InvitationExpired(occurred_at=c.now, actor=c.actor, person_id=c.person_id)]


def change_team(state: TeamView, c: ChangeTeam) -> list[Event]:
    member = state.team.get(c.person_id)
    require(
        member is not None and member.status is InvitationStatus.JOINED,
        f"{c.person_id} is not a member of the team",
        rule="team.not_a_member",
        field="person_id",
    )
    return [TeamMemberLeft(occurred_at=c.now, actor=c.actor, person_id=c.person_id, reason=c.reason.strip())]


def answer(state: TeamView, c: AnswerInvitation) -> list[Event]:
    member = state.team.get(c.actor.id)
    require(
        member is not None and member.status is InvitationStatus.INVITED,
        f"{c.actor.id} has no open invitation to this team; only the person invited can answer it",
        rule="team.no_open_invitation",
        field="actor.id",
    )
    if c.accept:
        return [TeamMemberJoined(occurred_at=c.now, actor=c.actor, person_id=c.actor.id)]
    require(
        bool(c.reason.strip()),
        "a declined invitation needs a reason, so the caseworker can invite someone else",
        rule="team.decline_needs_reason",
        field="reason",
    )
    return [TeamMemberDeclined(occurred_at=c.now, actor=c.actor, person_id=c.actor.id, reason=c.reason.strip())]


def approve_team(state: TeamView, c: ApproveTeam) -> list[Event]:
    if not c.approve:
        require(
            bool(c.comment.strip()),
            "say which changes you want to the team",
            rule="team.changes_need_comment",
            field="comment",
        )
        return [TeamChangesRequested(occurred_at=c.now, actor=c.actor, comment=c.comment.strip())]
    require(not state.team_approved, "the team is already approved", rule="team.already_approved")
    joined = joined_members(state)
    require(
        bool(joined),
        "nobody has joined the team yet; a team needs at least one member besides the citizen",
        rule="team.empty",
    )
    waiting = open_invitations(state)
    require(
        not waiting,
        "still waiting for an answer from " + ", ".join(m.name for m in waiting),
        rule="team.open_invitations",
    )
    members = tuple(m.person_id for m in joined)
    return [TeamApprovedByCitizen(occurred_at=c.now, actor=c.actor, members=members, comment=c.comment.strip())]


# -- how its events change the case --------------------------------------------


def _with_member(state: TeamView, person_id: str, **changes: object) -> Changes:
    """The team with one member changed (an erased invitation folds to nothing: ``with_entry``)."""
    return {"team": with_entry(state.team, person_id, **changes)}


def _invited(state: TeamView, e: TeamMemberInvited) -> Changes:
    member = TeamMember(**e.invitee.model_dump(), invited_at=e.occurred_at)
    return {"team": {**state.team, e.invitee.person_id: member}}


def _declined(state: TeamView, e: TeamMemberDeclined) -> Changes:
    return _with_member(state, e.person_id, status=InvitationStatus.DECLINED, decline_reason=e.reason)


CONCEPT = Concept(
    "team",
    commands={
        InviteTeamMember: decides(invite, TEAM_PHASES),
        AnswerInvitation: decides(answer, TEAM_PHASES),
        ApproveTeam: decides(approve_team, Phase.TEAM),
        RemindInvitation: decides(remind_invitation, TEAM_PHASES),
        ExpireInvitation: decides(expire_invitation, TEAM_PHASES),
        ChangeTeam: decides(change_team, Phase.PILOT, Phase.FOLLOW_UP),
    },
    events={
        TeamMemberInvited: _invited,
        TeamMemberJoined: lambda s, e: _with_member(s, e.person_id, status=InvitationStatus.JOINED),
        TeamMemberDeclined: _declined,
        TeamApprovedByCitizen: lambda s, e: {"team_approved": True},
        TeamChangesRequested: lambda s, e: {"team_change_requests": (*s.team_change_requests, e.comment)},
        InvitationReminderSent: lambda s, e: _with_member(s, e.person_id, reminded=True),
        InvitationExpired: lambda s, e: _with_member(s, e.person_id, status=InvitationStatus.EXPIRED),
        TeamMemberLeft: lambda s, e: _with_member(s, e.person_id, status=InvitationStatus.LEFT),
    },
)
