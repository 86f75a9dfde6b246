"""The measuring instruments of an evaluation, and how each is scored.

Pure functions over the answers a caseworker records with the citizen: no
I/O, no clock. Every invalid answer is a DomainError that names the item
(``field="wemwbs.items[3]"`` is the fourth item of the WEMWBS form), so the
caseworker can correct exactly that answer.

Instruments
-----------
WEMWBS, the Warwick-Edinburgh Mental Wellbeing Scale, Danish version
    14 positively worded items about the last two weeks, each answered
    1 ("none of the time") to 5 ("all of the time"); the score is the sum,
    14-70, higher is better. No item is reverse scored.
    Sources: Tennant R, Hiller L, Fishwick R, et al. The Warwick-Edinburgh
    Mental Well-being Scale (WEMWBS): development and UK validation. Health and
    Quality of Life Outcomes 2007;5:63. Danish version: Koushede V, Lasgaard M,
    Hinrichsen C, et al. Measuring mental well-being in Denmark: validation of
    the original and short version of WEMWBS and cross-cultural comparison
    across four European settings. Psychiatry Research 2019;271:502-509.
    A change of 3 points or more is taken as meaningful for one person
    (Maheswaran H, et al. Health and Quality of Life Outcomes 2012;10:156).
    WEMWBS is copyrighted (NHS Health Scotland, University of Warwick and
    University of Edinburgh) and free for non-commercial use after
    registration; samskab stores answers by item number only and never embeds
    the item wording, which the municipality uses from its licensed form.

SB-6, "Selvbestemmelse i hverdagen" (samskab's own short scale)
    Six statements the citizen answers 1 ("passer slet ikke") to 5 ("passer
    helt"); the score is the sum, 6-30, higher is more self-determination.
    It is not a validated instrument: it puts into words what seed 000 and the
    2012 evaluation of BPA name as the aim (self-determination, choice,
    knowing who comes when) and what the autonomy need of self-determination
    theory describes (Deci EL, Ryan RM. Self-determination theory. In: Handbook
    of Theories of Social Psychology, 2012). The wording is below, in Danish,
    as the citizen reads it.

FFB "Funktionsevneniveau" (KL, Fælles Faglige Begreber)
    The function level of each assessed condition before (the assessment, or
    a re-assessment in the baseline) and after the pilot, coded from KL's list;
    severity 0 (ingen nedsat funktionsevne) to 4 (fuldstændig nedsat).

Goal attainment (after FFB "Måltype" and the action plan, SEL § 141)
    Each goal of the action plan is reached (1 point), partly reached (0.5) or
    not reached (0), with its FFB goal type: for "Fastholde funktionsevne" and
    "Begrænse tab af funktionsevne", reached means held, not improved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain import terminology
from domain.case.assessment import Coded
from domain.errors import DomainError, require
from domain.messages import MAX_ITEMS


class Respondent(StrEnum):
    """Who answered: the citizen, someone answering on their behalf, or a professional."""

    CITIZEN = "citizen"
    PROXY = "proxy"
    PROFESSIONAL = "professional"


class InstrumentAnswers(BaseModel):
    """One completed form, as the caseworker records it. The items are checked
    by the instrument (not here), so an error names the item at fault."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=32)
    respondent: Respondent
    answered_on: date
    items: list[int | None] = Field(
        max_length=MAX_ITEMS, description="Answers in item order, item 1 first; null for an unanswered item"
    )


class InstrumentScore(BaseModel):
    """A scored form, as the event log keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    name: str
    version: str
    respondent: Respondent
    answered_on: date
    items: tuple[int, ...]
    score: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Instrument:
    """An instrument's definition: what is asked, how it is answered, how it is scored."""

    key: str
    name: str
    version: str
    item_count: int
    lowest: int
    highest: int
    respondents: frozenset[Respondent]
    source: str
    item_texts: tuple[str, ...] = ()  # only for samskab's own scale; licensed forms are referenced by number

    @property
    def minimum(self) -> int:
        return self.item_count * self.lowest

    @property
    def maximum(self) -> int:
        return self.item_count * self.highest

    def score(self, answers: InstrumentAnswers, *, field: str) -> InstrumentScore:
        """The sum of the items, after every item is checked; the error names the first bad item."""
        what = f"{self.name} {self.version}"
        require(
            answers.respondent in self.respondents,
            f"{what} is answered by {' or '.join(sorted(r.value for r in self.respondents))}, "
            f"not by a {answers.respondent.value}",
            rule="instrument.respondent_not_allowed",
            field=f"{field}.respondent",
        )
        items = answers.items
        scored: list[int] = []  # the answers, each checked present and in range
        for i in range(self.item_count):
            value = items[i] if i < len(items) else None
            require(
                value is not None,
                f"item {i + 1} of {what} is not answered; all {self.item_count} items are needed "
                f"for a score, each {self.lowest}-{self.highest}",
                rule="instrument.missing_item",
                field=f"{field}.items[{i}]",
            )
            assert value is not None  # refused above when missing
            require(
                self.lowest <= value <= self.highest,
                f"item {i + 1} of {what} is {value}; answers run from {self.lowest} to {self.highest}",
                rule="instrument.item_out_of_range",
                field=f"{field}.items[{i}]",
            )
            scored.append(value)
        require(
            len(items) == self.item_count,
            f"{what} has {self.item_count} items; {len(items)} answers were given",
            rule="instrument.too_many_items",
            field=f"{field}.items[{self.item_count}]",
        )
        return InstrumentScore(
            instrument=self.key,
            name=self.name,
            version=self.version,
            respondent=answers.respondent,
            answered_on=answers.answered_on,
            items=tuple(scored),
            score=sum(scored),
            minimum=self.minimum,
            maximum=self.maximum,
        )


WEMWBS = Instrument(
    key="wemwbs",
    name="WEMWBS",
    version="1.0-da",
    item_count=14,
    lowest=1,
    highest=5,
    # A self-report scale; a proxy may read it aloud and write down the citizen's answers.
    respondents=frozenset({Respondent.CITIZEN, Respondent.PROXY}),
    source="Tennant et al. 2007 (HQLO 5:63); Danish version: Koushede et al. 2019 (Psychiatry Res 271:502-509)",
)

SELF_DETERMINATION = Instrument(
    key="sb6",
    name="SB-6 Selvbestemmelse i hverdagen",
    version="1.0",
    item_count=6,
    lowest=1,
    highest=5,
    respondents=frozenset({Respondent.CITIZEN, Respondent.PROXY}),
    source="samskab's own short scale (not validated); after seed 000, the 2012 BPA evaluation and SDT's autonomy need",
    item_texts=(
        "Jeg bestemmer selv, hvordan min dag skal se ud.",
        "Jeg bestemmer selv, hvem der hjælper mig.",
        "Jeg ved, hvem der kommer, og hvornår.",
        "Jeg kan vælge mellem flere muligheder, når der skal besluttes noget om mit liv.",
        "Jeg bliver hørt, når der træffes beslutninger om mig.",
        "Jeg kan gøre de ting, der er vigtige for mig.",
    ),
)

#: Every version samskab can score, per instrument key.
INSTRUMENTS: dict[str, dict[str, Instrument]] = {
    WEMWBS.key: {WEMWBS.version: WEMWBS},
    SELF_DETERMINATION.key: {SELF_DETERMINATION.version: SELF_DETERMINATION},
}

#: A change this large in the WEMWBS total is meaningful for one person (Maheswaran et al. 2012).
WEMWBS_MEANINGFUL_CHANGE = 3


def instrument(key: str, version: str, *, field: str) -> Instrument:
    """The definition of ``key`` in ``version``, or an error that lists the versions we know."""
    versions = INSTRUMENTS[key]
    found = versions.get(version)
    if found is None:
        known = ", ".join(sorted(versions))
        name = next(iter(versions.values())).name
        raise DomainError(
            f"{name} version {version!r} is not one samskab can score; known versions: {known}",
            rule="instrument.unknown_version",
            field=f"{field}.version",
        )
    return found


def score_wemwbs(answers: InstrumentAnswers, *, field: str = "wemwbs") -> InstrumentScore:
    return instrument(WEMWBS.key, answers.version, field=field).score(answers, field=field)


def score_self_determination(answers: InstrumentAnswers, *, field: str = "self_determination") -> InstrumentScore:
    return instrument(SELF_DETERMINATION.key, answers.version, field=field).score(answers, field=field)


# -- FFB function level ------------------------------------------------------

_SEVERITY_BY_DISPLAY = {display: severity for severity, display in terminology.FUNCTION_LEVEL_BY_SEVERITY.items()}


def _coded(concept: terminology.Concept) -> Coded:
    return Coded(code=concept.code, display=concept.display)


class FunctionLevelInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: str = Field(max_length=100, description="FFB tilstande code of an assessed condition")
    level: str = Field(max_length=100, description='FFB "Funktionsevneniveau" code')


class FunctionLevel(BaseModel):
    """One condition's function level at one time; severity 0-4, None when not assessed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: Coded
    level: Coded
    severity: int | None


class FunctionLevelChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    condition: Coded
    before: Coded
    after: Coded
    before_severity: int | None
    after_severity: int | None

    @property
    def improvement(self) -> int | None:
        """Steps of severity gained (positive) or lost (negative); None if either side is not assessed."""
        if self.before_severity is None or self.after_severity is None:
            return None
        return self.before_severity - self.after_severity


def function_level(condition: Coded, level_code: str, *, field: str) -> FunctionLevel:
    concept = terminology.function_levels().check(level_code, field=field)
    return FunctionLevel(condition=condition, level=_coded(concept), severity=_SEVERITY_BY_DISPLAY.get(concept.display))


def function_levels_for(
    assessed: dict[str, Coded], given: list[FunctionLevelInput], *, field: str, every: bool
) -> tuple[FunctionLevel, ...]:
    """Checks function levels against the assessed conditions: each once, each assessed
    condition present when ``every``; returns them in the order given."""
    seen: set[str] = set()
    levels = []
    for i, item in enumerate(given):
        terminology.conditions().check(item.condition, field=f"{field}[{i}].condition")
        require(
            item.condition in assessed,
            "this condition was not assessed in the visitation; a function level follows up an assessed condition",
            rule="evaluation.condition_not_assessed",
            field=f"{field}[{i}].condition",
        )
        require(
            item.condition not in seen,
            f"{assessed[item.condition].display!r} has a function level twice; give it once",
            rule="evaluation.duplicate_condition",
            field=f"{field}[{i}].condition",
        )
        seen.add(item.condition)
        levels.append(function_level(assessed[item.condition], item.level, field=f"{field}[{i}].level"))
    if every:
        missing = [c.display for code, c in assessed.items() if code not in seen]
        require(
            not missing,
            "every assessed condition needs its function level after the pilot; missing: " + ", ".join(missing),
            rule="evaluation.condition_not_followed_up",
            field=field,
        )
    return tuple(levels)


# -- goal attainment ---------------------------------------------------------


class Attainment(StrEnum):
    REACHED = "reached"
    PARTLY = "partly"
    NOT_REACHED = "not_reached"

    @property
    def points(self) -> float:
        return {"reached": 1.0, "partly": 0.5, "not_reached": 0.0}[self.value]


class GoalAttainmentInput(BaseModel):
    """One action-plan goal, in the plan's order: how far it was reached, and its FFB goal type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attainment: Attainment
    goal_type: str | None = Field(
        default=None,
        max_length=100,
        description='FFB "Måltype" code; empty: the type of the citizen\'s goal the plan goal serves',
    )


class GoalResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goal_number: int = Field(ge=1, description="The goal's place in the action plan, 1 first")
    goal_type: Coded
    attainment: Attainment

    @property
    def points(self) -> float:
        return self.attainment.points


def goal_attainment(
    plan_goal_types: list[Coded | None], given: list[GoalAttainmentInput], *, field: str = "goals"
) -> tuple[GoalResult, ...]:
    """One result per goal of the action plan, in its order. ``plan_goal_types`` holds,
    per plan goal, the FFB goal type of the citizen's goal it serves (None if unknown)."""
    plan_goals = len(plan_goal_types)
    require(
        len(given) >= plan_goals,
        f"the action plan has {plan_goals} goal(s); goal {len(given) + 1} has no attainment",
        rule="evaluation.goal_missing",
        field=f"{field}[{len(given)}]",
    )
    require(
        len(given) == plan_goals,
        f"the action plan has {plan_goals} goal(s); {len(given)} were evaluated",
        rule="evaluation.too_many_goals",
        field=f"{field}[{plan_goals}]",
    )
    results = []
    for i, item in enumerate(given):
        goal_type: Coded | None
        if item.goal_type is not None:
            goal_type = _coded(terminology.goal_types().check(item.goal_type, field=f"{field}[{i}].goal_type"))
        else:
            goal_type = plan_goal_types[i]
            require(
                goal_type is not None,
                f'goal {i + 1} needs its FFB "Måltype": it serves none of the citizen\'s assessed goals',
                rule="evaluation.goal_type_missing",
                field=f"{field}[{i}].goal_type",
            )
        assert goal_type is not None  # refused above when missing
        results.append(GoalResult(goal_number=i + 1, goal_type=goal_type, attainment=item.attainment))
    return tuple(results)
