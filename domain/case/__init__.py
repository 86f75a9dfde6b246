"""The Case decider: one citizen's case from need to evaluation.

    initial_state() -> CaseState
    decide(state, command) -> list[Event]    raises DomainError
    evolve(state, event) -> CaseState        total: no checks, no I/O

Anyone can rebuild a case from its events alone with ``fold``; the workflow
keeps the same state, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.appeal import (
    AppealDecidedByAnkestyrelsen,
    AppealLodged,
    AppealSentToAnkestyrelsen,
    AppealWindowClosed,
    AppealWindowOpened,
    AppealWithdrawn,
    DecisionLetterReceived,
    DecisionReconsidered,
    DecisionReopened,
    ReconsiderationOverdue,
    ReopenDecision,
    reopen_decision,
)
from domain.case.consent import (
    ConfidentialityDeclarationRecorded,
    Consent,
    ConsentGiven,
    ConsentRevoked,
    GiveConsent,
    InformationCategory,
    RecordConfidentialityDeclaration,
    RevokeConsent,
    give_consent,
    record_confidentiality_declaration,
)
from domain.case.deadlines import (
    ApplicationReceived,
    DeadlineMissed,
    ProcessingDeadlineMissed,
    ReceiveApplication,
    RecordMissedDeadline,
    RecordMissedProcessingDeadline,
)
from domain.case.elder_act import AssessElderAct, ElderActAssessed, assess_elder_act
from domain.case.evaluation import (
    BaselineRecorded,
    CaseClosed,
    CloseCase,
    EvaluationRecorded,
    LegacyEvaluationRecorded,
    RecordBaseline,
    RecordEvaluation,
    record_baseline,
    record_evaluation,
    upcast_type,
)
from domain.case.file_access import (
    AnswerFileAccess,
    FileAccessAnswered,
    FileAccessRequest,
    FileAccessRequested,
    RequestFileAccess,
    answer_file_access,
    request_file_access,
)
from domain.case.follow_up import (
    FOLLOW_UP_EVENTS,
    DecideOnHelp,
    FollowUpDue,
    FollowUpRecord,
    FollowUpRecorded,
    HelpChoice,
    HelpDecided,
    RecordFollowUp,
    RecordFollowUpDue,
    decide_on_help,
    evolve_follow_up,
    record_follow_up,
    record_follow_up_due,
)
from domain.case.hearing import (
    AnswerHearing,
    CaseInformationRecorded,
    CommentRequested,
    CommentSubmitted,
    ConsentToObtainInformation,
    HearingAnswered,
    HearingDeadlinePassed,
    HearingStarted,
    InformationConsentGiven,
    RecordCaseInformation,
    RecordHearingDeadlinePassed,
    RequestToComment,
    StartHearing,
    SubmitComment,
    answer_hearing,
    consent_to_obtain,
    record_hearing_deadline_passed,
    record_information,
    request_to_comment,
    start_hearing,
    submit_comment,
)
from domain.case.need import Need, NeedRegistered, OpenVisitation, RegisterNeed, VisitationOpened, check_adult
from domain.case.personalised import CitizensChoiceRecorded, RecordCitizensChoice, record_choice
from domain.case.pilot import (
    ActionPlan,
    AdjustPlan,
    AnswerPlan,
    CompletePilot,
    Meeting,
    MeetingHeld,
    MeetingScheduled,
    ObservationRecorded,
    PilotCheckInDue,
    PilotCompleted,
    PilotStarted,
    PlanAcceptedByCitizen,
    PlanAdjusted,
    PlanChangesRequested,
    PlanProposed,
    ProposePlan,
    RecordCheckIn,
    RecordMeeting,
    RecordObservation,
    ScheduleMeeting,
    StartPilot,
)
from domain.case.processing_notice import (
    ExpectedDatePassed,
    NotifyProcessingDelay,
    ProcessingDeadlinePassed,
    ProcessingDelayNotified,
    RecordExpectedDatePassed,
    RecordProcessingDeadlinePassed,
    notify_processing_delay,
    record_expected_date_passed,
    record_processing_deadline_passed,
)
from domain.case.representatives import (
    EndRepresentation,
    RecordRepresentative,
    Representation,
    RepresentationEnded,
    RepresentativeRecorded,
    check_fuldmagt,
    end_representation,
    record_representative,
)
from domain.case.revisitation import (
    REVISITABLE,
    ApplicationWithdrawn,
    ChangedNeedReported,
    ReportChangedNeed,
    Revisitation,
    WithdrawApplication,
    check_can_close,
    report_changed_need,
    withdraw_application,
)
from domain.case.team import (
    AnswerInvitation,
    ApproveTeam,
    ChangeTeam,
    ExpireInvitation,
    InvitationExpired,
    InvitationReminderSent,
    InvitationStatus,
    InviteTeamMember,
    ProposedRole,
    ProposeTeam,
    RemindInvitation,
    TeamApprovedByCitizen,
    TeamChangesRequested,
    TeamMember,
    TeamMemberDeclined,
    TeamMemberInvited,
    TeamMemberJoined,
    TeamMemberLeft,
    TeamProposed,
)
from domain.case.team_proposal import propose_team
from domain.case.units import AssignUnit, UnitAssigned, assign_unit
from domain.case.visitation import (
    DECIDING_ROLES,
    VISITATION_EVENTS,
    AssessmentRecorded,
    DecisionMade,
    MakeDecision,
    Outcome,
    RecommendationApproved,
    RecommendationMade,
    RecommendationReturned,
    RecommendDecision,
    RecordAssessment,
    ReviewRecommendation,
    VisitationRecord,
    assess,
    evolve_visitation,
    make_decision,
    receive_application,
    recommend,
    record_missed_processing_deadline,
    review,
)
from domain.citizen import Citizen
from domain.errors import DomainError, require
from domain.messages import Command, Event, Role, require_role, without_log_metadata
from domain.phases import Phase

CaseCommand = Annotated[
    RegisterNeed
    | OpenVisitation
    | RecordAssessment
    | MakeDecision
    | InviteTeamMember
    | AnswerInvitation
    | ApproveTeam
    | StartPilot
    | RecordObservation
    | CompletePilot
    | RecordBaseline
    | RecordEvaluation
    | CloseCase
    | RecordMissedDeadline
    | GiveConsent
    | RevokeConsent
    | ProposeTeam
    | RemindInvitation
    | ExpireInvitation
    | ChangeTeam
    | ProposePlan
    | AnswerPlan
    | ScheduleMeeting
    | RecordMeeting
    | AdjustPlan
    | RecordCheckIn
    | ReceiveApplication
    | RecordMissedProcessingDeadline
    | ConsentToObtainInformation
    | RecordCaseInformation
    | StartHearing
    | AnswerHearing
    | RecordHearingDeadlinePassed
    | RecordCitizensChoice
    | RecommendDecision
    | ReviewRecommendation
    | ReopenDecision
    | AssessElderAct
    | RecordConfidentialityDeclaration
    | RequestToComment
    | SubmitComment
    | RecordRepresentative
    | EndRepresentation
    | AssignUnit
    | RequestFileAccess
    | AnswerFileAccess
    | DecideOnHelp
    | RecordFollowUpDue
    | RecordFollowUp
    | ReportChangedNeed
    | WithdrawApplication
    | NotifyProcessingDelay
    | RecordProcessingDeadlinePassed
    | RecordExpectedDatePassed,
    Field(discriminator="type"),
]

CaseEvent = Annotated[
    NeedRegistered
    | VisitationOpened
    | AssessmentRecorded
    | DecisionMade
    | TeamMemberInvited
    | TeamMemberJoined
    | TeamMemberDeclined
    | TeamApprovedByCitizen
    | TeamChangesRequested
    | PilotStarted
    | ObservationRecorded
    | PilotCompleted
    | BaselineRecorded
    | EvaluationRecorded
    | LegacyEvaluationRecorded
    | CaseClosed
    | DeadlineMissed
    | ConsentGiven
    | ConsentRevoked
    | TeamProposed
    | InvitationReminderSent
    | InvitationExpired
    | TeamMemberLeft
    | PlanProposed
    | PlanAcceptedByCitizen
    | PlanChangesRequested
    | MeetingScheduled
    | MeetingHeld
    | PlanAdjusted
    | PilotCheckInDue
    | ApplicationReceived
    | ProcessingDeadlineMissed
    | InformationConsentGiven
    | CaseInformationRecorded
    | HearingStarted
    | HearingAnswered
    | HearingDeadlinePassed
    | CitizensChoiceRecorded
    | RecommendationMade
    | RecommendationApproved
    | RecommendationReturned
    | DecisionReopened
    # the events of a decision's appeal, in the appeal's own stream (domain/appeal.py)
    | AppealWindowOpened
    | AppealLodged
    | AppealWindowClosed
    | DecisionReconsidered
    | ReconsiderationOverdue
    | AppealSentToAnkestyrelsen
    | DecisionLetterReceived
    | AppealWithdrawn
    | AppealDecidedByAnkestyrelsen
    | ElderActAssessed
    | ConfidentialityDeclarationRecorded
    | CommentRequested
    | CommentSubmitted
    | RepresentativeRecorded
    | RepresentationEnded
    | UnitAssigned
    | FileAccessRequested
    | FileAccessAnswered
    | HelpDecided
    | FollowUpDue
    | FollowUpRecorded
    | ChangedNeedReported
    | ApplicationWithdrawn
    | ProcessingDelayNotified
    | ProcessingDeadlinePassed
    | ExpectedDatePassed,
    Field(discriminator="type"),
]

command_adapter: TypeAdapter[CaseCommand] = TypeAdapter(CaseCommand)
event_adapter: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)


#: How many of its latest observations a case holds in its state (the workflow carries
#: the state from run to run; 5,000 observations made a 700 KiB input).
OBSERVATIONS_KEPT = 50


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
    #: The day each volunteer's or relative's tavshedserklæring was signed (domain/case/consent.py).
    confidentiality_declarations: dict[str, date] = Field(default_factory=dict)
    team_proposal: tuple[ProposedRole, ...] = ()
    proposed_plan: ActionPlan | None = None
    plan_accepted: bool = False
    plan_change_requests: tuple[str, ...] = ()
    plan: ActionPlan | None = None
    plan_adjustments: int = 0
    meetings: dict[int, Meeting] = Field(default_factory=dict)
    check_ins: int = 0
    #: The most recent observations (``OBSERVATIONS_KEPT``); every one is in the event log.
    observations: tuple[Observation, ...] = ()
    #: How many observations the case has recorded in all.
    observations_recorded: int = 0
    pilot_result: PilotCompleted | None = None
    baseline: BaselineRecorded | None = None
    evaluation: EvaluationRecorded | None = None
    missed_deadlines: tuple[DeadlineMissed, ...] = ()
    visitation: VisitationRecord = Field(default_factory=VisitationRecord)
    closed_reason: str | None = None
    #: The team or unit the case belongs to (need-to-know, domain/case/units.py); None until assigned.
    unit: str | None = None
    #: Requests for aktindsigt by number (FVL § 9, domain/case/file_access.py).
    file_access_requests: dict[int, FileAccessRequest] = Field(default_factory=dict)
    #: Representatives and their fuldmagter by number (FVL § 8, domain/case/representatives.py).
    representatives: dict[int, Representation] = Field(default_factory=dict)
    #: The decision about the help and the follow-ups after it (SEL § 148, domain/case/follow_up.py).
    follow_up: FollowUpRecord = Field(default_factory=FollowUpRecord)
    #: The revisitation under way (a changed need, domain/case/revisitation.py), and how many there have been.
    revisitation: Revisitation | None = None
    revisitations: int = 0

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
    Phase.NEED: (OpenVisitation, CloseCase, ReceiveApplication),
    Phase.VISITATION: (
        RecordAssessment,
        AssessElderAct,
        ReceiveApplication,
        ConsentToObtainInformation,
        RecordCaseInformation,
        StartHearing,
        AnswerHearing,
        RequestToComment,
        SubmitComment,
        RecordCitizensChoice,
        RecommendDecision,
        ReviewRecommendation,
        MakeDecision,
        RecordHearingDeadlinePassed,
        RecordMissedProcessingDeadline,
        RecordMissedDeadline,
    ),
    Phase.TEAM: (
        ProposeTeam,
        InviteTeamMember,
        AnswerInvitation,
        ApproveTeam,
        GiveConsent,
        RevokeConsent,
        RecordConfidentialityDeclaration,
        ProposePlan,
        AnswerPlan,
        StartPilot,
        RemindInvitation,
        ExpireInvitation,
        RecordMissedDeadline,
    ),
    Phase.PILOT: (
        RecordObservation,
        RecordBaseline,
        ScheduleMeeting,
        RecordMeeting,
        AdjustPlan,
        InviteTeamMember,
        AnswerInvitation,
        ChangeTeam,
        GiveConsent,
        RevokeConsent,
        RecordConfidentialityDeclaration,
        CompletePilot,
        RemindInvitation,
        ExpireInvitation,
        RecordCheckIn,
        RecordMissedDeadline,
    ),
    Phase.EVALUATION: (RecordEvaluation, DecideOnHelp, CloseCase, RevokeConsent, RecordMissedDeadline),
    Phase.FOLLOW_UP: (
        RecordFollowUp,
        RecordFollowUpDue,
        DecideOnHelp,
        RecordObservation,
        InviteTeamMember,
        AnswerInvitation,
        ChangeTeam,
        GiveConsent,
        RevokeConsent,
        RecordConfidentialityDeclaration,
        RemindInvitation,
        ExpireInvitation,
        CloseCase,
    ),
    Phase.REFUSED: (CloseCase,),
    # Closed is not the end: a decision changed on appeal (reconsideration, or
    # Ankestyrelsen changing it or sending it back) reopens the case (Rsl §§ 66-68).
    Phase.CLOSED: (ReopenDecision,),
}
# A citizen may be represented or assisted at any stage of the case (FVL § 8).
REPRESENTATION_COMMANDS = (RecordRepresentative, EndRepresentation, AssignUnit, RequestFileAccess, AnswerFileAccess)
for _phase in (Phase.NEED, Phase.VISITATION, Phase.TEAM, Phase.PILOT, Phase.EVALUATION, Phase.FOLLOW_UP, Phase.REFUSED):
    ALLOWED[_phase] = (*ALLOWED[_phase], *REPRESENTATION_COMMANDS)
# A decision about the help is made like any decision: the citizen is heard first
# where it is not wholly in their favour (FVL § 19), in evaluation or follow-up.
HEARING_COMMANDS = (RecordCaseInformation, StartHearing, AnswerHearing, RecordHearingDeadlinePassed)
for _phase in (Phase.EVALUATION, Phase.FOLLOW_UP):
    ALLOWED[_phase] = (*ALLOWED[_phase], *HEARING_COMMANDS)
# A changed need may be reported wherever a help is in force (revisitation), and an
# application withdrawn wherever one can be pending.
for _phase in REVISITABLE:
    ALLOWED[_phase] = (*ALLOWED[_phase], ReportChangedNeed)
for _phase in (Phase.NEED, Phase.VISITATION):
    ALLOWED[_phase] = (
        *ALLOWED[_phase],
        WithdrawApplication,
        # Rsl § 3, stk. 2: the citizen is told when the deadline cannot be kept (domain/case/processing_notice.py)
        NotifyProcessingDelay,
        RecordProcessingDeadlinePassed,
        RecordExpectedDatePassed,
    )
# After a decision its appeal runs alongside; a reconsideration that changes the
# decision reopens it for a new one (domain/appeal.py), whatever the phase.
for _phase in (Phase.TEAM, Phase.PILOT, Phase.EVALUATION, Phase.FOLLOW_UP, Phase.REFUSED):
    ALLOWED[_phase] = (*ALLOWED[_phase], ReopenDecision, MakeDecision)

CASEWORKER_ROLES = DECIDING_ROLES


def _check_phase(state: CaseState, command: Command) -> None:
    allowed = ALLOWED[state.phase]
    if type(command) in allowed:
        return
    where = f"case {state.case_id}" if state.case_id else "this case"
    now = ", ".join(c.title for c in allowed if not c.issued_by_system) or "nothing (the case is closed)"
    raise DomainError(
        f"'{command.title}' is not possible now: {where} is in the {state.phase.value} phase "
        f"({state.phase.label}). Allowed now: {now}.",
        rule="case.wrong_phase",
        field="type",
    )


def _require_role(command: Command, roles: Iterable[Role], doing: str) -> None:
    require_role(command, roles, doing, rule="case.role_not_allowed")


def _register_need(state: CaseState, c: RegisterNeed) -> list[Event]:
    require(
        c.actor.role not in (Role.AUDITOR, Role.SYSTEM),
        "an auditor reads cases but does not register needs",
        rule="case.role_not_allowed",
        field="actor.role",
    )
    check_adult(c.citizen, c.now.date())
    return [NeedRegistered(occurred_at=c.now, actor=c.actor, case_id=c.case_id, citizen=c.citizen, need=c.need)]


def _open_visitation(state: CaseState, c: OpenVisitation) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "open a visitation")
    return [VisitationOpened(occurred_at=c.now, actor=c.actor, caseworker_id=c.actor.id)]


def _record_assessment(state: CaseState, c: RecordAssessment) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record a needs assessment")
    return [assess(c)]


def _make_decision(state: CaseState, c: MakeDecision) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "make a decision")
    return make_decision(state, c)


def _recommend(state: CaseState, c: RecommendDecision) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "recommend a decision")
    return recommend(state, c)


def _visitation_step(doing: str, decider: Callable, roles: tuple[Role, ...] | None = CASEWORKER_ROLES):
    """A visitation command: the role rule here, the rest in its own module."""

    def step(state: CaseState, c: Command) -> list[Event]:
        if roles is not None:
            _require_role(c, roles, doing)
        return decider(state, c)

    return step


def _invite(state: CaseState, c: InviteTeamMember) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "invite team members")
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


def _propose_team(state: CaseState, c: ProposeTeam) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "propose a team")
    return [TeamProposed(occurred_at=c.now, actor=c.actor, roles=propose_team(state.need, state.assessment))]


def _open_invitation(state: CaseState, person_id: str) -> TeamMember:
    member = state.team.get(person_id)
    require(
        member is not None and member.status is InvitationStatus.INVITED,
        f"{person_id} has no open invitation to this team",
        rule="team.no_open_invitation",
        field="person_id",
    )
    assert member is not None  # refused above when missing
    return member


def _remind_invitation(state: CaseState, c: RemindInvitation) -> list[Event]:
    _require_role(c, (Role.SYSTEM,), "send invitation reminders")
    member = _open_invitation(state, c.person_id)
    require(not member.reminded, f"{member.name} has been reminded already", rule="team.already_reminded")
    return [InvitationReminderSent(occurred_at=c.now, actor=c.actor, person_id=c.person_id)]


def _expire_invitation(state: CaseState, c: ExpireInvitation) -> list[Event]:
    _require_role(c, (Role.SYSTEM,), "let invitations expire")
    _open_invitation(state, c.person_id)
    return [InvitationExpired(occurred_at=c.now, actor=c.actor, person_id=c.person_id)]


def _change_team(state: CaseState, c: ChangeTeam) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "change the team")
    member = state.team.get(c.person_id)
    require(
        member is not None and member.status is InvitationStatus.JOINED,
        f"{c.person_id} is not a member of the team",
        rule="team.not_a_member",
        field="person_id",
    )
    return [TeamMemberLeft(occurred_at=c.now, actor=c.actor, person_id=c.person_id, reason=c.reason.strip())]


def _answer(state: CaseState, c: AnswerInvitation) -> list[Event]:
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


def _approve_team(state: CaseState, c: ApproveTeam) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "approve the team: it is the citizen's team")
    if not c.approve:
        require(
            bool(c.comment.strip()),
            "say which changes you want to the team",
            rule="team.changes_need_comment",
            field="comment",
        )
        return [TeamChangesRequested(occurred_at=c.now, actor=c.actor, comment=c.comment.strip())]
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
    return [TeamApprovedByCitizen(occurred_at=c.now, actor=c.actor, members=members, comment=c.comment.strip())]


CITIZEN_AS_RESPONSIBLE = "citizen"


def _team_ids(state: CaseState) -> set[str]:
    """Who can own an activity, take part in a meeting or propose a change: the
    joined members, the caseworker and the citizen."""
    return {m.person_id for m in state.joined_members()} | {CITIZEN_AS_RESPONSIBLE, state.caseworker_id or ""}


def _check_plan(state: CaseState, c: ProposePlan | AdjustPlan) -> None:
    """SEL § 141: goals that are the citizen's (linked to the assessment), measurable and dated."""
    goals = state.assessment.goals if state.assessment else ()
    for i, goal in enumerate(c.plan.goals):
        require(
            1 <= goal.linked_goal <= len(goals),
            f"goal {i + 1} must link to one of the citizen's {len(goals)} goal(s) from the assessment (1-{len(goals)})",
            rule="plan.goal_not_linked",
            field=f"plan.goals[{i}].linked_goal",
        )
        require(
            goal.target_date > c.now.date(),
            "a goal's target date must lie ahead",
            rule="plan.target_date_passed",
            field=f"plan.goals[{i}].target_date",
        )
    team = _team_ids(state)
    for i, activity in enumerate(c.plan.activities):
        require(
            activity.responsible in team,
            f"{activity.responsible!r} is not on the team; choose a team member, the caseworker or 'citizen'",
            rule="pilot.responsible_not_on_team",
            field=f"plan.activities[{i}].responsible",
        )


def _propose_plan(state: CaseState, c: ProposePlan) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "propose the action plan")
    require(
        state.team_approved,
        "the citizen must approve the team before the plan is proposed",
        rule="pilot.team_not_approved",
    )
    _check_plan(state, c)
    return [PlanProposed(occurred_at=c.now, actor=c.actor, plan=c.plan)]


def _answer_plan(state: CaseState, c: AnswerPlan) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "accept the action plan: it is the citizen's plan")
    require(state.proposed_plan is not None, "no plan has been proposed yet", rule="plan.none_proposed")
    require(not state.plan_accepted, "the plan is already accepted", rule="plan.already_accepted")
    if c.accept:
        return [PlanAcceptedByCitizen(occurred_at=c.now, actor=c.actor, comment=c.comment.strip())]
    require(
        bool(c.comment.strip()),
        "say which changes you want to the plan",
        rule="plan.changes_need_comment",
        field="comment",
    )
    return [PlanChangesRequested(occurred_at=c.now, actor=c.actor, comment=c.comment.strip())]


def _start_pilot(state: CaseState, c: StartPilot) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "start the pilot")
    require(
        state.team_approved,
        "the citizen must approve the team before the pilot starts",
        rule="pilot.team_not_approved",
    )
    require(
        state.plan_accepted and state.proposed_plan is not None,
        "the citizen must accept the action plan before the pilot starts",
        rule="pilot.plan_not_accepted",
    )
    assert state.proposed_plan is not None  # refused above when missing
    return [PilotStarted(occurred_at=c.now, actor=c.actor, plan=state.proposed_plan)]


def _schedule_meeting(state: CaseState, c: ScheduleMeeting) -> list[Event]:
    team = _team_ids(state)
    require(
        c.actor.id in team or c.actor.role in CASEWORKER_ROLES,
        f"{c.actor.id} is not on the team; meetings are planned by the team",
        rule="pilot.not_on_team",
        field="actor.id",
    )
    require(
        c.planned_for > c.now, "a meeting is planned for a time ahead", rule="meeting.in_the_past", field="planned_for"
    )
    for i, person in enumerate(c.participants):
        require(
            person in team,
            f"{person!r} is not on the team",
            rule="meeting.participant_not_on_team",
            field=f"participants[{i}]",
        )
    return [
        MeetingScheduled(
            occurred_at=c.now,
            actor=c.actor,
            meeting_no=len(state.meetings) + 1,
            planned_for=c.planned_for,
            agenda=c.agenda,
            participants=tuple(dict.fromkeys([CITIZEN_AS_RESPONSIBLE, *c.participants])),
        )
    ]


def _record_meeting(state: CaseState, c: RecordMeeting) -> list[Event]:
    meeting = state.meetings.get(c.meeting_no)
    require(
        meeting is not None, f"there is no meeting number {c.meeting_no}", rule="meeting.unknown", field="meeting_no"
    )
    assert meeting is not None  # refused above when missing
    require(
        not meeting.held, f"meeting {c.meeting_no} is already recorded", rule="meeting.already_held", field="meeting_no"
    )
    require(
        c.actor.role in CASEWORKER_ROLES or c.actor.id in _team_ids(state),
        f"{c.actor.id} is not on the team",
        rule="pilot.not_on_team",
        field="actor.id",
    )
    require(
        c.citizen_present and CITIZEN_AS_RESPONSIBLE in c.attended,
        "a joint meeting is held with the citizen present (et fælles tredje); "
        "without the citizen, record an observation instead",
        rule="meeting.citizen_absent",
        field="citizen_present",
    )
    team = _team_ids(state)
    for i, person in enumerate(c.attended):
        require(
            person in team,
            f"{person!r} is not on the team",
            rule="meeting.participant_not_on_team",
            field=f"attended[{i}]",
        )
    return [
        MeetingHeld(
            occurred_at=c.now,
            actor=c.actor,
            meeting_no=c.meeting_no,
            attended=tuple(dict.fromkeys(c.attended)),
            citizen_present=c.citizen_present,
            minutes=c.minutes,
        )
    ]


def _adjust_plan(state: CaseState, c: AdjustPlan) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record a change to the plan")
    require(
        c.proposed_by in _team_ids(state),
        f"{c.proposed_by!r} is not on the team; a change is proposed by the citizen or a team member",
        rule="plan.proposer_not_on_team",
        field="proposed_by",
    )
    _check_plan(state, c)
    return [
        PlanAdjusted(occurred_at=c.now, actor=c.actor, plan=c.plan, reason=c.reason.strip(), proposed_by=c.proposed_by)
    ]


def _record_check_in(state: CaseState, c: RecordCheckIn) -> list[Event]:
    _require_role(c, (Role.SYSTEM,), "record a pilot check-in")
    require(
        c.number == state.check_ins + 1,
        f"the next check-in is number {state.check_ins + 1}",
        rule="pilot.check_in_order",
    )
    return [PilotCheckInDue(occurred_at=c.now, actor=c.actor, number=c.number)]


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
            state.consent_covers(member.person_id, InformationCategory.OBSERVATIONS, c.now),
            f"{member.name} has no consent from the citizen that covers observations; "
            "the citizen gives it (give_consent) before a volunteer or relative records one",
            rule="consent.missing",
            field="actor.id",
        )
    return [ObservationRecorded(occurred_at=c.now, actor=c.actor, text=c.text)]


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
            occurred_at=c.now,
            actor=c.actor,
            summary=c.summary,
            ended_early=c.ended_early,
            early_end_reason=c.early_end_reason.strip(),
        )
    ]


def _record_evaluation(state: CaseState, c: RecordEvaluation) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record the evaluation")
    require(state.evaluation is None, "the evaluation is already recorded", rule="evaluation.already_recorded")
    return [record_evaluation(c, assessment=state.assessment, plan=state.plan, baseline=state.baseline)]


def _record_baseline(state: CaseState, c: RecordBaseline) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "record the baseline")
    require(
        state.baseline is None,
        "the baseline is already recorded; it is measured once, as the pilot starts",
        rule="evaluation.baseline_already_recorded",
    )
    return [record_baseline(c, state.assessment)]


def _close_case(state: CaseState, c: CloseCase) -> list[Event]:
    _require_role(c, CASEWORKER_ROLES, "close a case")
    require(
        state.phase is not Phase.EVALUATION or state.evaluation is not None,
        "record the evaluation before closing the case",
        rule="case.close_before_evaluation",
    )
    check_can_close(state)
    require(
        state.phase is not Phase.FOLLOW_UP or state.follow_up.help_ended,
        "the help goes on in follow-up; decide to stop it (decide_on_help: stop) before closing the case (SEL § 148)",
        rule="case.close_while_help_goes_on",
    )
    return [CaseClosed(occurred_at=c.now, actor=c.actor, reason=c.reason)]


def _record_missed_deadline(state: CaseState, c: RecordMissedDeadline) -> list[Event]:
    _require_role(c, (Role.SYSTEM,), "record a missed deadline")
    return [DeadlineMissed(occurred_at=c.now, actor=c.actor, phase=c.phase, due_at=c.due_at)]


def _revoke_consent(state: CaseState, c: RevokeConsent) -> list[Event]:
    _require_role(c, (Role.CITIZEN,), "revoke consent")
    consent = state.consents.get(c.person_id)
    require(
        consent is not None and consent.revoked_at is None,
        f"{c.person_id} has no consent in force to revoke",
        rule="consent.none_in_force",
        field="person_id",
    )
    return [ConsentRevoked(occurred_at=c.now, actor=c.actor, person_id=c.person_id, reason=c.reason.strip())]


# Each decider takes the one command class it is filed under; a dict's type cannot say so, hence Any.
_DECIDERS: dict[type[Command], Callable[[CaseState, Any], list[Event]]] = {
    RegisterNeed: _register_need,
    OpenVisitation: _open_visitation,
    RecordAssessment: _record_assessment,
    MakeDecision: _make_decision,
    RecommendDecision: _recommend,
    ReviewRecommendation: review,
    ReceiveApplication: _visitation_step("register an application", receive_application),
    RecordMissedProcessingDeadline: _visitation_step(
        "record a missed processing deadline", record_missed_processing_deadline, (Role.SYSTEM,)
    ),
    ConsentToObtainInformation: consent_to_obtain,
    RecordCaseInformation: _visitation_step("record case information", record_information),
    StartHearing: _visitation_step("start a hearing", start_hearing),
    AnswerHearing: answer_hearing,
    RecordHearingDeadlinePassed: _visitation_step(
        "record a hearing deadline", record_hearing_deadline_passed, (Role.SYSTEM,)
    ),
    RecordCitizensChoice: record_choice,
    ReopenDecision: reopen_decision,
    AssessElderAct: assess_elder_act,
    RequestToComment: request_to_comment,
    SubmitComment: submit_comment,
    InviteTeamMember: _invite,
    AnswerInvitation: _answer,
    ApproveTeam: _approve_team,
    StartPilot: _start_pilot,
    RecordObservation: _record_observation,
    CompletePilot: _complete_pilot,
    RecordBaseline: _record_baseline,
    RecordEvaluation: _record_evaluation,
    CloseCase: _close_case,
    RecordMissedDeadline: _record_missed_deadline,
    GiveConsent: give_consent,
    RecordConfidentialityDeclaration: record_confidentiality_declaration,
    RevokeConsent: _revoke_consent,
    ProposeTeam: _propose_team,
    RemindInvitation: _remind_invitation,
    ExpireInvitation: _expire_invitation,
    ChangeTeam: _change_team,
    ProposePlan: _propose_plan,
    AnswerPlan: _answer_plan,
    ScheduleMeeting: _schedule_meeting,
    RecordMeeting: _record_meeting,
    AdjustPlan: _adjust_plan,
    RecordCheckIn: _record_check_in,
    RecordRepresentative: record_representative,
    EndRepresentation: end_representation,
    AssignUnit: assign_unit,
    RequestFileAccess: request_file_access,
    AnswerFileAccess: answer_file_access,
    DecideOnHelp: _visitation_step("decide on the help", decide_on_help),
    RecordFollowUpDue: _visitation_step("record a follow-up due", record_follow_up_due, (Role.SYSTEM,)),
    RecordFollowUp: _visitation_step("record a follow-up", record_follow_up),
    ReportChangedNeed: report_changed_need,
    WithdrawApplication: withdraw_application,
    NotifyProcessingDelay: notify_processing_delay,
    RecordProcessingDeadlinePassed: _visitation_step(
        "record a passed processing deadline", record_processing_deadline_passed, (Role.SYSTEM,)
    ),
    RecordExpectedDatePassed: _visitation_step(
        "record a passed expected date", record_expected_date_passed, (Role.SYSTEM,)
    ),
}

#: The type names of the commands the workflows give themselves when a timer fires.
SYSTEM_COMMAND_TYPES = frozenset(c.model_fields["type"].default for c in _DECIDERS if c.issued_by_system)


def decide(state: CaseState, command: Command) -> list[Event]:
    """What happens if ``command`` is carried out now; a DomainError if it may not be."""
    require(
        command.at is not None,
        "the command has no time; the workflow stamps it before deciding",
        rule="case.unstamped",
        field="at",
    )
    _check_phase(state, command)
    if command.actor.role is Role.REPRESENTATIVE:
        return _decide_for_citizen(state, command)
    return _DECIDERS[type(command)](state, command)


def _decide_for_citizen(state: CaseState, command: Command) -> list[Event]:
    """FVL § 8: a representative with a fuldmagt that covers the command gives it
    as the citizen would; the events name the representative as the one who acted."""
    check_fuldmagt(state, command)
    as_citizen = command.model_copy(update={"actor": command.actor.model_copy(update={"role": Role.CITIZEN})})
    return [e.model_copy(update={"actor": command.actor}) for e in _DECIDERS[type(command)](state, as_citizen)]


# -- evolve ---------------------------------------------------------------


def _enter(state: CaseState, phase: Phase, at: datetime, **changes) -> CaseState:
    return state.model_copy(update={"phase": phase, "phase_since": at, **changes})


def _with_member(state: CaseState, person_id: str, **changes) -> dict[str, TeamMember]:
    """The team with one member changed. Total, as evolve must be: a member whose
    invitation is not in the state (it was erased: its personal fields read as the
    marker and it cannot be folded) leaves the team as it is."""
    team = dict(state.team)
    if person_id in team:
        team[person_id] = team[person_id].model_copy(update=changes)
    return team


def _apply(state: CaseState, event: Event) -> CaseState:
    if isinstance(event, VISITATION_EVENTS):
        state = state.model_copy(update={"visitation": evolve_visitation(state.visitation, event)})
    if isinstance(event, FOLLOW_UP_EVENTS):
        state = state.model_copy(update={"follow_up": evolve_follow_up(state.follow_up, event)})
    match event:
        case HelpDecided():
            # a decision of the case: it takes the next decision number, and settles a reopened one
            visitation = state.visitation.model_copy(
                update={"decisions": state.visitation.decisions + 1, "reopened_by": None}
            )
            state = state.model_copy(update={"visitation": visitation})
            if event.choice is HelpChoice.ADJUST:
                # a new pilot cycle on the new plan: check-ins, baseline and evaluation start afresh
                return _enter(
                    state,
                    Phase.PILOT,
                    event.occurred_at,
                    plan=event.plan,
                    check_ins=0,
                    baseline=None,
                    evaluation=None,
                    pilot_result=None,
                )
            if event.choice is HelpChoice.STOP:
                return state
            return _enter(state, Phase.FOLLOW_UP, event.occurred_at) if state.phase is not Phase.FOLLOW_UP else state
        case NeedRegistered():
            return _enter(
                state, Phase.NEED, event.occurred_at, case_id=event.case_id, citizen=event.citizen, need=event.need
            )
        case VisitationOpened():
            return _enter(state, Phase.VISITATION, event.occurred_at, caseworker_id=event.caseworker_id)
        case AssessmentRecorded():
            return state.model_copy(update={"assessment": event})
        case DecisionMade() if state.revisitation is not None:
            # the revisitation's decision: the help goes on under it where it was
            return _enter(state, state.revisitation.from_phase, event.occurred_at, decision=event, revisitation=None)
        case ChangedNeedReported():
            revisiting = Revisitation(number=event.number, since=event.occurred_at, from_phase=event.from_phase)
            return _enter(
                state, Phase.VISITATION, event.occurred_at, revisitation=revisiting, revisitations=event.number
            )
        case ApplicationWithdrawn() if state.revisitation is not None and not any(
            a.status.value == "pending" for a in state.visitation.applications
        ):
            # the revisitation's application withdrawn: the help goes on as it was
            return _enter(state, state.revisitation.from_phase, event.occurred_at, revisitation=None)
        case DecisionMade():
            phase = Phase.REFUSED if event.outcome is Outcome.REFUSED else Phase.TEAM
            if phase is not Phase.REFUSED and state.phase in (
                Phase.TEAM,
                Phase.PILOT,
                Phase.EVALUATION,
                Phase.FOLLOW_UP,
            ):
                # a decision changed on reconsideration: the team and pilot go on under it
                return state.model_copy(update={"decision": event})
            return _enter(state, phase, event.occurred_at, decision=event)
        case TeamMemberInvited():
            member = TeamMember(**event.invitee.model_dump(), invited_at=event.occurred_at)
            team = {**state.team, event.invitee.person_id: member}
            return state.model_copy(update={"team": team})
        case TeamMemberJoined():
            return state.model_copy(
                update={"team": _with_member(state, event.person_id, status=InvitationStatus.JOINED)}
            )
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
            # A case lives for years and carries its state from run to run: it keeps the
            # latest observations and the count, the log keeps them all.
            kept = (*state.observations[-(OBSERVATIONS_KEPT - 1) :], seen)
            return state.model_copy(
                update={"observations": kept, "observations_recorded": state.observations_recorded + 1}
            )
        case PilotCompleted():
            return _enter(state, Phase.EVALUATION, event.occurred_at, pilot_result=event)
        case BaselineRecorded():
            return state.model_copy(update={"baseline": event})
        case EvaluationRecorded():
            return state.model_copy(update={"evaluation": event})
        case CaseClosed():
            return _enter(state, Phase.CLOSED, event.occurred_at, closed_reason=event.reason)
        case DecisionReopened() if state.phase is Phase.CLOSED:
            # a closed case reopened by an appeal goes back to visitation for the new decision
            return _enter(state, Phase.VISITATION, event.occurred_at, closed_reason=None)
        case TeamProposed():
            return state.model_copy(update={"team_proposal": event.roles})
        case InvitationReminderSent():
            return state.model_copy(update={"team": _with_member(state, event.person_id, reminded=True)})
        case InvitationExpired():
            return state.model_copy(
                update={"team": _with_member(state, event.person_id, status=InvitationStatus.EXPIRED)}
            )
        case TeamMemberLeft():
            return state.model_copy(update={"team": _with_member(state, event.person_id, status=InvitationStatus.LEFT)})
        case PlanProposed():
            return state.model_copy(update={"proposed_plan": event.plan, "plan_accepted": False})
        case PlanAcceptedByCitizen():
            return state.model_copy(update={"plan_accepted": True})
        case PlanChangesRequested():
            return state.model_copy(update={"plan_change_requests": (*state.plan_change_requests, event.comment)})
        case MeetingScheduled():
            meeting = Meeting(
                meeting_no=event.meeting_no,
                planned_for=event.planned_for,
                agenda=event.agenda,
                participants=event.participants,
            )
            return state.model_copy(update={"meetings": {**state.meetings, event.meeting_no: meeting}})
        case MeetingHeld() if event.meeting_no in state.meetings:  # (an erased scheduling folds to nothing)
            held = state.meetings[event.meeting_no].model_copy(
                update={"held": True, "attended": event.attended, "minutes": event.minutes}
            )
            return state.model_copy(update={"meetings": {**state.meetings, event.meeting_no: held}})
        case PlanAdjusted():
            return state.model_copy(update={"plan": event.plan, "plan_adjustments": state.plan_adjustments + 1})
        case PilotCheckInDue():
            return state.model_copy(update={"check_ins": event.number})
        case ConsentGiven():
            consent = Consent(
                person_id=event.person_id,
                categories=event.categories,
                purpose=event.purpose,
                valid_until=event.valid_until,
                given_at=event.occurred_at,
            )
            return state.model_copy(update={"consents": {**state.consents, event.person_id: consent}})
        case ConsentRevoked() if event.person_id in state.consents:  # (an erased consent folds to nothing)
            revoked = state.consents[event.person_id].model_copy(update={"revoked_at": event.occurred_at})
            return state.model_copy(update={"consents": {**state.consents, event.person_id: revoked}})
        case DeadlineMissed():
            return state.model_copy(update={"missed_deadlines": (*state.missed_deadlines, event)})
        case RepresentativeRecorded():
            representation = Representation(**event.model_dump(include=set(Representation.model_fields) - {"ended_at"}))
            return state.model_copy(update={"representatives": {**state.representatives, event.number: representation}})
        case FileAccessRequested():
            request = FileAccessRequest(number=event.number, requested_at=event.occurred_at, due_at=event.due_at)
            return state.model_copy(
                update={"file_access_requests": {**state.file_access_requests, event.number: request}}
            )
        case FileAccessAnswered():
            answered = state.file_access_requests[event.number].model_copy(update={"answered": event.outcome})
            return state.model_copy(
                update={"file_access_requests": {**state.file_access_requests, event.number: answered}}
            )
        case UnitAssigned():
            return state.model_copy(update={"unit": event.unit})
        case RepresentationEnded():
            ended = state.representatives[event.number].model_copy(update={"ended_at": event.occurred_at})
            return state.model_copy(update={"representatives": {**state.representatives, event.number: ended}})
        case ConfidentialityDeclarationRecorded():
            declarations = {**state.confidentiality_declarations, event.person_id: event.signed_on}
            return state.model_copy(update={"confidentiality_declarations": declarations})
    return state


def evolve(state: CaseState, event: Event) -> CaseState:
    """Folds one event into the state. Total: every event counts toward the version."""
    return _apply(state, event).model_copy(update={"version": state.version + 1})


def fold(events: Iterable[Event], state: CaseState | None = None) -> CaseState:
    """``evolve`` over the events, the version counted once at the end: folding
    makes a copy of the state per event, and the version's was a second one
    (no event's effect depends on the version)."""
    state = state if state is not None else initial_state()
    folded = 0
    for event in events:
        state = _apply(state, event)
        folded += 1
    return state.model_copy(update={"version": state.version + folded}) if folded else state


def event_from_record(event_type: str, header: dict, payload: dict) -> Event:
    """Rebuilds a domain event from the event log's columns and payload."""
    event_type = upcast_type(event_type, header.get("schema_version", 1))
    return event_adapter.validate_python({**without_log_metadata(payload), **header, "type": event_type})
