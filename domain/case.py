"""The Case decider: one citizen's case from need to evaluation.

    initial_state() -> CaseState
    decide(state, command) -> list[Event]    raises DomainError
    evolve(state, event) -> CaseState        total: no checks, no I/O

Anyone can rebuild a case from its events alone with ``fold``; the workflow
keeps the same state, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.citizen import Citizen
from domain.consent import Consent, ConsentGiven, ConsentRevoked, GiveConsent, InformationCategory, RevokeConsent
from domain.deadlines import DeadlineMissed, RecordMissedDeadline
from domain.errors import DomainError, require
from domain.evaluation import CaseClosed, CloseCase, EvaluationRecorded, RecordEvaluation
from domain.messages import Command, Event, Role
from domain.need import Need, NeedRegistered, OpenVisitation, RegisterNeed, VisitationOpened
from domain.phases import Phase
from domain.pilot import (
    ActionPlan,
    CompletePilot,
    ObservationRecorded,
    PilotCompleted,
    PilotStarted,
    RecordObservation,
    StartPilot,
)
from domain.team import (
    AnswerInvitation,
    ApproveTeam,
    InvitationStatus,
    InviteTeamMember,
    TeamApprovedByCitizen,
    TeamChangesRequested,
    TeamMember,
    TeamMemberDeclined,
    TeamMemberInvited,
    TeamMemberJoined,
)
from domain.visitation import (
    DECIDING_ROLES,
    AssessmentRecorded,
    DecisionMade,
    MakeDecision,
    Outcome,
    RecordAssessment,
    assess,
    decide_services,
)

CaseCommand = Annotated[
    Union[
        RegisterNeed,
        OpenVisitation,
        RecordAssessment,
        MakeDecision,
        InviteTeamMember,
        AnswerInvitation,
        ApproveTeam,
        StartPilot,
        RecordObservation,
        CompletePilot,
        RecordEvaluation,
        CloseCase,
        RecordMissedDeadline,
        GiveConsent,
        RevokeConsent,
    ],
    Field(discriminator="type"),
]

CaseEvent = Annotated[
    Union[
        NeedRegistered,
        VisitationOpened,
        AssessmentRecorded,
        DecisionMade,
        TeamMemberInvited,
        TeamMemberJoined,
        TeamMemberDeclined,
        TeamApprovedByCitizen,
        TeamChangesRequested,
        PilotStarted,
        ObservationRecorded,
        PilotCompleted,
        EvaluationRecorded,
        CaseClosed,
        DeadlineMissed,
        ConsentGiven,
        ConsentRevoked,
    ],
    Field(discriminator="type"),
]

command_adapter: TypeAdapter[CaseCommand] = TypeAdapter(CaseCommand)
event_adapter: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)


class Observation(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: str
    role: Role
    at: datetime
    text: str


class CaseState(BaseModel):
    """Everything the rules need to know about a case, and what a caseworker sees."""

    model_config = ConfigDict(frozen=True)

    case_id: str | None = None
    version: int = 0
    phase: Phase = Phase.NEW
    phase_since: datetime | None = None
    citizen: Citizen | None = None
    need: Need | None = None
    caseworker_id: str | None = None
    assessment: AssessmentRecorded | None = None
    decision: DecisionMade | None = None
    team: dict[str, TeamMember] = Field(default_factory=dict)
    team_approved: bool = False
    team_change_requests: tuple[str, ...] = ()
    consents: dict[str, Consent] = Field(default_factory=dict)
    plan: ActionPlan | None = None
    observations: tuple[Observation, ...] = ()
    pilot_result: PilotCompleted | None = None
    evaluation: EvaluationRecorded | None = None
    missed_deadlines: tuple[DeadlineMissed, ...] = ()
    closed_reason: str | None = None

    def joined_members(self) -> list[TeamMember]:
        return [m for m in self.team.values() if m.status is InvitationStatus.JOINED]

    def open_invitations(self) -> list[TeamMember]:
        return [m for m in self.team.values() if m.status is InvitationStatus.INVITED]

    def consent_covers(self, person_id: str, category: InformationCategory, at: datetime) -> bool:
        """Whether the citizen's consent lets ``person_id`` see ``category`` at ``at``."""
        consent = self.consents.get(person_id)
        return consent is not None and consent.covers(category, at)


def initial_state() -> CaseState:
    return CaseState()


# -- decide ---------------------------------------------------------------

# What may happen in each phase: the one table the phase rule reads.
ALLOWED: dict[Phase, tuple[type[Command], ...]] = {
    Phase.NEW: (RegisterNeed,),
    Phase.NEED: (OpenVisitation, CloseCase),
    Phase.VISITATION: (RecordAssessment, MakeDecision, RecordMissedDeadline),
    Phase.TEAM: (InviteTeamMember, AnswerInvitation, ApproveTeam, StartPilot, GiveConsent, RevokeConsent, RecordMissedDeadline),
    Phase.PILOT: (RecordObservation, CompletePilot, GiveConsent, RevokeConsent, RecordMissedDeadline),
    Phase.EVALUATION: (RecordEvaluation, CloseCase, RevokeConsent, RecordMissedDeadline),
    Phase.REFUSED: (CloseCase,),
    Phase.CLOSED: (),
}

CASEWORKER_ROLES = DECIDING_ROLES


def allowed_commands(state: CaseState) -> tuple[type[Command], ...]:
    return ALLOWED[state.phase]


def _check_phase(state: CaseState, command: Command) -> None:
    allowed = ALLOWED[state.phase]
    if type(command) in allowed:
        return
    where = f"case {state.case_id}" if state.case_id else "this case"
    now = ", ".join(c.title for c in allowed if c is not RecordMissedDeadline) or "nothing (the case is closed)"
    raise DomainError(
        f"'{command.title}' is not possible now: {where} is in the {state.phase.value} phase "
        f"({state.phase.label}). Allowed now: {now}.",
        rule="case.wrong_phase",
        field="type",
    )


def _require_role(command: Command, roles: Iterable[Role], doing: str) -> None:
    roles = tuple(roles)
    require(
        command.actor.role in roles,
        f"only {' or '.join(r.value for r in roles)} may {doing}; you act as {command.actor.role.value}",
        rule="case.role_not_allowed",
        field="actor.role",
    )


def _register_need(state: CaseState, c: RegisterNeed) -> list[Event]:
    require(
        c.actor.role not in (Role.AUDITOR, Role.SYSTEM),
        "an auditor reads cases but does not register needs",
        rule="case.role_not_allowed",
        field="actor.role",
    )
    return [NeedRegistered(occurred_at=c.at, actor=c.actor, case_id=c.case_id, citizen=c.citizen, need=c.need)]


def _open_visitation(state: CaseState, c: OpenVisitation) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "open a visitation")
    return [VisitationOpened(occurred_at=c.at, actor=c.actor, caseworker_id=c.actor.id)]


def _record_assessment(state: CaseState, c: RecordAssessment) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record a needs assessment")
    return [assess(c)]


def _make_decision(state: CaseState, c: MakeDecision) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "make a decision")
    return [decide_services(c, assessed=state.assessment is not None)]


def _invite(state: CaseState, c: InviteTeamMember) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "invite team members")
    existing = state.team.get(c.invitee.person_id)
    require(
        existing is None or existing.status is InvitationStatus.DECLINED,
        f"{c.invitee.name} ({c.invitee.person_id}) is already {existing.status.value if existing else ''} on the team",
        rule="team.already_invited",
        field="invitee.person_id",
    )
    require(
        not state.team_approved,
        "the citizen has already approved the team; changes after approval come with the team issue",
        rule="team.already_approved",
    )
    return [TeamMemberInvited(occurred_at=c.at, actor=c.actor, invitee=c.invitee)]


def _answer(state: CaseState, c: AnswerInvitation) -> list[Event]:
    member = state.team.get(c.actor.id)
    require(
        member is not None and member.status is InvitationStatus.INVITED,
        f"{c.actor.id} has no open invitation to this team; only the person invited can answer it",
        rule="team.no_open_invitation",
        field="actor.id",
    )
    if c.accept:
        return [TeamMemberJoined(occurred_at=c.at, actor=c.actor, person_id=c.actor.id)]
    require(
        bool(c.reason.strip()),
        "a declined invitation needs a reason, so the caseworker can invite someone else",
        rule="team.decline_needs_reason",
        field="reason",
    )
    return [TeamMemberDeclined(occurred_at=c.at, actor=c.actor, person_id=c.actor.id, reason=c.reason.strip())]


def _approve_team(state: CaseState, c: ApproveTeam) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "approve the team: it is the citizen's team")
    if not c.approve:
        require(
            bool(c.comment.strip()),
            "say which changes you want to the team",
            rule="team.changes_need_comment",
            field="comment",
        )
        return [TeamChangesRequested(occurred_at=c.at, actor=c.actor, comment=c.comment.strip())]
    require(
        not state.team_approved,
        "the team is already approved",
        rule="team.already_approved",
    )
    require(
        bool(state.joined_members()),
        "nobody has joined the team yet; a team needs at least one member besides the citizen",
        rule="team.empty",
    )
    waiting = state.open_invitations()
    require(
        not waiting,
        "still waiting for an answer from " + ", ".join(m.name for m in waiting),
        rule="team.open_invitations",
    )
    members = tuple(m.person_id for m in state.joined_members())
    return [TeamApprovedByCitizen(occurred_at=c.at, actor=c.actor, members=members, comment=c.comment.strip())]


CITIZEN_AS_RESPONSIBLE = "citizen"


def _start_pilot(state: CaseState, c: StartPilot) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "start the pilot")
    require(
        state.team_approved,
        "the citizen must approve the team before the pilot starts",
        rule="pilot.team_not_approved",
    )
    responsible_ok = {m.person_id for m in state.joined_members()} | {CITIZEN_AS_RESPONSIBLE, state.caseworker_id}
    for i, activity in enumerate(c.plan.activities):
        require(
            activity.responsible in responsible_ok,
            f"{activity.responsible!r} is not on the team; choose a team member, the caseworker or 'citizen'",
            rule="pilot.responsible_not_on_team",
            field=f"plan.activities[{i}].responsible",
        )
    return [PilotStarted(occurred_at=c.at, actor=c.actor, plan=c.plan)]


def _record_observation(state: CaseState, c: RecordObservation) -> list[Event]:
    member = next((m for m in state.joined_members() if m.person_id == c.actor.id), None)
    require(
        member is not None or c.actor.role in (*CASEWORKER_ROLES, Role.CITIZEN),
        f"{c.actor.id} is not on this citizen's team; observations come from the team",
        rule="pilot.observer_not_on_team",
        field="actor.id",
    )
    if member is not None and member.kind.outside_municipality:
        require(
            state.consent_covers(member.person_id, InformationCategory.OBSERVATIONS, c.at),
            f"{member.name} has no consent from the citizen that covers observations; "
            "the citizen gives it (give_consent) before a volunteer or relative records one",
            rule="consent.missing",
            field="actor.id",
        )
    return [ObservationRecorded(occurred_at=c.at, actor=c.actor, text=c.text)]


def _complete_pilot(state: CaseState, c: CompletePilot) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "complete the pilot")
    require(
        not c.ended_early or bool(c.early_end_reason.strip()),
        "a pilot that ends early needs the reason",
        rule="pilot.early_end_needs_reason",
        field="early_end_reason",
    )
    return [
        PilotCompleted(
            occurred_at=c.at,
            actor=c.actor,
            summary=c.summary,
            ended_early=c.ended_early,
            early_end_reason=c.early_end_reason.strip(),
        )
    ]


def _record_evaluation(state: CaseState, c: RecordEvaluation) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record the evaluation")
    require(state.evaluation is None, "the evaluation is already recorded", rule="evaluation.already_recorded")
    fields = c.model_dump(exclude={"type", "actor", "at"})
    return [EvaluationRecorded(occurred_at=c.at, actor=c.actor, **fields)]


def _close_case(state: CaseState, c: CloseCase) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "close a case")
    require(
        state.phase is not Phase.EVALUATION or state.evaluation is not None,
        "record the evaluation before closing the case",
        rule="case.close_before_evaluation",
    )
    return [CaseClosed(occurred_at=c.at, actor=c.actor, reason=c.reason)]


def _record_missed_deadline(state: CaseState, c: RecordMissedDeadline) -> list[Event]:
    _require_role(c, (Role.SYSTEM,), "record a missed deadline")
    return [DeadlineMissed(occurred_at=c.at, actor=c.actor, phase=c.phase, due_at=c.due_at)]


def _give_consent(state: CaseState, c: GiveConsent) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "give consent: it is the citizen's information")
    member = state.team.get(c.person_id)
    require(
        member is not None,
        f"{c.person_id} is not on the team; consent is given to a named person on the citizen's team",
        rule="consent.not_on_team",
        field="person_id",
    )
    require(
        member.kind.outside_municipality,
        f"{member.name} is municipal staff and works under the municipality's duty of confidentiality; "
        "consent is for volunteers and relatives",
        rule="consent.not_needed_for_staff",
        field="person_id",
    )
    require(
        c.valid_until > c.at.date(),
        "a consent must run until a date after today",
        rule="consent.expired",
        field="valid_until",
    )
    require(
        len(set(c.categories)) < len(InformationCategory),
        "a blanket consent to everything is not concrete; choose the categories this person needs for the purpose",
        rule="consent.blanket",
        field="categories",
    )
    return [
        ConsentGiven(
            occurred_at=c.at,
            actor=c.actor,
            person_id=c.person_id,
            categories=tuple(dict.fromkeys(c.categories)),
            purpose=c.purpose,
            valid_until=c.valid_until,
        )
    ]


def _revoke_consent(state: CaseState, c: RevokeConsent) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "revoke consent")
    consent = state.consents.get(c.person_id)
    require(
        consent is not None and consent.revoked_at is None,
        f"{c.person_id} has no consent in force to revoke",
        rule="consent.none_in_force",
        field="person_id",
    )
    return [ConsentRevoked(occurred_at=c.at, actor=c.actor, person_id=c.person_id, reason=c.reason.strip())]


_DECIDERS: dict[type[Command], Callable[[CaseState, Command], list[Event]]] = {
    RegisterNeed: _register_need,
    OpenVisitation: _open_visitation,
    RecordAssessment: _record_assessment,
    MakeDecision: _make_decision,
    InviteTeamMember: _invite,
    AnswerInvitation: _answer,
    ApproveTeam: _approve_team,
    StartPilot: _start_pilot,
    RecordObservation: _record_observation,
    CompletePilot: _complete_pilot,
    RecordEvaluation: _record_evaluation,
    CloseCase: _close_case,
    RecordMissedDeadline: _record_missed_deadline,
    GiveConsent: _give_consent,
    RevokeConsent: _revoke_consent,
}


def decide(state: CaseState, command: Command) -> list[Event]:
    """What happens if ``command`` is carried out now; a DomainError if it may not be."""
    require(
        command.at is not None,
        "the command has no time; the workflow stamps it before deciding",
        rule="case.unstamped",
        field="at",
    )
    _check_phase(state, command)
    return _DECIDERS[type(command)](state, command)


# -- evolve ---------------------------------------------------------------


def _enter(state: CaseState, phase: Phase, at: datetime, **changes) -> CaseState:
    return state.model_copy(update={"phase": phase, "phase_since": at, **changes})


def _with_member(state: CaseState, person_id: str, **changes) -> dict[str, TeamMember]:
    team = dict(state.team)
    team[person_id] = team[person_id].model_copy(update=changes)
    return team


def _apply(state: CaseState, event: Event) -> CaseState:
    match event:
        case NeedRegistered():
            return _enter(state, Phase.NEED, event.occurred_at, case_id=event.case_id, citizen=event.citizen, need=event.need)
        case VisitationOpened():
            return _enter(state, Phase.VISITATION, event.occurred_at, caseworker_id=event.caseworker_id)
        case AssessmentRecorded():
            return state.model_copy(update={"assessment": event})
        case DecisionMade():
            phase = Phase.REFUSED if event.outcome is Outcome.REFUSED else Phase.TEAM
            return _enter(state, phase, event.occurred_at, decision=event)
        case TeamMemberInvited():
            team = {**state.team, event.invitee.person_id: TeamMember(**event.invitee.model_dump())}
            return state.model_copy(update={"team": team})
        case TeamMemberJoined():
            return state.model_copy(update={"team": _with_member(state, event.person_id, status=InvitationStatus.JOINED)})
        case TeamMemberDeclined():
            team = _with_member(state, event.person_id, status=InvitationStatus.DECLINED, decline_reason=event.reason)
            return state.model_copy(update={"team": team})
        case TeamApprovedByCitizen():
            return state.model_copy(update={"team_approved": True})
        case TeamChangesRequested():
            return state.model_copy(update={"team_change_requests": (*state.team_change_requests, event.comment)})
        case PilotStarted():
            return _enter(state, Phase.PILOT, event.occurred_at, plan=event.plan)
        case ObservationRecorded():
            seen = Observation(by=event.actor.id, role=event.actor.role, at=event.occurred_at, text=event.text)
            return state.model_copy(update={"observations": (*state.observations, seen)})
        case PilotCompleted():
            return _enter(state, Phase.EVALUATION, event.occurred_at, pilot_result=event)
        case EvaluationRecorded():
            return state.model_copy(update={"evaluation": event})
        case CaseClosed():
            return _enter(state, Phase.CLOSED, event.occurred_at, closed_reason=event.reason)
        case ConsentGiven():
            consent = Consent(
                person_id=event.person_id,
                categories=event.categories,
                purpose=event.purpose,
                valid_until=event.valid_until,
                given_at=event.occurred_at,
            )
            return state.model_copy(update={"consents": {**state.consents, event.person_id: consent}})
        case ConsentRevoked():
            revoked = state.consents[event.person_id].model_copy(update={"revoked_at": event.occurred_at})
            return state.model_copy(update={"consents": {**state.consents, event.person_id: revoked}})
        case DeadlineMissed():
            return state.model_copy(update={"missed_deadlines": (*state.missed_deadlines, event)})
    return state


def evolve(state: CaseState, event: Event) -> CaseState:
    """Folds one event into the state. Total: every event counts toward the version."""
    return _apply(state, event).model_copy(update={"version": state.version + 1})


def fold(events: Iterable[Event], state: CaseState | None = None) -> CaseState:
    state = state if state is not None else initial_state()
    for event in events:
        state = evolve(state, event)
    return state


def event_from_record(event_type: str, header: dict, payload: dict) -> Event:
    """Rebuilds a domain event from the event log's columns and payload."""
    return event_adapter.validate_python({**payload, **header, "type": event_type})
