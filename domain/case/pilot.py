"""Phase 4, the pilot: a co-created action plan (handleplan, SEL § 141) tried
out by the team with the citizen, with observations by any team member."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.case.consent import InformationCategory
from domain.legal import LegalBasis
from domain.messages import MAX_ITEMS, Command, Event, PersonRef, Role
from domain.personal_data import Personal


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


class ScheduleMeeting(Command):
    """A joint meeting with the citizen present: "et fælles tredje" (seed 004)."""

    title = "Schedule joint meeting"
    type: Literal["schedule_meeting"] = "schedule_meeting"
    label = "Planlæg fællesmøde"
    roles = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF})
    planned_for: datetime
    agenda: str = Field(min_length=3, max_length=2000)
    participants: list[PersonRef] = Field(
        min_length=1, max_length=MAX_ITEMS, description="person ids of team members taking part"
    )


class MeetingScheduled(Event):
    type: Literal["meeting_scheduled"] = "meeting_scheduled"
    label = "Fællesmøde planlagt"
    meeting_no: int
    planned_for: datetime
    agenda: Annotated[str, Personal]
    participants: tuple[str, ...]


class RecordMeeting(Command):
    title = "Record joint meeting"
    type: Literal["record_meeting"] = "record_meeting"
    label = "Registrér fællesmøde"
    roles = frozenset({Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF})
    meeting_no: int = Field(ge=1)
    attended: list[PersonRef] = Field(min_length=1, max_length=MAX_ITEMS, description="person ids of those who came")
    citizen_present: bool
    minutes: str = Field(min_length=3, max_length=8000)


class MeetingHeld(Event):
    type: Literal["meeting_held"] = "meeting_held"
    label = "Fællesmøde holdt"
    category = InformationCategory.MEETING_NOTES
    meeting_no: int
    attended: tuple[str, ...]
    citizen_present: bool
    minutes: Annotated[str, Personal]


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
    label = "Registrér observation"
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD, Role.STAFF, Role.VOLUNTEER, Role.RELATIVE})
    representable = True
    text: str = Field(min_length=3, max_length=4000)


class ObservationRecorded(Event):
    type: Literal["observation_recorded"] = "observation_recorded"
    label = "Observation registreret"
    category = InformationCategory.OBSERVATIONS
    text: Annotated[str, Personal]


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
