"""Phase 4, the pilot: a co-created action plan (handleplan, SEL § 141) tried
out by the team with the citizen, with observations by any team member."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import MAX_ITEMS, Command, Event, PersonRef
from domain.personal_data import Personal


class PlanGoal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Annotated[str, Personal] = Field(min_length=3, max_length=2000)
    measure: Annotated[str, Personal] = Field(min_length=3, max_length=500, description="How we will know it is reached")
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
    plan: ActionPlan


class PlanProposed(Event):
    type: Literal["plan_proposed"] = "plan_proposed"
    plan: ActionPlan

    def legal_basis(self) -> str | None:
        return "SEL § 141"


class AnswerPlan(Command):
    """The citizen accepts the proposed plan, or asks for changes (saying which)."""

    title = "Answer action plan"
    type: Literal["answer_plan"] = "answer_plan"
    accept: bool
    comment: str = Field(default="", max_length=2000)


class PlanAcceptedByCitizen(Event):
    type: Literal["plan_accepted_by_citizen"] = "plan_accepted_by_citizen"
    comment: Annotated[str, Personal]


class PlanChangesRequested(Event):
    type: Literal["plan_changes_requested"] = "plan_changes_requested"
    comment: Annotated[str, Personal]


class StartPilot(Command):
    """Starts the pilot on the plan the citizen accepted."""

    title = "Start pilot"
    type: Literal["start_pilot"] = "start_pilot"


class PilotStarted(Event):
    type: Literal["pilot_started"] = "pilot_started"
    plan: ActionPlan

    def legal_basis(self) -> str | None:
        return "SEL § 141"


class ScheduleMeeting(Command):
    """A joint meeting with the citizen present: "et fælles tredje" (seed 004)."""

    title = "Schedule joint meeting"
    type: Literal["schedule_meeting"] = "schedule_meeting"
    planned_for: datetime
    agenda: str = Field(min_length=3, max_length=2000)
    participants: list[PersonRef] = Field(min_length=1, max_length=MAX_ITEMS, description="person ids of team members taking part")


class MeetingScheduled(Event):
    type: Literal["meeting_scheduled"] = "meeting_scheduled"
    meeting_no: int
    planned_for: datetime
    agenda: Annotated[str, Personal]
    participants: tuple[str, ...]


class RecordMeeting(Command):
    title = "Record joint meeting"
    type: Literal["record_meeting"] = "record_meeting"
    meeting_no: int = Field(ge=1)
    attended: list[PersonRef] = Field(min_length=1, max_length=MAX_ITEMS, description="person ids of those who came")
    citizen_present: bool
    minutes: str = Field(min_length=3, max_length=8000)


class MeetingHeld(Event):
    type: Literal["meeting_held"] = "meeting_held"
    meeting_no: int
    attended: tuple[str, ...]
    citizen_present: bool
    minutes: Annotated[str, Personal]


class AdjustPlan(Command):
    """A change to the plan during the pilot, proposed by anyone on the team."""

    title = "Adjust action plan"
    type: Literal["adjust_plan"] = "adjust_plan"
    plan: ActionPlan
    reason: str = Field(min_length=3, max_length=2000)
    proposed_by: str = Field(min_length=1, max_length=64, description="person id, or 'citizen'")


class PlanAdjusted(Event):
    type: Literal["plan_adjusted"] = "plan_adjusted"
    plan: ActionPlan
    reason: Annotated[str, Personal]
    proposed_by: str


class RecordCheckIn(Command):
    """Issued by the workflow when a check-in on the pilot falls due."""

    title = "Record pilot check-in"
    issued_by_system = True
    type: Literal["record_check_in"] = "record_check_in"
    number: int = Field(ge=1)


class PilotCheckInDue(Event):
    type: Literal["pilot_check_in_due"] = "pilot_check_in_due"
    number: int


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    meeting_no: int
    planned_for: datetime
    agenda: str
    participants: tuple[str, ...]
    held: bool = False
    attended: tuple[str, ...] = ()
    minutes: str = ""


class RecordObservation(Command):
    title = "Record observation"
    type: Literal["record_observation"] = "record_observation"
    text: str = Field(min_length=3, max_length=4000)


class ObservationRecorded(Event):
    type: Literal["observation_recorded"] = "observation_recorded"
    text: Annotated[str, Personal]


class CompletePilot(Command):
    title = "Complete pilot"
    type: Literal["complete_pilot"] = "complete_pilot"
    summary: str = Field(min_length=3, max_length=4000)
    ended_early: bool = False
    early_end_reason: str = Field(default="", max_length=2000)


class PilotCompleted(Event):
    type: Literal["pilot_completed"] = "pilot_completed"
    summary: Annotated[str, Personal]
    ended_early: bool
    early_end_reason: Annotated[str, Personal]
