"""Phase 2, visitation: assessment, recommendation, hearing, decision (VUM 2.0).

- The assessment (VUM 2.0, KL's Fælles Faglige Begreber) records for each FFB
  condition the function level (FFB "Funktionsevneniveau", "Ikke vurderet"
  included), the support-need level (FFB "Støttebehovsniveau"), whether the
  citizen experiences limitations (FSIII "Betydning") and the citizen's own
  words verbatim; the target group (FFB "Målgruppe"), the referral source
  (FSIII "Henvendelse/henvisning fra") and the citizen's goals with an FFB
  goal type. Every code is checked against the list it must come from.
- The recommendation (indstilling): the caseworker proposes a decision; a team
  lead who is not the same person approves it or returns it with a comment.
  A caseworker decides only on an approved recommendation; a team lead may
  decide directly when someone else made the assessment (four eyes).
- The decision (afgørelse) grants, partly grants or refuses services from FFB
  "Social indsats", each with its SEL paragraph; written reasons unless granted
  in full (forvaltningslovens § 22), appeal guidance (§ 25), the Danish
  decision letter kept in the event. It waits for partshøring (§ 19, see
  ``domain/case/hearing.py``), refuses SEL §§ 83-86 for a citizen the municipality
  has assessed as covered by ældreloven (``domain/case/elder_act.py``) and follows the citizen's own choice of BPA, cash
  grant or individual budget (``domain/case/personalised.py``).
- The application and its processing deadline (retssikkerhedslovens § 3,
  stk. 2, ``domain/case/deadlines.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from enum import StrEnum
from functools import cache
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.appeal import DecisionReopened, ReopenDecision, reopen_decision
from domain.case.concept import DECIDED, Changes, Concept, decides, enter
from domain.case.deadlines import (
    ApplicationReceived,
    PhaseDeadlines,
    ProcessingDeadlineMissed,
    ReceiveApplication,
    RecordMissedProcessingDeadline,
    check_processing_deadline_missable,
    notice_of_missed_deadline,
)
from domain.case.decision_letter import render_decision_letter
from domain.case.elder_act import ElderActAssessed, ElderActView, check_not_elder_act, covered_by_elder_act
from domain.case.hearing import (
    CaseInformationRecorded,
    CommentRequest,
    CommentRequested,
    CommentSubmitted,
    Hearing,
    HearingAnswered,
    HearingDeadlinePassed,
    HearingException,
    HearingStarted,
    HearingView,
    InformationConsentGiven,
    InformationItem,
    check_heard,
)
from domain.case.personalised import Arrangement, CitizensChoiceRecorded, arrangement_for
from domain.case.processing_notice import (
    PROCESSING_NOTICE_EVENTS,
    ExpectedDatePassed,
    ProcessingDeadlinePassed,
    ProcessingDelay,
    ProcessingDelayNotified,
    evolve_delay,
)
from domain.case.revisitation import (
    Application,
    ApplicationStatus,
    ApplicationsView,
    ApplicationWithdrawn,
    Revisitation,
    check_no_pending_application,
    pending_application,
)
from domain.errors import DomainError, require
from domain.information import InformationCategory
from domain.legal import APPEAL_GUIDANCE_DA, FVL_22, FVL_24, check_legal_basis
from domain.messages import MAX_ITEMS, Code, Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase


class Coded(BaseModel):
    """A KL code with its Danish display, as the event log keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    display: str


def _coded(concept: terminology.Concept) -> Coded:
    return Coded(code=concept.code, display=concept.display)


@cache
def experiences_limitations() -> terminology.CodeList:
    """FSIII "Betydning": whether the citizen experiences limitations."""
    return terminology.fsiii().code_list("Betydning")


@cache
def referral_sources() -> terminology.CodeList:
    """FSIII "Henvendelse/henvisning fra"."""
    return terminology.fsiii().code_list("Henvendelse/henvisning fra")


@cache
def social_services() -> terminology.CodeList:
    """FFB "Social indsats": the services (Ydelse) and placements (Tilbud) a decision grants."""
    ydelse, tilbud = terminology.services(), terminology.ffb().code_list("Social indsats", "Tilbud")
    return terminology.CodeList(system=terminology.ffb(), path=("Social indsats",), codes=ydelse.codes | tilbud.codes)


# -- the assessment --------------------------------------------------------


class ConditionInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str = Field(
        max_length=100, description="FFB tilstande code: one of the 11 condition areas or a condition under one"
    )
    severity: int | None = Field(default=None, ge=0, le=4, description="0 none to 4 complete; empty: not assessed")
    function_level: str | None = Field(
        default=None, max_length=100, description="FFB Funktionsevneniveau code (instead of severity)"
    )
    support_need: str | None = Field(
        default=None, max_length=100, description="FFB Støttebehovsniveau code; empty: Ikke vurderet"
    )
    experiences_limitations: str | None = Field(
        default=None, max_length=100, description="FSIII Betydning code; empty: not asked"
    )
    citizen_words: str = Field(default="", max_length=4000, description="The citizen's own words, verbatim")


class GoalInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    in_own_words: str = Field(min_length=3, max_length=2000)
    goal_type: str = Field(max_length=100, description="FFB Måltype code")
    primary_condition: str | None = Field(
        default=None,
        max_length=100,
        description='FFB tilstande code of the assessed condition the goal is about ("Aktivitet og deltagelse")',
    )
    secondary_conditions: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Other assessed conditions it touches"
    )
    target_severity: int | None = Field(
        default=None, ge=0, le=4, description="The function level aimed for on the primary condition, 0-4"
    )


class AssessedCondition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: Coded
    severity: int | None
    function_level: Coded
    citizen_words: Annotated[str, Personal]
    area: Coded | None = None  # one of the 11 FFB condition areas
    group: Coded | None = None  # one of the 3 groups
    support_need: Coded | None = None
    experiences_limitations: Coded | None = None


class CitizenGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    in_own_words: Annotated[str, Personal]
    goal_type: Coded
    # The FFB indsatsmål: which condition it is about, and the level aimed for.
    primary_condition: Coded | None = None
    secondary_conditions: tuple[Coded, ...] = ()
    target_function_level: Coded | None = None


class RecordAssessment(Command):
    title = "Record assessment"
    type: Literal["record_assessment"] = "record_assessment"
    label = "Registrér udredning"
    intro = (
        "Udredningen efter VUM 2.0: målgruppe, de tilstande der er vurderet (FFB) med funktionsevne, "
        "støttebehov og borgerens egne ord, og borgerens mål."
    )
    target_group: str = Field(max_length=100, description="FFB Målgruppe code")
    referral_source: str | None = Field(
        default=None, max_length=100, description="FSIII Henvendelse/henvisning fra code"
    )
    conditions: list[ConditionInput] = Field(min_length=1, max_length=MAX_ITEMS)
    goals: list[GoalInput] = Field(min_length=1, max_length=MAX_ITEMS)


class AssessmentRecorded(Event):
    type: Literal["assessment_recorded"] = "assessment_recorded"
    label = "Udredning registreret"
    category = InformationCategory.ASSESSMENT
    target_group: Coded
    conditions: tuple[AssessedCondition, ...]
    goals: tuple[CitizenGoal, ...]
    referral_source: Coded | None = None


_SEVERITY_BY_LEVEL = {display: severity for severity, display in terminology.FUNCTION_LEVEL_BY_SEVERITY.items()}


def _function_level(item: ConditionInput, i: int) -> tuple[int | None, terminology.Concept]:
    field = f"conditions[{i}].function_level"
    if item.function_level is None:
        return item.severity, terminology.function_level_for(item.severity)
    level = terminology.function_levels().check(item.function_level, field=field)
    severity = _SEVERITY_BY_LEVEL.get(level.display)
    require(
        item.severity is None or item.severity == severity,
        f"severity {item.severity} and function level {level.display!r} disagree; give one of them",
        rule="assessment.level_mismatch",
        field=field,
    )
    return severity, level


def _area_and_group(concept: terminology.Concept, field: str) -> tuple[Coded, Coded]:
    """The FFB condition area (one of 11) and group (one of 3) a condition belongs to."""
    ffb = terminology.ffb()
    require(
        concept.depth >= 2,
        f"{concept.display!r} is one of the 3 groups of FFB tilstande; assess one of its condition areas or conditions",
        rule="assessment.group_not_condition",
        field=field,
    )
    group = ffb.find(*concept.path[:2])
    area = concept if concept.depth == 2 else ffb.find(*concept.path[:3])
    return _coded(area), _coded(group)


ACTIVITY_AND_PARTICIPATION = "Aktivitet og deltagelse"


def _goal_condition(code: str, assessed: dict[str, AssessedCondition], field: str) -> Coded:
    """FFB's indsatsmål address conditions under "Aktivitet og deltagelse" that this assessment assessed."""
    condition = assessed.get(code)
    require(
        condition is not None,
        f"code {code!r} is not one of the conditions assessed here; a goal addresses an assessed condition",
        rule="assessment.goal_condition_not_assessed",
        field=field,
    )
    assert condition is not None  # refused above when missing
    group = condition.group.display if condition.group is not None else None
    require(
        group == ACTIVITY_AND_PARTICIPATION,
        f"{condition.condition.display!r} is under {group!r}; "
        f'a goal addresses conditions under "{ACTIVITY_AND_PARTICIPATION}" (FFB indsatsmål)',
        rule="assessment.goal_condition_wrong_group",
        field=field,
    )
    return condition.condition


def _citizen_goal(goal: GoalInput, i: int, assessed: dict[str, AssessedCondition]) -> CitizenGoal:
    where = f"goals[{i}]"
    goal_type = _coded(terminology.goal_types().check(goal.goal_type, field=f"{where}.goal_type"))
    require(
        (goal.primary_condition is None) == (goal.target_severity is None),
        "a goal's primary condition and its target level come together: give both or neither",
        rule="assessment.goal_target_incomplete",
        field=f"{where}.target_severity" if goal.primary_condition else f"{where}.primary_condition",
    )
    require(
        goal.primary_condition is not None or not goal.secondary_conditions,
        "secondary conditions need a primary condition",
        rule="assessment.goal_secondary_without_primary",
        field=f"{where}.primary_condition",
    )
    if goal.primary_condition is None:
        return CitizenGoal(in_own_words=goal.in_own_words, goal_type=goal_type)
    primary = _goal_condition(goal.primary_condition, assessed, f"{where}.primary_condition")
    secondaries = []
    for j, code in enumerate(goal.secondary_conditions):
        field = f"{where}.secondary_conditions[{j}]"
        require(
            code != goal.primary_condition,
            "the primary condition is not also secondary",
            rule="assessment.goal_secondary_is_primary",
            field=field,
        )
        secondaries.append(_goal_condition(code, assessed, field))
    return CitizenGoal(
        in_own_words=goal.in_own_words,
        goal_type=goal_type,
        primary_condition=primary,
        secondary_conditions=tuple(secondaries),
        target_function_level=_coded(terminology.function_level_for(goal.target_severity)),
    )


def assess(command: RecordAssessment) -> AssessmentRecorded:
    """Checks every code against the list it must come from and resolves the levels."""
    target_group = terminology.target_groups().check(command.target_group, field="target_group")
    referral = (
        referral_sources().check(command.referral_source, field="referral_source") if command.referral_source else None
    )
    seen: set[str] = set()
    conditions = []
    for i, item in enumerate(command.conditions):
        field = f"conditions[{i}].condition"
        concept = terminology.conditions().check(item.condition, field=field)
        require(
            concept.code not in seen,
            f"condition {concept.display!r} is assessed twice; assess each condition once",
            rule="assessment.duplicate_condition",
            field=field,
        )
        seen.add(concept.code)
        area, group = _area_and_group(concept, field)
        severity, level = _function_level(item, i)
        support = (
            terminology.support_need_levels().check(item.support_need, field=f"conditions[{i}].support_need")
            if item.support_need
            else terminology.support_need_levels().by_display(terminology.NOT_ASSESSED)
        )
        limitations = (
            experiences_limitations().check(
                item.experiences_limitations, field=f"conditions[{i}].experiences_limitations"
            )
            if item.experiences_limitations
            else None
        )
        conditions.append(
            AssessedCondition(
                condition=_coded(concept),
                severity=severity,
                function_level=_coded(level),
                citizen_words=item.citizen_words,
                area=area,
                group=group,
                support_need=_coded(support),
                experiences_limitations=_coded(limitations) if limitations else None,
            )
        )
    assessed = {c.condition.code: c for c in conditions}
    goals = tuple(_citizen_goal(goal, i, assessed) for i, goal in enumerate(command.goals))
    return AssessmentRecorded(
        occurred_at=command.now,
        actor=command.actor,
        target_group=_coded(target_group),
        referral_source=_coded(referral) if referral else None,
        conditions=tuple(conditions),
        goals=goals,
    )


# -- services, recommendation and decision ---------------------------------


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"


class ServiceInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = Field(max_length=100, description="FFB Social indsats code (Ydelse or Tilbud)")
    legal_basis: str = Field(max_length=100, description='e.g. "SEL § 85"')
    hours_per_week: float | None = Field(default=None, gt=0, le=168)
    budget_dkk_per_year: int | None = Field(default=None, gt=0, description="An individual budget instead of hours")


class GrantedService(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Coded
    legal_basis: str
    hours_per_week: float | None = None
    arrangement: Arrangement | None = None


class RecommendDecision(Command):
    """The caseworker's indstilling: the decision they propose, for a team lead to approve."""

    title = "Recommend decision"
    type: Literal["recommend_decision"] = "recommend_decision"
    label = "Indstil afgørelse"
    intro = "Din indstilling til afgørelse. En teamleder godkender den eller sender den retur."
    outcome: Outcome
    services: list[ServiceInput] = Field(default_factory=list, max_length=MAX_ITEMS)
    reasons: str = Field(default="", max_length=8000)
    rests_on: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="The legal rules a refusal rests on (FVL § 24)"
    )


class RecommendationMade(Event):
    type: Literal["recommendation_made"] = "recommendation_made"
    label = "Indstilling givet"
    number: int
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: Annotated[str, Personal]


class ReviewRecommendation(Command):
    title = "Review recommendation"
    type: Literal["review_recommendation"] = "review_recommendation"
    label = "Godkend eller returnér indstilling"
    intro = "Læs udredningen og indstillingen, og godkend eller returnér med en kommentar."
    roles = frozenset({Role.TEAM_LEAD})
    role_reason = "a recommendation is approved or returned by a team lead (four eyes)"
    approve: bool
    comment: str = Field(default="", max_length=4000)


class RecommendationApproved(Event):
    type: Literal["recommendation_approved"] = "recommendation_approved"
    label = "Indstilling godkendt"
    number: int
    comment: Annotated[str, Personal]


class RecommendationReturned(Event):
    type: Literal["recommendation_returned"] = "recommendation_returned"
    label = "Indstilling returneret"
    number: int
    comment: Annotated[str, Personal]


class MakeDecision(Command):
    title = "Make decision"
    type: Literal["make_decision"] = "make_decision"
    label = "Træf afgørelse"
    intro = "Afgørelsen sendes til borgeren som brev med begrundelse og klagevejledning."
    outcome: Outcome
    services: list[ServiceInput] = Field(default_factory=list, max_length=MAX_ITEMS)
    reasons: str = Field(default="", max_length=8000, description="Written reasons (FVL § 22)")
    rests_on: list[Code] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description='The legal rules a refusal rests on, e.g. ["SEL § 96"] (FVL § 24, stk. 1)',
    )
    hearing_exception: HearingException | None = Field(
        default=None, description="Why no hearing was held, where FVL § 19, stk. 2 applies"
    )


class DecisionMade(Event):
    type: Literal["decision_made"] = "decision_made"
    label = "Afgørelse truffet"
    category = InformationCategory.DECISION
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: Annotated[str, Personal]
    appeal_guidance: str
    letter: Annotated[str, Personal] = Field(
        default="", description="The decision letter as sent to the citizen (Danish)"
    )
    number: int = Field(default=1, description="1 for the first decision, 2 for one after reconsideration, ...")
    rests_on: tuple[str, ...] = ()
    hearing_exception: HearingException | None = None

    def legal_basis(self) -> str | None:
        return ", ".join(sorted({s.legal_basis for s in self.services} | set(self.rests_on))) or None


DECIDING_ROLES = (Role.CASEWORKER, Role.TEAM_LEAD)


class VisitationView(HearingView, ElderActView, ApplicationsView, Protocol):
    """What the visitation's rules read: its own record, the assessment and decision, the
    revisitation under way, and what the hearing, ældreloven and the applications read."""

    @property
    def phase(self) -> Phase: ...
    @property
    def assessment(self) -> AssessmentRecorded | None: ...
    @property
    def decision(self) -> DecisionMade | None: ...
    @property
    def revisitation(self) -> Revisitation | None: ...
    @property
    def visitation(self) -> VisitationRecord: ...


def _check_rests_on(outcome: Outcome, rests_on: list[str]) -> tuple[str, ...]:
    """FVL § 24, stk. 1: the reasons of a refusal name the rules it rests on."""
    bases = tuple(dict.fromkeys(check_legal_basis(b, field=f"rests_on[{i}]") for i, b in enumerate(rests_on)))
    require(
        outcome is not Outcome.REFUSED or bool(bases),
        f'et afslag skal henvise til de retsregler, det bygger på ({FVL_24}); angiv dem i rests_on, fx "SEL § 85"',
        rule="decision.rules_not_named",
        field="rests_on",
    )
    return bases


def _check_against_application(state: VisitationView, outcome: Outcome, services: tuple[GrantedService, ...]) -> None:
    """FVL § 22: what is granted is compared with what was applied for; anything less is
    not full success and needs reasons (so it cannot be called 'granted')."""
    application = state.visitation.application
    if application is None or outcome is not Outcome.GRANTED:
        return
    granted_bases = {s.legal_basis for s in services}
    missing = [b for b in application.applied_for if b not in granted_bases]
    fewer = []
    for basis, applied in application.applied_hours.items():
        hours = sum(s.hours_per_week or 0 for s in services if s.legal_basis == basis)
        if basis in granted_bases and hours < applied:
            fewer.append(f"{basis}: {hours:g} af {applied:g} timer om ugen")
    require(
        not missing and not fewer,
        "der bevilges mindre end ansøgt ("
        + "; ".join([*(f"{b} er ikke bevilget" for b in missing), *fewer])
        + f"). Det er ikke fuldt medhold: afgørelsen er delvis og skal begrundes ({FVL_22})",
        rule="decision.less_than_applied_for",
        field="outcome",
    )


def _check_outcome(outcome: Outcome, services: list[ServiceInput], reasons: str) -> None:
    if outcome is Outcome.REFUSED:
        require(
            not services,
            "a refusal grants no services; remove them or choose 'partly_granted'",
            rule="decision.refusal_with_services",
            field="services",
        )
    else:
        require(
            bool(services),
            f"a decision that is {outcome.value} must name at least one service (FFB Social indsats)",
            rule="decision.no_services",
            field="services",
        )
    require(
        outcome is Outcome.GRANTED or bool(reasons.strip()),
        "written reasons are required unless the application is granted in full (forvaltningsloven § 22)",
        rule="decision.reasons_required",
        field="reasons",
    )


def _granted_services(
    state: VisitationView | None, services: list[ServiceInput], at: datetime
) -> tuple[GrantedService, ...]:
    choice = state.visitation.choice if state is not None else None
    granted = []
    for i, item in enumerate(services):
        field = f"services[{i}]"
        service = social_services().check(item.service, field=f"{field}.service")
        check_not_elder_act(state, item.legal_basis, at.date(), field=f"{field}.legal_basis")
        basis = check_legal_basis(item.legal_basis, field=f"{field}.legal_basis")
        arrangement = (
            arrangement_for(choice, basis, item.hours_per_week, item.budget_dkk_per_year, field=f"{field}.legal_basis")
            if state is not None
            else None
        )
        granted.append(
            GrantedService(
                service=_coded(service), legal_basis=basis, hours_per_week=item.hours_per_week, arrangement=arrangement
            )
        )
    return tuple(granted)


def _same_services(a: tuple[GrantedService, ...], b: tuple[GrantedService, ...]) -> bool:
    key = lambda s: (s.service.code, s.legal_basis, s.hours_per_week)  # noqa: E731
    return sorted(map(key, a)) == sorted(map(key, b))


def recommend(state: VisitationView, c: RecommendDecision) -> list[Event]:
    require(
        state.assessment is not None,
        "a recommendation needs a recorded needs assessment first (VUM 2.0)",
        rule="decision.needs_assessment",
    )
    pending = state.visitation.recommendation
    require(
        pending is None or pending.status is not RecommendationStatus.PENDING,
        f"recommendation {pending.number if pending else ''} awaits the team lead's review",
        rule="recommendation.pending",
    )
    _check_outcome(c.outcome, c.services, c.reasons)
    _check_rests_on(c.outcome, c.rests_on)
    services = _granted_services(state, c.services, c.now)
    _check_against_application(state, c.outcome, services)
    return [
        RecommendationMade(
            occurred_at=c.now,
            actor=c.actor,
            number=state.visitation.recommendations_made + 1,
            outcome=c.outcome,
            services=services,
            reasons=c.reasons.strip(),
        )
    ]


def review(state: VisitationView, c: ReviewRecommendation) -> list[Event]:
    pending = state.visitation.recommendation
    require(
        pending is not None and pending.status is RecommendationStatus.PENDING,
        "there is no recommendation awaiting review",
        rule="recommendation.none_pending",
    )
    assert pending is not None  # refused above when missing
    require(
        c.actor.id != pending.by,
        f"{c.actor.id} made this recommendation; another person approves it (four eyes)",
        rule="recommendation.same_person",
        field="actor.id",
    )
    if c.approve:
        return [
            RecommendationApproved(occurred_at=c.now, actor=c.actor, number=pending.number, comment=c.comment.strip())
        ]
    require(
        bool(c.comment.strip()),
        "say why the recommendation is returned, so the caseworker can change it",
        rule="recommendation.return_needs_comment",
        field="comment",
    )
    return [RecommendationReturned(occurred_at=c.now, actor=c.actor, number=pending.number, comment=c.comment.strip())]


def make_decision(state: VisitationView, c: MakeDecision) -> list[Event]:
    record = state.visitation
    require(
        state.phase is Phase.VISITATION or record.reopened_by is not None,
        "a decision is made once; a new decision follows only when reconsideration of an appeal changes it "
        "(retssikkerhedslovens § 66)",
        rule="decision.already_made",
    )
    require(
        state.assessment is not None,
        "a decision needs a recorded needs assessment first (VUM 2.0)",
        rule="decision.needs_assessment",
    )
    assert state.assessment is not None  # refused above when missing
    revisiting = state.revisitation
    require(
        revisiting is None or state.assessment.occurred_at >= revisiting.since,
        f"the need changed on {revisiting.since:%d.%m.%Y}; record a new needs assessment before the new decision"
        if revisiting
        else "",
        rule="revisitation.needs_new_assessment",
    )
    _check_outcome(c.outcome, c.services, c.reasons)
    rests_on = _check_rests_on(c.outcome, c.rests_on)
    check_heard(state, full_grant=c.outcome is Outcome.GRANTED, at=c.now, exception=c.hearing_exception)
    services = _granted_services(state, c.services, c.now)
    _check_against_application(state, c.outcome, services)
    approved = (
        record.recommendation
        if record.recommendation and record.recommendation.status is RecommendationStatus.APPROVED
        else None
    )
    if c.actor.role is Role.CASEWORKER:
        require(
            approved is not None,
            "a caseworker decides on a recommendation a team lead has approved; send a recommendation (indstilling) first",
            rule="decision.needs_approved_recommendation",
        )
    elif approved is None:
        require(
            state.assessment.actor.id != c.actor.id,
            f"{c.actor.id} made the assessment; without an approved recommendation another person decides (four eyes)",
            rule="decision.four_eyes",
            field="actor.id",
        )
    if approved is not None:
        require(
            approved.outcome is c.outcome and _same_services(approved.services, services),
            f"the decision differs from the approved recommendation ({approved.outcome.value}, "
            f"{len(approved.services)} service(s)); send a new recommendation for a different decision",
            rule="decision.differs_from_recommendation",
        )
    number = record.decisions + 1
    decision = DecisionMade(
        occurred_at=c.now,
        actor=c.actor,
        outcome=c.outcome,
        services=services,
        reasons=c.reasons.strip(),
        appeal_guidance=APPEAL_GUIDANCE_DA,
        number=number,
        rests_on=rests_on,
        hearing_exception=c.hearing_exception if c.outcome is not Outcome.GRANTED else None,
    )
    letter = render_decision_letter(state, decision)
    return [decision.model_copy(update={"letter": letter})]


# -- the application (Rsl § 3, stk. 2) -------------------------------------


def receive_application(state: VisitationView, c: ReceiveApplication) -> list[Event]:
    check_no_pending_application(state, c.applied_for)
    # A withdrawn application leaves the citizen's right to apply whole (Rsl § 3, stk. 2): a new one is
    # received as the first was. One that was decided is changed through a reported changed need.
    latest = state.visitation.applications[-1] if state.visitation.applications else None
    require(
        state.visitation.application is None
        or state.revisitation is not None
        or (latest is not None and latest.status is ApplicationStatus.WITHDRAWN),
        "the application is already received and decided; a changed need is reported first (report_changed_need), "
        "and its new application is received in the revisitation",
        rule="application.already_received",
    )
    today = c.now.date()
    received_on = c.received_on or today
    require(
        received_on <= today,
        "an application cannot be received in the future",
        rule="application.future",
        field="received_on",
    )
    bases = tuple(dict.fromkeys(check_legal_basis(b, field=f"applied_for[{i}]") for i, b in enumerate(c.applied_for)))
    routed = tuple(b for b in bases if covered_by_elder_act(state, b, today))
    remaining = tuple(b for b in bases if b not in routed)
    hours = {check_legal_basis(b, field=f"applied_hours[{b!r}]"): h for b, h in c.applied_hours.items()}
    received_at = c.now if c.received_on is None else datetime.combine(received_on, time(0), tzinfo=UTC)
    limit = (c.published or PhaseDeadlines()).processing_deadline(remaining)
    return [
        ApplicationReceived(
            occurred_at=c.now,
            actor=c.actor,
            applied_for=remaining,
            routed_to_elder_act=routed,
            applied_hours={b: h for b, h in hours.items() if b in remaining},
            received_at=received_at,
            due_at=received_at + limit if remaining else None,
        )
    ]


def record_missed_processing_deadline(state: VisitationView, c: RecordMissedProcessingDeadline) -> list[Event]:
    application = state.visitation.application
    due_at = application.due_at if application else None
    check_processing_deadline_missable(
        due_at, pending_application(state) is None, state.visitation.processing_missed is not None, c.now
    )
    assert application is not None and due_at is not None  # check_processing_deadline_missable refused a case without
    require(
        c.expected_by > c.now, "the expected date lies ahead", rule="deadline.expected_in_past", field="expected_by"
    )
    notice = notice_of_missed_deadline(
        state.citizen.name if state.citizen else "borger",
        state.case_id or "",
        application.applied_for,
        due_at.date(),
        c.expected_by.date(),
    )
    return [
        ProcessingDeadlineMissed(
            occurred_at=c.now, actor=c.actor, due_at=due_at, expected_by=c.expected_by, notice=notice
        )
    ]


# -- what the case keeps of visitation --------------------------------------


class RecommendationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class Recommendation(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    by: str
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: str
    status: RecommendationStatus = RecommendationStatus.PENDING
    comment: str = ""


class VisitationRecord(BaseModel):
    """The visitation's own facts, beside the assessment and decision the case already holds."""

    model_config = ConfigDict(frozen=True)

    application: ApplicationReceived | None = None
    processing_missed: ProcessingDeadlineMissed | None = None
    consents: tuple[InformationConsentGiven, ...] = ()
    information: tuple[InformationItem, ...] = ()
    hearing: Hearing | None = None
    hearings_held: int = 0
    hearing_answers: tuple[str, ...] = ()
    choice: CitizensChoiceRecorded | None = None
    recommendation: Recommendation | None = None
    recommendations_made: int = 0
    decisions: int = 0
    #: Every application of the case by number, with its status (domain/case/revisitation.py).
    applications: tuple[Application, ...] = ()
    #: The notices to the citizen about the pending application's deadline (domain/case/processing_notice.py).
    delay: ProcessingDelay = Field(default_factory=ProcessingDelay)
    reopened_by: str | None = None  # the appeal whose reconsideration changed the decision
    elder_act: ElderActAssessed | None = None  # the municipality's assessment under ældrelovens § 2, stk. 3
    assessment_heard: bool = False  # the citizen has had the chance to comment on the current VUM assessment
    comment_request: CommentRequest | None = None  # FVL § 21


VISITATION_EVENTS: tuple[type[Event], ...] = (
    ApplicationReceived,
    ProcessingDeadlineMissed,
    InformationConsentGiven,
    CaseInformationRecorded,
    HearingStarted,
    HearingAnswered,
    HearingDeadlinePassed,
    CitizensChoiceRecorded,
    RecommendationMade,
    RecommendationApproved,
    RecommendationReturned,
    DecisionMade,
    DecisionReopened,
    ElderActAssessed,
    AssessmentRecorded,
    CommentRequested,
    CommentSubmitted,
    ApplicationWithdrawn,
    *PROCESSING_NOTICE_EVENTS,
)


def _mark_heard(record: VisitationRecord, numbers: tuple[int, ...]) -> tuple[InformationItem, ...]:
    return tuple(i.model_copy(update={"heard": True}) if i.number in numbers else i for i in record.information)


def _settle(
    applications: tuple[Application, ...], number: int | None, status: ApplicationStatus, decision: int | None = None
):
    return tuple(
        a.model_copy(update={"status": status, "decision": decision})
        if a.number == number and a.status is ApplicationStatus.PENDING
        else a
        for a in applications
    )


def evolve_visitation(record: VisitationRecord, event: Event) -> VisitationRecord:
    """Folds a visitation event into the record; total, no checks."""
    update: dict = {}
    match event:
        case ApplicationReceived():
            entry = Application(
                number=len(record.applications) + 1,
                applied_for=event.applied_for,
                received_at=event.received_at,
                due_at=event.due_at,
            )
            update = {
                "application": event,
                "applications": (*record.applications, entry),
                "processing_missed": None,
                "delay": ProcessingDelay(),
            }
        case ApplicationWithdrawn():
            update = {
                "applications": _settle(record.applications, event.number, ApplicationStatus.WITHDRAWN),
                "delay": ProcessingDelay(),
            }
        case ProcessingDelayNotified() | ProcessingDeadlinePassed() | ExpectedDatePassed():
            update = {"delay": evolve_delay(record.delay, event)}
        case ProcessingDeadlineMissed():
            update = {"processing_missed": event}
        case InformationConsentGiven():
            update = {"consents": (*record.consents, event)}
        case CaseInformationRecorded():
            item = InformationItem(number=event.number, source=event.source, summary=event.summary, from_citizen=event.from_citizen,
                                   route=event.route, adverse=event.adverse)  # fmt: skip
            update = {"information": (*record.information, item)}
        case HearingStarted():
            hearing: Hearing | None = Hearing(
                number=event.number, information=event.information, due_at=event.due_at, assessment=event.assessment
            )
            update = {"hearing": hearing, "hearings_held": record.hearings_held + 1}
        case HearingAnswered():
            hearing = record.hearing.model_copy(update={"answer": event.answer}) if record.hearing else None
            update = {
                "hearing": hearing,
                "hearing_answers": (*record.hearing_answers, event.answer),
                "information": _mark_heard(record, hearing.information if hearing else ()),
                "assessment_heard": record.assessment_heard or (hearing is not None and hearing.assessment),
            }
        case HearingDeadlinePassed():
            hearing = record.hearing.model_copy(update={"deadline_passed": True}) if record.hearing else None
            update = {
                "hearing": hearing,
                "information": _mark_heard(record, hearing.information if hearing else ()),
                "assessment_heard": record.assessment_heard or (hearing is not None and hearing.assessment),
            }
        case CitizensChoiceRecorded():
            update = {"choice": event}
        case RecommendationMade():
            recommendation = Recommendation(
                number=event.number,
                by=event.actor.id,
                outcome=event.outcome,
                services=event.services,
                reasons=event.reasons,
            )
            update = {"recommendation": recommendation, "recommendations_made": record.recommendations_made + 1}
        case RecommendationApproved() | RecommendationReturned():
            status = (
                RecommendationStatus.APPROVED
                if isinstance(event, RecommendationApproved)
                else RecommendationStatus.RETURNED
            )
            if record.recommendation is not None:
                update = {
                    "recommendation": record.recommendation.model_copy(
                        update={"status": status, "comment": event.comment}
                    )
                }
        case DecisionMade():
            pending = next((a.number for a in record.applications if a.status is ApplicationStatus.PENDING), None)
            update = {
                "decisions": record.decisions + 1,
                "recommendation": None,
                "reopened_by": None,
                "applications": _settle(record.applications, pending, ApplicationStatus.DECIDED, decision=event.number),
                "delay": ProcessingDelay(),  # decided: no notice is due any more
            }
        case DecisionReopened():
            update = {"reopened_by": event.appeal_id}
        case ElderActAssessed():
            update = {"elder_act": event}
        case AssessmentRecorded():
            update = {"assessment_heard": False}  # a new assessment is heard anew
        case CommentRequested():
            update = {"comment_request": CommentRequest(due_at=event.due_at)}
        case CommentSubmitted():
            if record.comment_request is not None:
                update = {"comment_request": record.comment_request.model_copy(update={"comment": event.comment})}
    return record.model_copy(update=update) if update else record


# -- the decider ------------------------------------------------------------------


def _assess(state: VisitationView, c: RecordAssessment) -> list[Event]:
    return [assess(c)]


def _record(state: VisitationView, e: Event) -> Changes:
    """The event kept in the visitation's record."""
    return {"visitation": evolve_visitation(state.visitation, e)}


def _decided(state: VisitationView, e: DecisionMade) -> Changes:
    record = _record(state, e)
    if state.revisitation is not None:
        # the revisitation's decision: the help goes on under it where it was
        return enter(state.revisitation.from_phase, e.occurred_at, decision=e, revisitation=None, **record)
    if e.outcome is not Outcome.REFUSED and state.phase in DECIDED:
        # a decision changed on reconsideration: the team and pilot go on under it
        return {"decision": e, **record}
    return enter(Phase.REFUSED if e.outcome is Outcome.REFUSED else Phase.TEAM, e.occurred_at, decision=e, **record)


def _reopened(state: VisitationView, e: DecisionReopened) -> Changes:
    record = _record(state, e)
    if state.phase is Phase.CLOSED:
        # a closed case reopened by an appeal goes back to visitation for the new decision
        return enter(Phase.VISITATION, e.occurred_at, closed_reason=None, **record)
    return record


#: After a decision its appeal runs alongside; a reconsideration that changes the decision
#: reopens it for a new one (domain/appeal.py), whatever the phase, closed too (Rsl §§ 66-68).
AFTER_DECISION = frozenset({*DECIDED, Phase.REFUSED})

CONCEPT = Concept(
    "visitation",
    commands={
        ReceiveApplication: decides(receive_application, Phase.NEED, Phase.VISITATION),
        RecordAssessment: decides(_assess, Phase.VISITATION),
        RecommendDecision: decides(recommend, Phase.VISITATION),
        ReviewRecommendation: decides(review, Phase.VISITATION),
        MakeDecision: decides(make_decision, Phase.VISITATION, AFTER_DECISION),
        ReopenDecision: decides(reopen_decision, Phase.CLOSED, AFTER_DECISION),
        RecordMissedProcessingDeadline: decides(record_missed_processing_deadline, Phase.VISITATION),
    },
    events={
        ApplicationReceived: _record,
        ProcessingDeadlineMissed: _record,
        AssessmentRecorded: lambda s, e: {"assessment": e, **_record(s, e)},
        RecommendationMade: _record,
        RecommendationApproved: _record,
        RecommendationReturned: _record,
        DecisionMade: _decided,
        DecisionReopened: _reopened,
    },
    # what the other concepts of the visitation keep in its record
    reacts_to=dict.fromkeys(
        (
            InformationConsentGiven,
            CaseInformationRecorded,
            HearingStarted,
            HearingAnswered,
            HearingDeadlinePassed,
            CommentRequested,
            CommentSubmitted,
            CitizensChoiceRecorded,
            ElderActAssessed,
            ApplicationWithdrawn,
            *PROCESSING_NOTICE_EVENTS,
        ),
        _record,
    ),
)


__all__ = [
    "AssessmentRecorded",
    "Coded",
    "DecisionMade",
    "DomainError",
    "MakeDecision",
    "Outcome",
    "RecordAssessment",
    "VisitationRecord",
    "evolve_visitation",
]
