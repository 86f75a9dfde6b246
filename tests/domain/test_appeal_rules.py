"""The appeal's rules (``domain.appeal``, Rsl §§ 66-67): given the appeal's history, when a command, then this refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.appeal import ReconsiderationOverdue, ReopenDecision
from domain.messages import Actor
from tests import scenario
from tests.domain.gwt import APPEAL, CASE, NOW, Accepted, Refusal, rule_id

SYSTEM = {"id": "samskab", "role": "system"}
CITIZEN = {"id": "citizen", "role": "citizen"}
CASEWORKER = {"id": "cw-anna", "role": "caseworker"}
TEAM_LEAD = {"id": "tl-bo", "role": "team_lead"}
STAFF = {"id": "staff-eva", "role": "staff"}

DECIDED = NOW - timedelta(days=10)
TODAY = NOW.date()  # 23 November 2026: 10:00 in Denmark, the same day
OPEN = {
    "type": "open_appeal_window",
    "actor": SYSTEM,
    "case_id": "case-1",
    "decision_number": 1,
    "outcome": "partly_granted",
    "decided_at": DECIDED.isoformat(),
    "window": "P28D",
}
#: Opened when the letter's receipt is known already.
OPEN_WITH_RECEIPT = {**OPEN, "letter_available_at": (DECIDED + timedelta(days=1)).isoformat()}
RECEIPT = {"type": "record_letter_receipt", "actor": SYSTEM, "available_at": (DECIDED + timedelta(days=1)).isoformat()}
LODGE = {"type": "lodge_appeal", "actor": CITIZEN, "complaint": "For få timer"}
REGISTER = {
    "type": "register_appeal",
    "actor": CASEWORKER,
    "channel": "phone",
    "received_on": TODAY.isoformat(),
    "complaint": "Ringede om timerne",
}
CLOSE = {"type": "close_appeal_window", "actor": SYSTEM}
UPHOLD = {"type": "reconsider", "actor": TEAM_LEAD, "outcome": "upheld", "reasons": "Afgørelsen fastholdes"}
OVERDUE = {"type": "record_reconsideration_overdue", "actor": SYSTEM}
WITHDRAW = {"type": "withdraw_appeal", "actor": CITIZEN}
OUTCOME = {
    "type": "record_appeal_outcome",
    "actor": CASEWORKER,
    "outcome": "upheld",
    "decided_on": TODAY.isoformat(),
    "reasons": "Ankestyrelsen er enig i afgørelsen",
}
#: Lodged and upheld on reconsideration: the appeal is with Ankestyrelsen.
SENT_ON: list[dict] = [OPEN, LODGE, UPHOLD]
#: The reconsideration's deadline has passed and is recorded (the timer's event).
OVERDUE_RECORDED = ReconsiderationOverdue(occurred_at=NOW, actor=Actor.model_validate(SYSTEM), due_at=NOW)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


RULES = [
    # -- every command is stamped by the workflow, and the system's own are the system's
    Refusal("appeal.unstamped", given=[], when=OPEN, at=None, field="at"),
    Refusal("appeal.role_not_allowed", given=[OPEN], when={**CLOSE, "actor": CASEWORKER}, field="actor.role"),
    # a command of the case's (it lives beside the appeal's), given to the appeal
    Refusal(
        "appeal.unknown_command",
        given=[OPEN],
        field="type",
        when=ReopenDecision(actor=Actor.model_validate(SYSTEM), appeal_id="case-1-appeal-1"),
    ),
    # -- the window opens once, from the decision or the letter's receipt (Rsl § 67)
    Refusal("appeal.already_open", given=[OPEN], when=OPEN),
    Refusal(
        "appeal.receipt_before_decision",
        given=[],
        when={**OPEN, "letter_available_at": (DECIDED - timedelta(hours=1)).isoformat()},
        field="letter_available_at",
    ),
    Refusal(
        "appeal.receipt_before_decision",
        given=[OPEN],
        when={**RECEIPT, "available_at": (DECIDED - timedelta(hours=1)).isoformat()},
        field="available_at",
    ),
    Refusal(
        "appeal.receipt_in_future",
        given=[OPEN],
        when={**RECEIPT, "available_at": (NOW + timedelta(minutes=1)).isoformat()},
        field="available_at",
    ),
    Refusal("appeal.receipt_recorded", given=[OPEN_WITH_RECEIPT], when=RECEIPT),
    Refusal("appeal.receipt_recorded", given=[OPEN, RECEIPT], when=RECEIPT),
    Refusal("appeal.receipt_too_late", given=SENT_ON, when=RECEIPT, says="sent_to_ankestyrelsen"),
    Refusal("appeal.receipt_too_late", given=[], when=RECEIPT, says="not_open"),
    # -- an appeal is received once: lodged by the citizen, or registered by a caseworker
    Refusal("appeal.not_open", given=[], when=LODGE),
    Refusal("appeal.already_lodged", given=[OPEN, LODGE], when=LODGE),
    Refusal("appeal.already_lodged", given=[OPEN, LODGE], when=REGISTER),
    Refusal(
        "appeal.role_not_allowed",
        given=[OPEN],
        when={**LODGE, "actor": CASEWORKER},
        field="actor.role",
        says="register_appeal",
    ),
    Refusal("appeal.role_not_allowed", given=[OPEN], when={**REGISTER, "actor": CITIZEN}, field="actor.role"),
    Refusal("appeal.received_in_future", given=[OPEN], when={**REGISTER, "received_on": day(1)}, field="received_on"),
    Refusal(
        "appeal.received_before_decision", given=[OPEN], when={**REGISTER, "received_on": day(-11)}, field="received_on"
    ),
    # -- the window closes when it has ended, if no appeal came
    Refusal("appeal.window_not_ended", given=[OPEN], when=CLOSE),
    Refusal("appeal.window_not_open", given=[OPEN, LODGE], when=CLOSE),
    Refusal("appeal.window_not_open", given=[], when=CLOSE),
    # -- the municipality reconsiders within 4 weeks, with reasons (Rsl § 66)
    Refusal("appeal.role_not_allowed", given=[OPEN, LODGE], when={**UPHOLD, "actor": CITIZEN}, field="actor.role"),
    Refusal("appeal.nothing_to_reconsider", given=[OPEN], when=UPHOLD),
    Refusal("appeal.reasons_required", given=[OPEN, LODGE], when={**UPHOLD, "reasons": "  "}, field="reasons"),
    Refusal("appeal.nothing_to_reconsider", given=SENT_ON, when=OVERDUE),
    Refusal(
        "appeal.not_due",
        given=[OPEN, LODGE],
        when=OVERDUE,
        at=NOW + timedelta(weeks=4) - timedelta(seconds=1),
        given_at=NOW,
    ),
    Refusal(
        "appeal.already_overdue",
        given=[OPEN, LODGE, OVERDUE_RECORDED],
        when=OVERDUE,
        at=NOW + timedelta(weeks=5),
        given_at=NOW,
    ),
    # -- the citizen may withdraw the appeal until it is decided
    Refusal("appeal.role_not_allowed", given=[OPEN, LODGE], when={**WITHDRAW, "actor": STAFF}, field="actor.role"),
    Refusal(
        "appeal.withdrawal_channel_required",
        given=[OPEN, LODGE],
        when={**WITHDRAW, "actor": CASEWORKER},
        field="channel",
    ),
    Refusal(
        "appeal.withdrawal_channel_required",
        given=[OPEN, LODGE],
        when={**WITHDRAW, "actor": CASEWORKER, "channel": "digital"},
        field="channel",
    ),
    Refusal("appeal.not_withdrawable", given=[OPEN], when=WITHDRAW, says="window_open"),
    # -- Ankestyrelsen's decision, recorded from its letter
    Refusal("appeal.role_not_allowed", given=SENT_ON, when={**OUTCOME, "actor": CITIZEN}, field="actor.role"),
    Refusal("appeal.not_sent_on", given=[OPEN, LODGE], when=OUTCOME),
    Refusal(
        "appeal.outcome_before_forwarding", given=SENT_ON, when={**OUTCOME, "decided_on": day(-1)}, field="decided_on"
    ),
    Refusal("appeal.outcome_in_future", given=SENT_ON, when={**OUTCOME, "decided_on": day(1)}, field="decided_on"),
    Refusal("appeal.reasons_required", given=SENT_ON, when={**OUTCOME, "reasons": " "}, field="reasons"),
]

#: The boundaries the refusals above stand beside: what the same rule lets through.
ACCEPTED = [
    Accepted(
        "a receipt the moment it is recorded",
        given=[OPEN],
        when={**RECEIPT, "available_at": NOW.isoformat()},
        then=["decision_letter_received"],
    ),
    Accepted(
        "an appeal received the day of the decision",
        given=[OPEN],
        when={**REGISTER, "received_on": day(-10)},
        then=["appeal_lodged"],
    ),
    Accepted(
        "a withdrawal a caseworker records on the citizen's word by phone",
        given=[OPEN, LODGE],
        when={**WITHDRAW, "actor": CASEWORKER, "channel": "phone"},
        then=["appeal_withdrawn"],
    ),
    Accepted(
        "Ankestyrelsen decides the day the appeal is sent on",
        given=SENT_ON,
        when=OUTCOME,
        then=["appeal_decided_by_ankestyrelsen"],
    ),
    Accepted(
        "the reconsideration is overdue the moment it is due",
        given=[OPEN, LODGE],
        when=OVERDUE,
        at=NOW + timedelta(weeks=4),
        given_at=NOW,
        then=["reconsideration_overdue"],
    ),
]

#: The appeal's rule in the case: a decision changed on appeal reopens it for a new one.
IN_THE_CASE = [
    # a case closed in the need phase (no application) has no decision an appeal could change
    Refusal(
        "appeal.no_decision",
        given=[scenario.register("case-1"), scenario.close()],
        when={"type": "reopen_decision", "actor": SYSTEM, "appeal_id": "case-1-appeal-1"},
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule: Refusal):
    rule.check(APPEAL)


@pytest.mark.parametrize("accepted", ACCEPTED, ids=rule_id)
def test_accepted(accepted: Accepted):
    accepted.check(APPEAL)


@pytest.mark.parametrize("rule", IN_THE_CASE, ids=rule_id)
def test_rule_in_the_case(rule: Refusal):
    rule.check(CASE)
