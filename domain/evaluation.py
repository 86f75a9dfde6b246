"""Phase 5, evaluation: what the pilot achieved in the four value domains
(productivity, effects, democracy, service experience), quality of life and
self-determination before and after, and the citizen's own voice."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import Command, Event


class Recommendation(StrEnum):
    CONTINUE = "continue"
    ADJUST = "adjust"
    SCALE = "scale"
    STOP = "stop"


class ValueDomainScores(BaseModel):
    """Each domain scored 1 (much worse) to 5 (much better) than before the pilot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    productivity: int = Field(ge=1, le=5)
    effects: int = Field(ge=1, le=5)
    democracy: int = Field(ge=1, le=5)
    service_experience: int = Field(ge=1, le=5)


class BeforeAfter(BaseModel):
    """A 0-10 self-rating before the pilot and after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    before: int = Field(ge=0, le=10)
    after: int = Field(ge=0, le=10)

    @property
    def change(self) -> int:
        return self.after - self.before


class RecordEvaluation(Command):
    title = "Record evaluation"
    type: Literal["record_evaluation"] = "record_evaluation"
    value_domains: ValueDomainScores
    quality_of_life: BeforeAfter
    self_determination: BeforeAfter
    citizen_statement: str = Field(min_length=1, max_length=4000, description="The citizen's own words, verbatim")
    recommendation: Recommendation
    reasons: str = Field(min_length=3, max_length=4000)


class EvaluationRecorded(Event):
    type: Literal["evaluation_recorded"] = "evaluation_recorded"
    value_domains: ValueDomainScores
    quality_of_life: BeforeAfter
    self_determination: BeforeAfter
    citizen_statement: str
    recommendation: Recommendation
    reasons: str


class CloseCase(Command):
    title = "Close case"
    type: Literal["close_case"] = "close_case"
    reason: str = Field(min_length=3, max_length=2000)


class CaseClosed(Event):
    type: Literal["case_closed"] = "case_closed"
    reason: str
