"""The four value domains of seed 000, scored from the evidence of one case.

Seed 000 asks that new co-created services raise quality in four value
domains: productivity, effects, democracy and service experience. Each domain
here gets a score from 0 to 100 (higher is better) and keeps the evidence it
rests on, so a reader can check the number. A domain without evidence has no
score (None), never a guessed one.

How each score is computed
--------------------------
A *change score* is ``50 + 50 * r`` where ``r`` is the share of the possible
change that happened, from -1 to 1 (50 means no change):

    improved:  r = (after - before) / (best - before)
    worsened:  r = (after - before) / (before - worst)

so a citizen who starts near the top is not punished for having little room.

productivity
    The resources the citizen's services take per week, before (the baseline)
    and after: service hours, cost in DKK and the caseworker's hours. For each
    resource the saving is ``(before - after) / before`` (clipped to -1..1;
    a resource that was 0 and grew counts as -1). The score is
    ``50 + 50 * mean(savings)``. Without a baseline there is no score.
effects
    The mean of the parts there is evidence for: goal attainment
    (``100 * mean(points)``, reached 1, partly 0.5, not 0); the change score of
    each assessed condition's FFB function level (severity 0-4, lower is
    better), averaged; and the change scores of WEMWBS (14-70) and SB-6
    (6-30) from the baseline.
democracy
    The mean of: the share of the pilot's meetings the citizen took part in,
    the share of its decisions taken with the citizen (each ``100 * share``,
    left out when there were none), whether the citizen made their own
    statement (100 or 0), and whether the citizen's consent was respected
    (100 or 0).
service experience
    Ratings 1-5 by the citizen and by relatives, each mapped to
    ``100 * (rating - 1) / 4``; the citizen's ratings and the relatives'
    ratings are averaged in their group first and the groups weigh equally.
"""

from __future__ import annotations

from enum import StrEnum
from statistics import fmean
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.instruments import FunctionLevelChange, GoalResult, InstrumentScore
from domain.personal_data import Personal

#: Severity on the FFB function-level scale: 0 best, 4 worst.
BEST_SEVERITY, WORST_SEVERITY = 0, 4


class ServiceUse(BaseModel):
    """What the citizen's services take per week (before: at the baseline; after: at the evaluation)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_hours_per_week: float = Field(ge=0, le=168)
    cost_per_week_dkk: float = Field(ge=0, le=1_000_000)
    caseworker_hours_per_week: float = Field(ge=0, le=168)


class Participation(BaseModel):
    """The citizen's part in the pilot, counted by the caseworker from the case's meetings and decisions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meetings_held: int = Field(ge=0, le=1000)
    meetings_with_citizen: int = Field(ge=0, le=1000)
    decisions_taken: int = Field(ge=0, le=1000)
    decisions_with_citizen: int = Field(ge=0, le=1000)
    consent_respected: bool = Field(description="The citizen confirms their consent was respected throughout")


class Rater(StrEnum):
    CITIZEN = "citizen"
    RELATIVE = "relative"


class Rating(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    by: Rater
    rating: int = Field(description="1 (very poor) to 5 (very good)")
    comment: Annotated[str, Personal] = Field(default="", max_length=4000, description="Free text, verbatim")


class DomainScore(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    score: float | None = Field(ge=0, le=100, description="0-100, higher is better; None without evidence")
    parts: dict[str, float] = Field(default_factory=dict, description="The part scores the score is the mean of")


class ProductivityEvidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    before: ServiceUse | None
    after: ServiceUse


class EffectsEvidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    goals_reached: int
    goals_partly: int
    goals_not_reached: int
    function_level_improvement: float | None = Field(description="Mean severity steps gained per assessed condition")
    wemwbs_before: int | None
    wemwbs_after: int
    self_determination_before: int | None
    self_determination_after: int


class DemocracyEvidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    participation: Participation
    citizen_statement_given: bool


class ServiceExperienceEvidence(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    citizen_ratings: tuple[int, ...]
    relative_ratings: tuple[int, ...]


class ValueDomains(BaseModel):
    """The four value domains, each with its score and the evidence it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    productivity: DomainScore
    productivity_evidence: ProductivityEvidence
    effects: DomainScore
    effects_evidence: EffectsEvidence
    democracy: DomainScore
    democracy_evidence: DemocracyEvidence
    service_experience: DomainScore
    service_experience_evidence: ServiceExperienceEvidence

    def scores(self) -> dict[str, float | None]:
        return {name: getattr(self, name).score for name in DOMAINS}


#: The value domains in the seed's order.
DOMAINS = ("productivity", "effects", "democracy", "service_experience")
DOMAIN_LABELS_DA = {
    "productivity": "produktivitet",
    "effects": "effekter",
    "democracy": "demokrati",
    "service_experience": "serviceoplevelse",
}


def share_of_possible_change(before: float, after: float, worst: float, best: float) -> float:
    """r in -1..1: how much of the room for change (toward ``best`` or ``worst``) was used.
    Works for either direction of scale (``best`` below ``worst`` for severity)."""
    if after == before:
        return 0.0
    toward_best = (after - before) * (1 if best > worst else -1) > 0
    room = (best - before) if toward_best else (before - worst)
    if room == 0:
        return 0.0
    return max(-1.0, min(1.0, (after - before) / room))


def change_score(before: float, after: float, worst: float, best: float) -> float:
    return 50 + 50 * share_of_possible_change(before, after, worst, best)


def saving(before: float, after: float) -> float:
    """Share of a resource saved, -1..1 (negative: it grew)."""
    if after == before:
        return 0.0
    if before == 0:
        return -1.0
    return max(-1.0, min(1.0, (before - after) / before))


def _mean_or_none(parts: dict[str, float]) -> float | None:
    return round(fmean(parts.values()), 1) if parts else None


def _score(parts: dict[str, float]) -> DomainScore:
    return DomainScore(score=_mean_or_none(parts), parts={k: round(v, 1) for k, v in parts.items()})


def productivity(before: ServiceUse | None, after: ServiceUse) -> DomainScore:
    if before is None:
        return DomainScore(score=None)
    parts = {
        name: 50 + 50 * saving(getattr(before, name), getattr(after, name))
        for name in ("service_hours_per_week", "cost_per_week_dkk", "caseworker_hours_per_week")
    }
    return _score(parts)


def effects(
    goals: tuple[GoalResult, ...],
    function_levels: tuple[FunctionLevelChange, ...],
    wemwbs_before: InstrumentScore | None,
    wemwbs_after: InstrumentScore,
    sd_before: InstrumentScore | None,
    sd_after: InstrumentScore,
) -> DomainScore:
    parts: dict[str, float] = {}
    if goals:
        parts["goal_attainment"] = 100 * fmean(g.points for g in goals)
    levels = [
        change_score(c.before_severity, c.after_severity, WORST_SEVERITY, BEST_SEVERITY)
        for c in function_levels
        if c.before_severity is not None and c.after_severity is not None  # what improvement needs
    ]
    if levels:
        parts["function_level"] = fmean(levels)
    if wemwbs_before is not None:
        parts["wemwbs"] = change_score(
            wemwbs_before.score, wemwbs_after.score, wemwbs_after.minimum, wemwbs_after.maximum
        )
    if sd_before is not None:
        parts["self_determination"] = change_score(sd_before.score, sd_after.score, sd_after.minimum, sd_after.maximum)
    return _score(parts)


def democracy(participation: Participation, statement_given: bool) -> DomainScore:
    parts: dict[str, float] = {}
    if participation.meetings_held:
        parts["meetings"] = 100 * participation.meetings_with_citizen / participation.meetings_held
    if participation.decisions_taken:
        parts["decisions"] = 100 * participation.decisions_with_citizen / participation.decisions_taken
    parts["own_statement"] = 100.0 if statement_given else 0.0
    parts["consent_respected"] = 100.0 if participation.consent_respected else 0.0
    return _score(parts)


def service_experience(ratings: tuple[Rating, ...]) -> DomainScore:
    parts: dict[str, float] = {}
    for rater in Rater:
        given = [100 * (r.rating - 1) / 4 for r in ratings if r.by is rater]
        if given:
            parts[rater.value] = fmean(given)
    return _score(parts)


def value_domains(
    *,
    services_before: ServiceUse | None,
    services_after: ServiceUse,
    goals: tuple[GoalResult, ...],
    function_levels: tuple[FunctionLevelChange, ...],
    wemwbs_before: InstrumentScore | None,
    wemwbs_after: InstrumentScore,
    sd_before: InstrumentScore | None,
    sd_after: InstrumentScore,
    participation: Participation,
    statement_given: bool,
    ratings: tuple[Rating, ...],
) -> ValueDomains:
    """The four domains from one case's evidence (the formulas are in the module docstring)."""
    return ValueDomains(
        productivity=productivity(services_before, services_after),
        productivity_evidence=ProductivityEvidence(before=services_before, after=services_after),
        effects=effects(goals, function_levels, wemwbs_before, wemwbs_after, sd_before, sd_after),
        effects_evidence=EffectsEvidence(
            goals_reached=sum(g.attainment.value == "reached" for g in goals),
            goals_partly=sum(g.attainment.value == "partly" for g in goals),
            goals_not_reached=sum(g.attainment.value == "not_reached" for g in goals),
            function_level_improvement=(
                round(fmean(imp), 2)
                if (imp := [c.improvement for c in function_levels if c.improvement is not None])
                else None
            ),
            wemwbs_before=wemwbs_before.score if wemwbs_before else None,
            wemwbs_after=wemwbs_after.score,
            self_determination_before=sd_before.score if sd_before else None,
            self_determination_after=sd_after.score,
        ),
        democracy=democracy(participation, statement_given),
        democracy_evidence=DemocracyEvidence(participation=participation, citizen_statement_given=statement_given),
        service_experience=service_experience(ratings),
        service_experience_evidence=ServiceExperienceEvidence(
            citizen_ratings=tuple(r.rating for r in ratings if r.by is Rater.CITIZEN),
            relative_ratings=tuple(r.rating for r in ratings if r.by is Rater.RELATIVE),
        ),
    )
