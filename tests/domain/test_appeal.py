"""The appeal decider (Rsl §§ 66-67): given events, when a command, then events or a refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
CW = {"id": "cw-anna", "role": "caseworker"}
OPEN = {
    "type": "open_appeal_window",
    "actor": SYSTEM,
    "case_id": "case-1",
    "decision_number": 1,
    "outcome": "partly_granted",
    "decided_at": DECIDED.isoformat(),
    "window": "P28D",
}
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
    closed = act(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, opened().window_ends_at)
    state = act(closed, {**LODGE, "late_reason": "Jeg var indlagt"}, DECIDED + timedelta(weeks=60))  # no outer limit
    assert state.late and state.status is AppealStatus.AWAITING_RECONSIDERATION and state.complaint == "For få timer"
    assert state.late_reason == "Jeg var indlagt"


def test_the_window_runs_to_the_end_of_the_last_day_counted_from_the_decision_when_no_receipt_is_known():
    # decided Monday 23 November 2026: the letter is in Digital Post the same day
    state = opened()
    assert state.last_day == date(2026, 12, 21)
    in_time = act(state, LODGE, datetime(2026, 12, 21, 22, 59, tzinfo=UTC))  # 23:59 Danish time
    assert not in_time.late and in_time.late_reason is None
    late = act(state, {**LODGE, "late_reason": "x"}, datetime(2026, 12, 21, 23, 0, tzinfo=UTC))  # midnight
    assert late.late and late.late_reason == "x"


def test_the_window_counts_from_the_letters_receipt():
    receipt = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday
    state = act(initial_appeal_state(), {**OPEN, "letter_available_at": receipt.isoformat()}, DECIDED)
    assert state.last_day == date(2026, 12, 25) + timedelta(days=3)  # Fri 25 Dec juledag -> Sat, Sun -> Mon 28 Dec
    # recorded later, the receipt moves the window, and an appeal already lodged is judged by it
    lodged = act(opened(), LODGE, datetime(2026, 12, 23, 9, 0, tzinfo=UTC))
    assert lodged.late
    received = act(lodged, {"type": "record_letter_receipt", "actor": SYSTEM, "available_at": receipt.isoformat()},
                   datetime(2026, 12, 23, 10, 0, tzinfo=UTC))  # fmt: skip
    assert not received.late and received.last_day == date(2026, 12, 28)


def test_a_caseworker_registers_an_appeal_by_phone_and_the_day_received_counts():
    closed = act(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, opened().window_ends_at)
    register = {"type": "register_appeal", "actor": CW, "channel": "phone", "complaint": "Ringede om timerne"}
    in_time = act(closed, {**register, "received_on": "2026-12-21"}, DECIDED + timedelta(weeks=5))
    assert not in_time.late and in_time.channel == "phone" and in_time.received_on == date(2026, 12, 21)
    # registered on 28 December, received on 21 December: the 4 weeks of Rsl § 66 run from the 21st
    assert in_time.reconsideration_due_at == DECIDED + timedelta(weeks=5) + timedelta(weeks=4) - timedelta(days=7)
    late = act(
        closed, {**register, "received_on": "2026-12-22", "late_reason": "Brevet var væk"}, DECIDED + timedelta(weeks=5)
    )
    assert late.late and late.late_reason == "Brevet var væk"
    later = DECIDED + timedelta(weeks=5)
    assert refused(closed, {**register, "received_on": "2027-12-22"}, later).field == "received_on"
    assert refused(closed, {**register, "received_on": "2026-11-01"}, later).rule == "appeal.received_before_decision"
    assert refused(closed, {**register, "actor": CITIZEN, "received_on": "2026-12-01"}, later).field == "actor.role"
    assert refused(in_time, {**register, "received_on": "2026-12-01"}, later).rule == "appeal.already_lodged"


def forwarded(late_reason: str | None = None):
    state = act(
        opened(), {**LODGE, **({"late_reason": late_reason} if late_reason else {})}, DECIDED + timedelta(days=1)
    )
    return act(
        state,
        {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "Fastholdes"},
        DECIDED + timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("outcome", "kind", "new_decision"),
    [("upheld", "ankestyrelsen_upheld", False), ("changed", "ankestyrelsen_changed", True),
     ("sent_back", "ankestyrelsen_sent_back", True), ("dismissed", "ankestyrelsen_dismissed", False)],
)  # fmt: skip
def test_ankestyrelsens_four_outcomes(outcome, kind, new_decision):
    decided = act(forwarded(), {"type": "record_appeal_outcome", "actor": CW, "outcome": outcome, "decided_on": "2027-02-01",
                                "reasons": "Ankestyrelsens begrundelse"}, DECIDED + timedelta(weeks=12))  # fmt: skip
    assert decided.status is AppealStatus.DECIDED_BY_ANKESTYRELSEN and decided.status.settled
    assert decided.outcome_kind.value == kind and decided.outcome_kind.asks_for_new_decision is new_decision


def test_ankestyrelsens_outcome_refused_for_an_appeal_not_sent_on():
    later = DECIDED + timedelta(weeks=12)
    data = {
        "type": "record_appeal_outcome",
        "actor": CW,
        "outcome": "upheld",
        "decided_on": "2027-02-01",
        "reasons": "x",
    }
    error = refused(opened(), data, later)
    assert error.rule == "appeal.not_sent_on" and "window_open" in error.message
    assert refused(forwarded(), {**data, "actor": CITIZEN}, later).field == "actor.role"
    assert refused(forwarded(), {**data, "decided_on": "2026-11-01"}, later).field == "decided_on"
    assert refused(forwarded(), {**data, "decided_on": "2030-01-01"}, later).field == "decided_on"
    done = act(forwarded(), data, later)
    assert refused(done, data, later).rule == "appeal.not_sent_on"


def test_withdrawal_by_the_citizen_or_on_their_word_until_the_appeal_is_decided():
    later = DECIDED + timedelta(weeks=3)
    lodged = act(opened(), LODGE, DECIDED + timedelta(days=1))
    withdrawn = act(lodged, {"type": "withdraw_appeal", "actor": CITIZEN}, later)
    assert withdrawn.status is AppealStatus.WITHDRAWN and withdrawn.outcome_kind.value == "withdrawn"
    assert withdrawn.withdrawal.withdrawn_while == "awaiting_reconsideration"
    at_ankestyrelsen = act(
        forwarded(), {"type": "withdraw_appeal", "actor": CW, "channel": "phone", "note": "Ringede"}, later
    )
    assert (
        at_ankestyrelsen.withdrawal.withdrawn_while == "sent_to_ankestyrelsen"
        and at_ankestyrelsen.withdrawal.channel == "phone"
    )
    assert refused(forwarded(), {"type": "withdraw_appeal", "actor": CW}, later).field == "channel"
    error = refused(opened(), {"type": "withdraw_appeal", "actor": CITIZEN}, later)
    assert error.rule == "appeal.not_withdrawable" and "window_open" in error.message
    assert refused(withdrawn, {"type": "withdraw_appeal", "actor": CITIZEN}, later).rule == "appeal.not_withdrawable"
    decided = act(forwarded(), {"type": "record_appeal_outcome", "actor": CW, "outcome": "upheld", "decided_on": "2027-01-01",
                                "reasons": "x"}, DECIDED + timedelta(weeks=12))  # fmt: skip
    assert "decided_by_ankestyrelsen" in refused(decided, {"type": "withdraw_appeal", "actor": CITIZEN}, later).message


def test_the_forwarding_says_late_and_why_only_when_late():
    assert forwarded().status is AppealStatus.SENT_TO_ANKESTYRELSEN and not forwarded().late
    assert forwarded(late_reason="ignored when in time").late_reason is None


def test_upheld_goes_to_ankestyrelsen_and_changed_ends_the_appeal():
    lodged = act(opened(), LODGE, DECIDED + timedelta(days=1))
    upheld = act(
        lodged,
        {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "Fastholdes"},
        DECIDED + timedelta(days=2),
    )
    assert upheld.status is AppealStatus.SENT_TO_ANKESTYRELSEN
    changed = act(
        lodged,
        {"type": "reconsider", "actor": TL, "outcome": "changed", "reasons": "Ændres"},
        DECIDED + timedelta(days=2),
    )
    assert changed.status is AppealStatus.DECISION_CHANGED


def test_refusals():
    later = DECIDED + timedelta(days=1)
    assert refused(initial_appeal_state(), LODGE, later).rule == "appeal.not_open"
    assert refused(opened(), {**LODGE, "actor": TL}, later).field == "actor.role"
    assert refused(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, later).rule == "appeal.window_not_ended"
    assert refused(opened(), {"type": "close_appeal_window", "actor": CITIZEN}, later).field == "actor.role"
    assert (
        refused(opened(), {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "x"}, later).rule
        == "appeal.nothing_to_reconsider"
    )
    lodged = act(opened(), LODGE, later)
    assert refused(lodged, LODGE, later).rule == "appeal.already_lodged"
    assert (
        refused(lodged, {"type": "reconsider", "actor": CITIZEN, "outcome": "upheld", "reasons": "x"}, later).field
        == "actor.role"
    )
    assert (
        refused(lodged, {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": " "}, later).field
        == "reasons"
    )
    assert refused(lodged, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later).rule == "appeal.not_due"
    overdue = act(lodged, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later + timedelta(weeks=4))
    assert overdue.reconsideration_overdue
    assert (
        refused(overdue, {"type": "record_reconsideration_overdue", "actor": SYSTEM}, later + timedelta(weeks=5)).rule
        == "appeal.already_overdue"
    )
    assert refused(opened(), OPEN, later).rule == "appeal.already_open"


def test_an_appeal_id_fits_the_event_logs_stream_id():
    assert appeal_id("case-1", 2) == "case-1-appeal-2"
    long = appeal_id("c" * 64, 1)
    assert len(long) <= 64 and long.endswith("-appeal-1") and long != appeal_id("c" * 63 + "d", 1)


@pytest.mark.parametrize(
    "command_type", ["lodge_appeal", "register_appeal", "reconsider", "withdraw_appeal", "record_appeal_outcome"]
)
def test_the_commands_offered_in_a_status_are_the_ones_the_decider_takes(command_type):
    """``commands_open`` (what the pages offer) agrees with the deciders' status rules."""
    from domain.appeal import commands_open

    data = {
        "lodge_appeal": LODGE,
        "register_appeal": {
            "type": "register_appeal",
            "actor": CW,
            "channel": "letter",
            "received_on": "2026-11-30",
            "complaint": "Brev",
        },
        "reconsider": {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "x"},
        "withdraw_appeal": {"type": "withdraw_appeal", "actor": CITIZEN},
        "record_appeal_outcome": {
            "type": "record_appeal_outcome",
            "actor": CW,
            "outcome": "upheld",
            "decided_on": "2026-12-01",
            "reasons": "x",
        },
    }[command_type]
    later = DECIDED + timedelta(days=8)
    lodged = act(opened(), LODGE, DECIDED + timedelta(days=1))
    states = [opened(), act(opened(), {"type": "close_appeal_window", "actor": SYSTEM}, opened().window_ends_at), lodged,
              act(lodged, {"type": "reconsider", "actor": TL, "outcome": "upheld", "reasons": "x"}, DECIDED + timedelta(days=2)),
              act(lodged, {"type": "reconsider", "actor": TL, "outcome": "changed", "reasons": "x"}, DECIDED + timedelta(days=2)),
              act(lodged, {"type": "withdraw_appeal", "actor": CITIZEN}, DECIDED + timedelta(days=2))]  # fmt: skip
    for state in states:
        try:
            act(
                state,
                data,
                max(later, (state.window_ends_at or later) + timedelta(days=1))
                if state.status is AppealStatus.WINDOW_CLOSED
                else later,
            )
            taken = True
        except DomainError:
            taken = False
        assert taken is (command_type in commands_open(state)), (command_type, state.status)
