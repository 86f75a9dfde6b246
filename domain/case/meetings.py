"""The pilot's joint meetings and the team's observations.

A joint meeting is held with the citizen present, "et fælles tredje" (seed 004): the
team plans it, and records who came and what was agreed. Observations come from anyone
on the citizen's team; a volunteer or relative records one only under the citizen's
consent to share observations (``domain/case/consent.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Changes, Concept, decides, with_entry
from domain.case.consent import ConsentView, consent_covers
from domain.case.decision import DECIDING_ROLES
from domain.case.team import CITIZEN_AS_RESPONSIBLE, TeamContext, joined_members, team_ids
from domain.errors import require
from domain.information import InformationCategory
from domain.messages import MAX_ITEMS, Command, Event, PersonRef, Role
from domain.personal_data import Personal
from domain.phases import Phase

#: How many of its latest observations a case holds in its state (the workflow carries
#: the state from run to run; 5,000 observations made a 700 KiB input).
OBSERVATIONS_KEPT = 50


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


class Observation(BaseModel):
    model_config = ConfigDict(frozen=True)

    by: str
    role: Role
    at: datetime
    text: str


# -- the decider ------------------------------------------------------------------


class MeetingsView(TeamContext, ConsentView, Protocol):
    """What the meetings' and observations' rules read: the team, the consents and the meetings."""

    @property
    def meetings(self) -> Mapping[int, Meeting]: ...
    @property
    def observations(self) -> tuple[Observation, ...]: ...
    @property
    def observations_recorded(self) -> int: ...


def schedule_meeting(state: MeetingsView, c: ScheduleMeeting) -> list[Event]:
    team = team_ids(state)
    require(
        c.actor.id in team or c.actor.role in DECIDING_ROLES,
        f"{c.actor.id} is not on the team; meetings are planned by the team",
        rule="pilot.not_on_team",
        field="actor.id",
    )
    require(
        c.planned_for > c.now, "a meeting is planned for a time ahead", rule="meeting.in_the_past", field="planned_for"
    )
    for i, person in enumerate(c.participants):
        require(
            person in team,
            f"{person!r} is not on the team",
            rule="meeting.participant_not_on_team",
            field=f"participants[{i}]",
        )
    return [
        MeetingScheduled(
            occurred_at=c.now,
            actor=c.actor,
            meeting_no=len(state.meetings) + 1,
            planned_for=c.planned_for,
            agenda=c.agenda,
            participants=tuple(dict.fromkeys([CITIZEN_AS_RESPONSIBLE, *c.participants])),
        )
    ]


def record_meeting(state: MeetingsView, c: RecordMeeting) -> list[Event]:
    meeting = state.meetings.get(c.meeting_no)
    require(
        meeting is not None, f"there is no meeting number {c.meeting_no}", rule="meeting.unknown", field="meeting_no"
    )
    assert meeting is not None  # refused above when missing
    require(
        not meeting.held, f"meeting {c.meeting_no} is already recorded", rule="meeting.already_held", field="meeting_no"
    )
    team = team_ids(state)
    require(
        c.actor.role in DECIDING_ROLES or c.actor.id in team,
        f"{c.actor.id} is not on the team",
        rule="pilot.not_on_team",
        field="actor.id",
    )
    require(
        c.citizen_present and CITIZEN_AS_RESPONSIBLE in c.attended,
        "a joint meeting is held with the citizen present (et fælles tredje); "
        "without the citizen, record an observation instead",
        rule="meeting.citizen_absent",
        field="citizen_present",
    )
    for i, person in enumerate(c.attended):
        require(
            person in team,
            f"{person!r} is not on the team",
            rule="meeting.participant_not_on_team",
            field=f"attended[{i}]",
        )
    return [
        MeetingHeld(
            occurred_at=c.now,
            actor=c.actor,
            meeting_no=c.meeting_no,
            attended=tuple(dict.fromkeys(c.attended)),
            citizen_present=c.citizen_present,
            minutes=c.minutes,
        )
    ]


def record_observation(state: MeetingsView, c: RecordObservation) -> list[Event]:
    member = next((m for m in joined_members(state) if m.person_id == c.actor.id), None)
    require(
        member is not None or c.actor.role in (*DECIDING_ROLES, Role.CITIZEN),
        f"{c.actor.id} is not on this citizen's team; observations come from the team",
        rule="pilot.observer_not_on_team",
        field="actor.id",
    )
    if member is not None and member.kind.outside_municipality:
        require(
            consent_covers(state, member.person_id, InformationCategory.OBSERVATIONS, c.now),
            f"{member.name} has no consent from the citizen that covers observations; "
            "the citizen gives it (give_consent) before a volunteer or relative records one",
            rule="consent.missing",
            field="actor.id",
        )
    return [ObservationRecorded(occurred_at=c.now, actor=c.actor, text=c.text)]


# -- how its events change the case --------------------------------------------


def _scheduled(state: MeetingsView, e: MeetingScheduled) -> Changes:
    meeting = Meeting(meeting_no=e.meeting_no, planned_for=e.planned_for, agenda=e.agenda, participants=e.participants)
    return {"meetings": {**state.meetings, e.meeting_no: meeting}}


def _held(state: MeetingsView, e: MeetingHeld) -> Changes:
    held = with_entry(state.meetings, e.meeting_no, held=True, attended=e.attended, minutes=e.minutes)
    return {"meetings": held}


def _observed(state: MeetingsView, e: ObservationRecorded) -> Changes:
    seen = Observation(by=e.actor.id, role=e.actor.role, at=e.occurred_at, text=e.text)
    # A case lives for years and carries its state from run to run: it keeps the
    # latest observations and the count, the log keeps them all.
    kept = (*state.observations[-(OBSERVATIONS_KEPT - 1) :], seen)
    return {"observations": kept, "observations_recorded": state.observations_recorded + 1}


CONCEPT = Concept(
    "meetings and observations",
    commands={
        ScheduleMeeting: decides(schedule_meeting, Phase.PILOT),
        RecordMeeting: decides(record_meeting, Phase.PILOT),
        RecordObservation: decides(record_observation, Phase.PILOT, Phase.FOLLOW_UP),
    },
    events={MeetingScheduled: _scheduled, MeetingHeld: _held, ObservationRecorded: _observed},
)
