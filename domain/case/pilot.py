"""Phase 4, the pilot: a co-created action plan (handleplan, SEL § 141) tried
out by the team with the citizen (its joint meetings and observations:
``domain/case/meetings.py``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.assessment import AssessmentRecorded
from domain.case.concept import Concept, decides, enter
from domain.case.team import TeamContext, team_ids
from domain.errors import require
from domain.information import InformationCategory
from domain.legal import LegalBasis
from domain.messages import MAX_ITEMS, Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase


class PlanGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Annotated[str, Personal] = Field(min_length=3, max_length=2000)
    measure: Annotated[str, Personal] = Field(
        min_length=3, max_length=500, description="How we will know it is reached"
    )
    target_date: date
    linked_goal: int = Field(ge=1, description="Number of the citizen's own goal in the assessment (1 = the first)")


class PlanActivity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Annotated[str, Personal] = Field(min_length=3, max_length=2000)
    responsible: str = Field(min_length=1, max_length=64, description="person id of a team member or the citizen")
    expected_weeks: int | None = Field(default=None, ge=1, le=104, description="Expected duration")


class ActionPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: Annotated[str, Personal] = Field(min_length=3, max_length=4000)
    goals: tuple[PlanGoal, ...] = Field(min_length=1, max_length=MAX_ITEMS)
    activities: tuple[PlanActivity, ...] = Field(min_length=1, max_length=MAX_ITEMS)


class ProposePlan(Command):
    """The caseworker puts the plan made with the citizen and the team to the citizen."""

    title = "Propose action plan"
    type: Literal["propose_plan"] = "propose_plan"
    label = "Foreslå handleplan"
    intro = (
        "Handleplanen (servicelovens § 141): mål knyttet til borgerens egne mål, og aktiviteter med en "
        "ansvarlig fra holdet."
    )
    plan: ActionPlan


class PlanProposed(Event):
    type: Literal["plan_proposed"] = "plan_proposed"
    label = "Handleplan foreslået"
    category = InformationCategory.PLAN
    fixed_basis = LegalBasis.SEL_141
    plan: ActionPlan


class AnswerPlan(Command):
    """The citizen accepts the proposed plan, or asks for changes (saying which)."""

    title = "Answer action plan"
    type: Literal["answer_plan"] = "answer_plan"
    label = "Svar på handleplan"
    intro = "Læs handleplanen ovenfor. Sig ja, eller skriv hvad du vil have ændret."
    roles = frozenset({Role.CITIZEN})
    role_reason = "it is the citizen's plan"
    accept: bool
    comment: str = Field(default="", max_length=2000)


class PlanAcceptedByCitizen(Event):
    type: Literal["plan_accepted_by_citizen"] = "plan_accepted_by_citizen"
    label = "Handleplan godkendt af borgeren"
    comment: Annotated[str, Personal]


class PlanChangesRequested(Event):
    type: Literal["plan_changes_requested"] = "plan_changes_requested"
    label = "Borgeren ønsker ændringer i handleplanen"
    comment: Annotated[str, Personal]


class StartPilot(Command):
    """Starts the pilot on the plan the citizen accepted."""

    title = "Start pilot"
    type: Literal["start_pilot"] = "start_pilot"
    label = "Start pilot"


class PilotStarted(Event):
    type: Literal["pilot_started"] = "pilot_started"
    label = "Pilot startet"
    category = InformationCategory.PLAN
    fixed_basis = LegalBasis.SEL_141
    plan: ActionPlan


class AdjustPlan(Command):
    """A change to the plan during the pilot, proposed by anyone on the team."""

    title = "Adjust action plan"
    type: Literal["adjust_plan"] = "adjust_plan"
    label = "Justér handleplan"
    intro = "En ændring af handleplanen, med begrundelse og hvem der foreslog den."
    plan: ActionPlan
    reason: str = Field(min_length=3, max_length=2000)
    proposed_by: str = Field(min_length=1, max_length=64, description="person id, or 'citizen'")


class PlanAdjusted(Event):
    type: Literal["plan_adjusted"] = "plan_adjusted"
    label = "Handleplan justeret"
    category = InformationCategory.PLAN
    plan: ActionPlan
    reason: Annotated[str, Personal]
    proposed_by: str


class RecordCheckIn(Command):
    """Issued by the workflow when a check-in on the pilot falls due."""

    title = "Record pilot check-in"
    issued_by_system = True
    type: Literal["record_check_in"] = "record_check_in"
    label = "Registrér opfølgning"
    number: int = Field(ge=1)


class PilotCheckInDue(Event):
    type: Literal["pilot_check_in_due"] = "pilot_check_in_due"
    label = "Opfølgning på piloten"
    number: int


class CompletePilot(Command):
    title = "Complete pilot"
    type: Literal["complete_pilot"] = "complete_pilot"
    label = "Afslut pilot"
    summary: str = Field(min_length=3, max_length=4000)
    ended_early: bool = False
    early_end_reason: str = Field(default="", max_length=2000)


class PilotCompleted(Event):
    type: Literal["pilot_completed"] = "pilot_completed"
    label = "Pilot afsluttet"
    category = InformationCategory.EVALUATION
    summary: Annotated[str, Personal]
    ended_early: bool
    early_end_reason: Annotated[str, Personal]


# -- the plan's and the pilot's decider -----------------------------------------


class PilotView(TeamContext, Protocol):
    """What the plan's and the pilot's rules read: the team, the assessment's goals and the plan."""

    @property
    def assessment(self) -> AssessmentRecorded | None: ...
    @property
    def proposed_plan(self) -> ActionPlan | None: ...
    @property
    def plan_accepted(self) -> bool: ...
    @property
    def plan_change_requests(self) -> tuple[str, ...]: ...
    @property
    def plan_adjustments(self) -> int: ...
    @property
    def check_ins(self) -> int: ...


def _check_plan(state: PilotView, c: ProposePlan | AdjustPlan) -> None:
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
    team = team_ids(state)
    for i, activity in enumerate(c.plan.activities):
        require(
            activity.responsible in team,
            f"{activity.responsible!r} is not on the team; choose a team member, the caseworker or 'citizen'",
            rule="pilot.responsible_not_on_team",
            field=f"plan.activities[{i}].responsible",
        )


def propose_plan(state: PilotView, c: ProposePlan) -> list[Event]:
    require(
        state.team_approved,
        "the citizen must approve the team before the plan is proposed",
        rule="pilot.team_not_approved",
    )
    _check_plan(state, c)
    return [PlanProposed(occurred_at=c.now, actor=c.actor, plan=c.plan)]


def answer_plan(state: PilotView, c: AnswerPlan) -> list[Event]:
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


def start_pilot(state: PilotView, c: StartPilot) -> list[Event]:
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


def adjust_plan(state: PilotView, c: AdjustPlan) -> list[Event]:
    require(
        c.proposed_by in team_ids(state),
        f"{c.proposed_by!r} is not on the team; a change is proposed by the citizen or a team member",
        rule="plan.proposer_not_on_team",
        field="proposed_by",
    )
    _check_plan(state, c)
    return [
        PlanAdjusted(occurred_at=c.now, actor=c.actor, plan=c.plan, reason=c.reason.strip(), proposed_by=c.proposed_by)
    ]


def record_check_in(state: PilotView, c: RecordCheckIn) -> list[Event]:
    require(
        c.number == state.check_ins + 1,
        f"the next check-in is number {state.check_ins + 1}",
        rule="pilot.check_in_order",
    )
    return [PilotCheckInDue(occurred_at=c.now, actor=c.actor, number=c.number)]


def complete_pilot(state: PilotView, c: CompletePilot) -> list[Event]:
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


CONCEPT = Concept(
    "plan and pilot",
    commands={
        ProposePlan: decides(propose_plan, Phase.TEAM),
        AnswerPlan: decides(answer_plan, Phase.TEAM),
        StartPilot: decides(start_pilot, Phase.TEAM),
        AdjustPlan: decides(adjust_plan, Phase.PILOT),
        RecordCheckIn: decides(record_check_in, Phase.PILOT),
        CompletePilot: decides(complete_pilot, Phase.PILOT),
    },
    events={
        PlanProposed: lambda s, e: {"proposed_plan": e.plan, "plan_accepted": False},
        PlanAcceptedByCitizen: lambda s, e: {"plan_accepted": True},
        PlanChangesRequested: lambda s, e: {"plan_change_requests": (*s.plan_change_requests, e.comment)},
        PilotStarted: lambda s, e: enter(Phase.PILOT, e.occurred_at, plan=e.plan),
        PlanAdjusted: lambda s, e: {"plan": e.plan, "plan_adjustments": s.plan_adjustments + 1},
        PilotCheckInDue: lambda s, e: {"check_ins": e.number},
        PilotCompleted: lambda s, e: enter(Phase.EVALUATION, e.occurred_at, pilot_result=e),
    },
)
