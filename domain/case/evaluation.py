"""Phase 5, evaluation: what the pilot achieved, measured, not just told.

Two measurements with the citizen:

- the **baseline** (``RecordBaseline``), in the pilot phase right after the
  pilot starts: WEMWBS and the SB-6 self-determination scale as the citizen
  answers them, the services' hours and cost per week before, and, where the
  team re-assesses, the FFB function levels as the pilot begins (otherwise the
  visitation's assessment is the baseline);
- the **evaluation** (``RecordEvaluation``), when the pilot has ended: the same
  two instruments again, the function level of every assessed condition, the
  attainment of every action-plan goal with its FFB goal type, the services
  after, the citizen's participation and consent, ratings by the citizen and
  relatives, the citizen's own statement verbatim, and the decision that
  follows (FFB "Status på indsats", plus keep, adjust, scale or stop the pilot)
  with reasons.

From these the four value domains of seed 000 are scored (domain/value_domains.py;
the instruments and their sources are in domain/instruments.py). An evaluation
without a baseline is allowed (a pilot may end before one was taken), but
then no change in WEMWBS, SB-6 or productivity is claimed.

The placeholder evaluation of schema version 1 (1-5 scores typed in by hand)
is still read from old logs as ``LegacyEvaluationRecorded``; it is never written.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.case.assessment import AssessmentRecorded, Coded
from domain.case.concept import Concept, decides
from domain.case.decision import DecisionMade
from domain.case.pilot import ActionPlan
from domain.errors import require
from domain.information import InformationCategory
from domain.instruments import (
    Attainment,
    FunctionLevel,
    FunctionLevelChange,
    FunctionLevelInput,
    GoalAttainmentInput,
    GoalResult,
    InstrumentAnswers,
    InstrumentScore,
    function_levels_for,
    goal_attainment,
    score_self_determination,
    score_wemwbs,
)
from domain.messages import MAX_ITEMS, Command, Event
from domain.personal_data import Personal
from domain.phases import Phase
from domain.value_domains import Participation, Rating, ServiceUse, ValueDomains, value_domains

__all__ = ["Attainment", "FunctionLevelInput", "GoalAttainmentInput", "InstrumentAnswers"]


# -- the baseline ------------------------------------------------------------


class RecordBaseline(Command):
    title = "Record baseline"
    type: Literal["record_baseline"] = "record_baseline"
    label = "Registrér udgangspunkt (baseline)"
    intro = "Udgangspunktet måles med borgeren, når piloten starter: WEMWBS og SB-6 spørgsmål for spørgsmål."
    wemwbs: InstrumentAnswers
    self_determination: InstrumentAnswers
    services: ServiceUse = Field(description="The citizen's services per week before the pilot")
    function_levels: list[FunctionLevelInput] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Re-assessed function levels; an assessed condition left out keeps the assessment's",
    )


class BaselineRecorded(Event):
    type: Literal["baseline_recorded"] = "baseline_recorded"
    label = "Udgangspunkt målt (baseline)"
    wemwbs: InstrumentScore
    self_determination: InstrumentScore
    services: ServiceUse
    function_levels: tuple[FunctionLevel, ...]


def _assessed(assessment: AssessmentRecorded | None) -> dict[str, Coded]:
    return {c.condition.code: c.condition for c in assessment.conditions} if assessment else {}


def _assessed_levels(assessment: AssessmentRecorded | None) -> dict[str, FunctionLevel]:
    if assessment is None:
        return {}
    return {
        c.condition.code: FunctionLevel(condition=c.condition, level=c.function_level, severity=c.severity)
        for c in assessment.conditions
    }


def record_baseline(c: RecordBaseline, assessment: AssessmentRecorded | None) -> BaselineRecorded:
    wemwbs = score_wemwbs(c.wemwbs)
    self_determination = score_self_determination(c.self_determination)
    levels = _assessed_levels(assessment)
    for level in function_levels_for(_assessed(assessment), c.function_levels, field="function_levels", every=False):
        levels[level.condition.code] = level
    return BaselineRecorded(
        occurred_at=c.now,
        actor=c.actor,
        wemwbs=wemwbs,
        self_determination=self_determination,
        services=c.services,
        function_levels=tuple(levels.values()),
    )


# -- the evaluation ----------------------------------------------------------


class PilotAdvice(StrEnum):
    """What to do with the pilot as a way of working, beside the citizen's own services."""

    KEEP = "keep"  # keep it as it is
    ADJUST = "adjust"
    SCALE = "scale"  # offer it to more citizens
    STOP = "stop"


class FollowUpInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str = Field(max_length=100, description='FFB "Status på indsats" code: continue, end, or end and refer on')
    pilot: PilotAdvice
    reasons: str = Field(min_length=3, max_length=4000)


class FollowUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Coded
    pilot: PilotAdvice
    reasons: Annotated[str, Personal]


class RecordEvaluation(Command):
    title = "Record evaluation"
    type: Literal["record_evaluation"] = "record_evaluation"
    label = "Registrér evaluering"
    intro = "Evalueringen måles med borgeren: WEMWBS og SB-6 igen, funktionsevne, målopfyldelse og opfølgning."
    wemwbs: InstrumentAnswers
    self_determination: InstrumentAnswers
    function_levels: list[FunctionLevelInput] = Field(
        max_length=MAX_ITEMS, description="Every assessed condition's function level now"
    )
    goals: list[GoalAttainmentInput] = Field(
        max_length=MAX_ITEMS, description="One per action-plan goal, in the plan's order"
    )
    services: ServiceUse = Field(description="The citizen's services per week now")
    participation: Participation
    ratings: list[Rating] = Field(default_factory=list, max_length=MAX_ITEMS)
    citizen_statement: str = Field(
        default="", max_length=4000, description="The citizen's own words, verbatim; empty if the citizen chose not to"
    )
    follow_up: FollowUpInput


class EvaluationRecorded(Event):
    type: Literal["evaluation_recorded"] = "evaluation_recorded"
    label = "Evaluering registreret"
    category = InformationCategory.EVALUATION
    schema_version: int = 2
    baseline_at: datetime | None
    wemwbs: InstrumentScore
    self_determination: InstrumentScore
    function_levels: tuple[FunctionLevelChange, ...]
    goals: tuple[GoalResult, ...]
    services: ServiceUse
    participation: Participation
    ratings: tuple[Rating, ...]
    citizen_statement: Annotated[str, Personal]
    value_domains: ValueDomains
    follow_up: FollowUp

    @property
    def wemwbs_before(self) -> int | None:
        return self.value_domains.effects_evidence.wemwbs_before

    @property
    def self_determination_before(self) -> int | None:
        return self.value_domains.effects_evidence.self_determination_before


def _check_participation(p: Participation) -> None:
    require(
        p.meetings_with_citizen <= p.meetings_held,
        f"the citizen took part in {p.meetings_with_citizen} meetings, but only {p.meetings_held} were held",
        rule="evaluation.participation_exceeds",
        field="participation.meetings_with_citizen",
    )
    require(
        p.decisions_with_citizen <= p.decisions_taken,
        f"{p.decisions_with_citizen} decisions were taken with the citizen, but only {p.decisions_taken} were taken",
        rule="evaluation.participation_exceeds",
        field="participation.decisions_with_citizen",
    )


def _check_ratings(ratings: list[Rating]) -> None:
    require(
        bool(ratings),
        "give at least one rating of the service, by the citizen or a relative",
        rule="evaluation.no_rating",
        field="ratings",
    )
    for i, r in enumerate(ratings):
        require(
            1 <= r.rating <= 5,
            f"rating {i + 1} is {r.rating}; ratings run from 1 (very poor) to 5 (very good)",
            rule="instrument.item_out_of_range",
            field=f"ratings[{i}].rating",
        )


def _plan_goal_types(plan: ActionPlan | None, assessment: AssessmentRecorded | None) -> list[Coded | None]:
    """Per plan goal, the FFB goal type of the citizen's own goal it serves (its ``linked_goal``)."""
    citizen_goals = assessment.goals if assessment else ()
    types: list[Coded | None] = []
    for goal in plan.goals if plan else ():
        linked = getattr(goal, "linked_goal", None)
        types.append(citizen_goals[linked - 1].goal_type if linked and 0 < linked <= len(citizen_goals) else None)
    return types


def record_evaluation(
    c: RecordEvaluation,
    *,
    assessment: AssessmentRecorded | None,
    plan: ActionPlan | None,
    baseline: BaselineRecorded | None,
) -> EvaluationRecorded:
    """Scores every instrument, checks every answer (naming the item at fault) and the value domains."""
    wemwbs = score_wemwbs(c.wemwbs)
    self_determination = score_self_determination(c.self_determination)
    after = function_levels_for(_assessed(assessment), c.function_levels, field="function_levels", every=True)
    before = (
        {level.condition.code: level for level in baseline.function_levels}
        if baseline
        else _assessed_levels(assessment)
    )
    changes = tuple(
        FunctionLevelChange(
            condition=level.condition,
            before=before[level.condition.code].level,
            after=level.level,
            before_severity=before[level.condition.code].severity,
            after_severity=level.severity,
        )
        for level in after
    )
    goals = goal_attainment(_plan_goal_types(plan, assessment), c.goals)
    _check_participation(c.participation)
    _check_ratings(c.ratings)
    status = terminology.follow_up_decisions().check(c.follow_up.status, field="follow_up.status")
    statement = c.citizen_statement.strip()
    return EvaluationRecorded(
        occurred_at=c.now,
        actor=c.actor,
        baseline_at=baseline.occurred_at if baseline else None,
        wemwbs=wemwbs,
        self_determination=self_determination,
        function_levels=changes,
        goals=goals,
        services=c.services,
        participation=c.participation,
        ratings=tuple(c.ratings),
        citizen_statement=c.citizen_statement,
        value_domains=value_domains(
            services_before=baseline.services if baseline else None,
            services_after=c.services,
            goals=goals,
            function_levels=changes,
            wemwbs_before=baseline.wemwbs if baseline else None,
            wemwbs_after=wemwbs,
            sd_before=baseline.self_determination if baseline else None,
            sd_after=self_determination,
            participation=c.participation,
            statement_given=bool(statement),
            ratings=tuple(c.ratings),
        ),
        follow_up=FollowUp(
            status=Coded(code=status.code, display=status.display),
            pilot=c.follow_up.pilot,
            reasons=c.follow_up.reasons.strip(),
        ),
    )


# -- the pilot type, for learning across cases --------------------------------


def pilot_type(decision: DecisionMade | None) -> str:
    """What kind of pilot a case ran, from its decision: the FFB "Ydelse" main
    group of each granted service (the level right under "Ydelse") with its
    legal basis, e.g. "Socialpædagogisk støtte (SEL § 96)". Codes and statutes
    only: nothing about the person."""
    if decision is None or not decision.services:
        return "ingen ydelse"
    kinds = set()
    for service in decision.services:
        concept = terminology.ffb().get(service.service.code)
        path = concept.path if concept else ()
        group = path[2] if len(path) > 2 else service.service.display
        kinds.add(f"{group} ({service.legal_basis})")
    return " + ".join(sorted(kinds))


# -- old versions, read but never written --------------------------------------


class LegacyEvaluationRecorded(Event):
    """The placeholder evaluation (schema version 1): scores typed in by hand,
    not measured. Kept so old logs still read; the report counts it apart."""

    type: Literal["evaluation_recorded_v1"] = "evaluation_recorded_v1"
    label = "Evaluering registreret (ældre form)"
    value_domains: dict[str, int]
    quality_of_life: dict[str, int]
    self_determination: dict[str, int]
    citizen_statement: Annotated[str, Personal]
    recommendation: str
    reasons: Annotated[str, Personal]


#: Upcasting by type: (type in the log, schema version) -> the model's type.
_UPCAST_TYPES = {("evaluation_recorded", 1): "evaluation_recorded_v1"}


def upcast_type(event_type: str, schema_version: int) -> str:
    """The model type to read a stored event as (old versions have models of their own)."""
    return _UPCAST_TYPES.get((event_type, schema_version), event_type)


# -- the decider ------------------------------------------------------------------


class EvaluationView(Protocol):
    """What the evaluation reads: the assessment (the function levels to measure against),
    the plan (its goals' attainment), the baseline and the evaluation once recorded."""

    @property
    def assessment(self) -> AssessmentRecorded | None: ...
    @property
    def plan(self) -> ActionPlan | None: ...
    @property
    def baseline(self) -> BaselineRecorded | None: ...
    @property
    def evaluation(self) -> EvaluationRecorded | None: ...


def decide_baseline(state: EvaluationView, c: RecordBaseline) -> list[Event]:
    require(
        state.baseline is None,
        "the baseline is already recorded; it is measured once, as the pilot starts",
        rule="evaluation.baseline_already_recorded",
    )
    return [record_baseline(c, state.assessment)]


def decide_evaluation(state: EvaluationView, c: RecordEvaluation) -> list[Event]:
    require(state.evaluation is None, "the evaluation is already recorded", rule="evaluation.already_recorded")
    return [record_evaluation(c, assessment=state.assessment, plan=state.plan, baseline=state.baseline)]


CONCEPT = Concept(
    "evaluation",
    commands={
        RecordBaseline: decides(decide_baseline, Phase.PILOT),
        RecordEvaluation: decides(decide_evaluation, Phase.EVALUATION),
    },
    events={
        BaselineRecorded: lambda s, e: {"baseline": e},
        EvaluationRecorded: lambda s, e: {"evaluation": e},
        LegacyEvaluationRecorded: None,
    },
)
