"""Phase 2, visitation: the needs assessment and the decision (VUM 2.0).

The assessment scores each FFB condition on the 0-4 severity scale that
FFB "Funktionsevneniveau" names, keeps the citizen's own words verbatim and
their goals with an FFB goal type. The decision grants, partly grants or
refuses services from FFB "Ydelse", each with its legal basis.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.errors import DomainError, require
from domain.legal import APPEAL_GUIDANCE_DA, check_legal_basis
from domain.messages import Command, Event, Role


class Coded(BaseModel):
    """A KL code with its Danish display, as the event log keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    display: str


class ConditionInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str = Field(description="FFB tilstande code")
    severity: int | None = Field(default=None, ge=0, le=4, description="0 none to 4 complete; empty: not assessed")
    citizen_words: str = Field(default="", max_length=4000, description="The citizen's own words, verbatim")


class GoalInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    in_own_words: str = Field(min_length=3, max_length=2000)
    goal_type: str = Field(description="FFB Måltype code")


class AssessedCondition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: Coded
    severity: int | None
    function_level: Coded
    citizen_words: str


class CitizenGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    in_own_words: str
    goal_type: Coded


class RecordAssessment(Command):
    title = "Record assessment"
    type: Literal["record_assessment"] = "record_assessment"
    target_group: str = Field(description="FFB Målgruppe code")
    conditions: list[ConditionInput] = Field(min_length=1)
    goals: list[GoalInput] = Field(min_length=1)


class AssessmentRecorded(Event):
    type: Literal["assessment_recorded"] = "assessment_recorded"
    target_group: Coded
    conditions: tuple[AssessedCondition, ...]
    goals: tuple[CitizenGoal, ...]


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"


class ServiceInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: str = Field(description="FFB Ydelse code")
    legal_basis: str = Field(description='e.g. "SEL § 85"')
    hours_per_week: float | None = Field(default=None, gt=0, le=168)


class GrantedService(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: Coded
    legal_basis: str
    hours_per_week: float | None = None


class MakeDecision(Command):
    title = "Make decision"
    type: Literal["make_decision"] = "make_decision"
    outcome: Outcome
    services: list[ServiceInput] = Field(default_factory=list)
    reasons: str = Field(default="", max_length=8000, description="Written reasons (FVL § 22)")


class DecisionMade(Event):
    type: Literal["decision_made"] = "decision_made"
    outcome: Outcome
    services: tuple[GrantedService, ...]
    reasons: str
    appeal_guidance: str

    def legal_basis(self) -> str | None:
        return ", ".join(sorted({s.legal_basis for s in self.services})) or None


def _coded(concept: terminology.Concept) -> Coded:
    return Coded(code=concept.code, display=concept.display)


def assess(command: RecordAssessment) -> AssessmentRecorded:
    """Checks every code against the list it must come from and resolves the function level."""
    target_group = terminology.target_groups().check(command.target_group, field="target_group")
    seen: set[str] = set()
    conditions = []
    for i, item in enumerate(command.conditions):
        concept = terminology.conditions().check(item.condition, field=f"conditions[{i}].condition")
        require(
            concept.code not in seen,
            f"condition {concept.display!r} is assessed twice; assess each condition once",
            rule="assessment.duplicate_condition",
            field=f"conditions[{i}].condition",
        )
        seen.add(concept.code)
        conditions.append(
            AssessedCondition(
                condition=_coded(concept),
                severity=item.severity,
                function_level=_coded(terminology.function_level_for(item.severity)),
                citizen_words=item.citizen_words,
            )
        )
    goals = tuple(
        CitizenGoal(
            in_own_words=goal.in_own_words,
            goal_type=_coded(terminology.goal_types().check(goal.goal_type, field=f"goals[{i}].goal_type")),
        )
        for i, goal in enumerate(command.goals)
    )
    return AssessmentRecorded(
        occurred_at=command.at,
        actor=command.actor,
        target_group=_coded(target_group),
        conditions=tuple(conditions),
        goals=goals,
    )


DECIDING_ROLES = (Role.CASEWORKER, Role.TEAM_LEAD)


def decide_services(command: MakeDecision, *, assessed: bool) -> DecisionMade:
    """A decision rests on an assessment, names its services and legal bases, and
    gives written reasons unless it grants in full (forvaltningsloven § 22)."""
    require(
        assessed,
        "a decision needs a recorded needs assessment first (VUM 2.0)",
        rule="decision.needs_assessment",
    )
    if command.outcome is Outcome.REFUSED:
        require(
            not command.services,
            "a refusal grants no services; remove them or choose 'partly_granted'",
            rule="decision.refusal_with_services",
            field="services",
        )
    else:
        require(
            bool(command.services),
            f"a decision that is {command.outcome.value} must name at least one service (FFB Ydelse)",
            rule="decision.no_services",
            field="services",
        )
    require(
        command.outcome is Outcome.GRANTED or bool(command.reasons.strip()),
        "written reasons are required unless the application is granted in full (forvaltningsloven § 22)",
        rule="decision.reasons_required",
        field="reasons",
    )
    services = []
    for i, item in enumerate(command.services):
        services.append(
            GrantedService(
                service=_coded(terminology.services().check(item.service, field=f"services[{i}].service")),
                legal_basis=check_legal_basis(item.legal_basis, field=f"services[{i}].legal_basis"),
                hours_per_week=item.hours_per_week,
            )
        )
    return DecisionMade(
        occurred_at=command.at,
        actor=command.actor,
        outcome=command.outcome,
        services=tuple(services),
        reasons=command.reasons.strip(),
        appeal_guidance=APPEAL_GUIDANCE_DA,
    )


__all__ = [
    "AssessmentRecorded",
    "Coded",
    "DecisionMade",
    "DomainError",
    "MakeDecision",
    "Outcome",
    "RecordAssessment",
]
