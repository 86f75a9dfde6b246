"""The appeal decider (Rsl §§ 66-67): given events, when a command, then events or a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.appeal import (
    AppealStatus,
    appeal_command_adapter,
    appeal_id,
    decide_appeal,
    fold_appeal,
    initial_appeal_state,
)
from domain.errors import DomainError

DECIDED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SYSTEM = {"id": "samskab", "role": "system"}
CITIZEN = {"id": "citizen", "role": "citizen"}
TL = {"id": "tl-bo", "role": "team_lead"}
OPEN = {"type": "open_appeal_window", "actor": SYSTEM, "case_id": "case-1", "decision_number": 1, "outcome": "partly_granted", "decided_at": DECIDED.isoformat(), "window": "P28D"}
LODGE = {"type": "lodge_appeal", "actor": CITIZEN, "complaint": "For få timer"}


def act(state, data: dict, at: datetime):
    command = appeal_command_adapter.validate_python(data).model_copy(update={"at": at})
    return fold_appeal(decide_appeal(state, command), state)


def refused(state, data: dict, at: datetime) -> DomainError:
    with pytest.raises(DomainError) as error:
        act(state, data, at)
    return error.value


def opened():
    return act(initial_appeal_state(), OPEN, DECIDED)


def test_an_appeal_in_time_awaits_reconsideration_within_4_weeks():
    state = act(opened(), LODGE, DECIDED + timedelta(days=10))
    assert state.status is AppealStatus.AWAITING_RECONSIDERATION and not state.late
    assert state.reconsideration_due_at == DECIDED + timedelta(days=38)


def test_a_late_appeal_is_recorded_and_flagged_never_dropped():
    closed = act(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, DECIDED + timedelta(weeks=4))
    state = act(closed, LODGE, DECIDED + timedelta(weeks=6))
    assert state.late and state.status is AppealStatus.AWAITING_RECONSIDERATION and state.complaint == "For få timer"


def test_upheld_goes_to_ankestyrelsen_and_changed_ends_the_appeal():
    lodged = act(opened(), LODGE, DECIDED + timedelta(days=1))
    upheld = act(lodged, {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "Fastholdes"}, DECIDED + timedelta(days=2))
    assert upheld.status is AppealStatus.SENT_TO_ANKESTYRELSEN
    changed = act(lodged, {"type": "reconsider", "actor": TL, "outcome": "changed", "reasons": "Ændres"}, DECIDED + timedelta(days=2))
    assert changed.status is AppealStatus.DECISION_CHANGED


def test_refusals():
    later = DECIDED + timedelta(days=1)
    assert refused(initial_appeal_state(), LODGE, later).rule == "appeal.not_open"
    assert refused(opened(), {**LODGE, "actor": TL}, later).field == "actor.role"
    assert refused(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, later).rule == "appeal.window_not_ended"
    assert refused(opened(), {"type": "close_appeal_window", "actor": CITIZEN}, later).field == "actor.role"
    assert refused(opened(), {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "x"}, later).rule == "appeal.nothing_to_reconsider"
    lodged = act(opened(), LODGE, later)
    assert refused(lodged, LODGE, later).rule == "appeal.already_lodged"
    assert refused(lodged, {"type": "reconsider", "actor": CITIZEN, "outcome": "upheld", "reasons": "x"}, later).field == "actor.role"
    assert refused(lodged, {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": " "}, later).field == "reasons"
    assert refused(lodged, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later).rule == "appeal.not_due"
    overdue = act(lodged, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later + timedelta(weeks=4))
    assert overdue.reconsideration_overdue
    assert refused(overdue, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later + timedelta(weeks=5)).rule == "appeal.already_overdue"
    assert refused(opened(), OPEN, later).rule == "appeal.already_open"


def test_an_appeal_id_fits_the_event_logs_stream_id():
    assert appeal_id("case-1", 2) == "case-1-appeal-2"
    long = appeal_id("c" * 64, 1)
    assert len(long) <= 64 and long.endswith("-appeal-1") and long != appeal_id("c" * 63 + "d", 1)
