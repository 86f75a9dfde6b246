"""Joint meetings (et fælles tredje) and observations: planned by the team for a
time ahead with team members, recorded once (domain/case/meetings.py)."""

from __future__ import annotations

import pytest

from tests import scenario
from tests.domain.case.histories import STAFF, STRANGER, VOLUNTEER, in_pilot, meeting_scheduled
from tests.domain.gwt import CASE, Accepted, Refusal, rule_id

#: Municipal staff, but not on this citizen's team.
OTHER_STAFF = {"id": "jc-ukendt", "role": "staff"}

RULES = [
    Refusal(
        "meeting.in_the_past",
        given=in_pilot(),
        when=scenario.schedule_meeting(planned_for="2026-11-23T09:00:00+00:00"),
        field="planned_for",
    ),
    Refusal(
        "meeting.participant_not_on_team",
        given=in_pilot(),
        when=scenario.schedule_meeting(participants=("vol-karim", STRANGER["id"])),
        field="participants[1]",
    ),
    Refusal(
        "meeting.participant_not_on_team",
        given=meeting_scheduled(),
        when=scenario.record_meeting(attended=("citizen", STRANGER["id"])),
        field="attended[1]",
    ),
    Refusal("meeting.unknown", given=in_pilot(), when=scenario.record_meeting(1), field="meeting_no"),
    Refusal("meeting.unknown", given=meeting_scheduled(), when=scenario.record_meeting(2), field="meeting_no"),
    Refusal(
        "meeting.already_held",
        given=[*meeting_scheduled(), scenario.record_meeting(1)],
        when=scenario.record_meeting(1),
        field="meeting_no",
    ),
    Refusal(
        "pilot.not_on_team",
        given=in_pilot(),
        when=scenario.schedule_meeting() | {"actor": OTHER_STAFF},
        field="actor.id",
    ),
    Refusal(
        "pilot.not_on_team",
        given=meeting_scheduled(),
        when=scenario.record_meeting(1) | {"actor": OTHER_STAFF},
        field="actor.id",
    ),
    # the team's volunteers and relatives tell the caseworker; the municipality's people plan (ScheduleMeeting.roles)
    Refusal(
        "case.role_not_allowed",
        given=in_pilot(),
        when=scenario.schedule_meeting() | {"actor": VOLUNTEER},
        field="actor.role",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("meeting.scheduled", given=in_pilot(), when=scenario.schedule_meeting(), then=["meeting_scheduled"]),
    Accepted(
        "meeting.scheduled_by_a_member",
        given=in_pilot(),
        when=scenario.schedule_meeting() | {"actor": STAFF},
        then=["meeting_scheduled"],
    ),
    Accepted("meeting.held", given=meeting_scheduled(), when=scenario.record_meeting(1), then=["meeting_held"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)
