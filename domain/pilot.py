"""Phase 4, the pilot: a co-created action plan (handleplan, SEL § 141) tried
out by the team with the citizen, with observations by any team member."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import Command, Event


class PlanGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = Field(min_length=3, max_length=2000)
    measure: str = Field(min_length=3, max_length=500, description="How we will know it is reached")
    target_date: date


class PlanActivity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = Field(min_length=3, max_length=2000)
    responsible: str = Field(min_length=1, max_length=64, description="person id of a team member or the citizen")


class ActionPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: str = Field(min_length=3, max_length=4000)
    goals: tuple[PlanGoal, ...] = Field(min_length=1)
    activities: tuple[PlanActivity, ...] = Field(min_length=1)


class StartPilot(Command):
    title = "Start pilot"
    type: Literal["start_pilot"] = "start_pilot"
    plan: ActionPlan


class PilotStarted(Event):
    type: Literal["pilot_started"] = "pilot_started"
    plan: ActionPlan

    def legal_basis(self) -> str | None:
        return "SEL § 141"


class RecordObservation(Command):
    title = "Record observation"
    type: Literal["record_observation"] = "record_observation"
    text: str = Field(min_length=3, max_length=4000)


class ObservationRecorded(Event):
    type: Literal["observation_recorded"] = "observation_recorded"
    text: str


class CompletePilot(Command):
    title = "Complete pilot"
    type: Literal["complete_pilot"] = "complete_pilot"
    summary: str = Field(min_length=3, max_length=4000)
    ended_early: bool = False
    early_end_reason: str = Field(default="", max_length=2000)


class PilotCompleted(Event):
    type: Literal["pilot_completed"] = "pilot_completed"
    summary: str
    ended_early: bool
    early_end_reason: str
