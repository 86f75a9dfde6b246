"""The needs assessment (VUM 2.0, KL's Fælles Faglige Begreber).

For each FFB condition the function level (FFB "Funktionsevneniveau", "Ikke vurderet"
included), the support-need level (FFB "Støttebehovsniveau"), whether the citizen
experiences limitations (FSIII "Betydning") and the citizen's own words verbatim; the
target group (FFB "Målgruppe"), the referral source (FSIII "Henvendelse/henvisning fra")
and the citizen's goals with an FFB goal type. Every code is checked against the list it
must come from.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.case.concept import Concept, decides
from domain.errors import require
from domain.information import InformationCategory
from domain.messages import MAX_ITEMS, Code, Command, Event
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


def _assess(state: object, c: RecordAssessment) -> list[Event]:
    """The assessment reads nothing of the case: every code is checked against its list."""
    return [assess(c)]


CONCEPT = Concept(
    "assessment",
    commands={RecordAssessment: decides(_assess, Phase.VISITATION)},
    events={AssessmentRecorded: lambda s, e: {"assessment": e}},
)
