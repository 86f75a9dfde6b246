"""The appeal of a decision: klage, genvurdering, Ankestyrelsen.

Retssikkerhedslovens § 67: the citizen appeals within 4 weeks of receiving the
decision, to the municipality. § 66: the municipality reconsiders the
decision (genvurdering) within 4 weeks; if it upholds it, the appeal with the
case's documents goes on to Ankestyrelsen; if it changes it, a new decision
follows (in the case). An appeal that comes after the window is recorded and
flagged as late, never dropped: whether the lateness is excused is for the
reconsideration and for Ankestyrelsen to decide.

Each decision gets its own appeal, a decider of its own (its own stream in
the event log), run by its own workflow with the windows as timers. The
window lengths are settings (``PhaseDeadlines``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.errors import DomainError, require
from domain.legal import RSL_66, RSL_67
from domain.messages import Command, Event, Role
from domain.personal_data import Personal

ANKESTYRELSEN = "Ankestyrelsen"


def appeal_id(case_id: str, decision_number: int) -> str:
    """The appeal's workflow id and event-log stream: at most 64 characters."""
    suffix = f"-appeal-{decision_number}"
    if len(case_id) + len(suffix) <= 64:
        return case_id + suffix
    digest = hashlib.sha256(case_id.encode()).hexdigest()[:8]
    return f"{case_id[: 64 - len(suffix) - 9]}-{digest}{suffix}"


# -- commands ---------------------------------------------------------------


class OpenAppealWindow(Command):
    """Issued by the appeal workflow when it starts: the decision the citizen may appeal."""

    title = "Open appeal window"
    issued_by_system = True
    type: Literal["open_appeal_window"] = "open_appeal_window"
    case_id: str
    decision_number: int = Field(ge=1)
    outcome: str
    decided_at: datetime
    window: timedelta


class LodgeAppeal(Command):
    title = "Lodge appeal"
    type: Literal["lodge_appeal"] = "lodge_appeal"
    complaint: str = Field(min_length=3, max_length=8000, description="The citizen's complaint, kept verbatim")


class CloseAppealWindow(Command):
    title = "Close appeal window"
    issued_by_system = True
    type: Literal["close_appeal_window"] = "close_appeal_window"


class ReconsiderationOutcome(StrEnum):
    UPHELD = "upheld"
    CHANGED = "changed"


class Reconsider(Command):
    title = "Reconsider decision"
    type: Literal["reconsider"] = "reconsider"
    outcome: ReconsiderationOutcome
    reasons: str = Field(min_length=1, max_length=8000)


class RecordReconsiderationOverdue(Command):
    title = "Record reconsideration overdue"
    issued_by_system = True
    type: Literal["record_reconsideration_overdue"] = "record_reconsideration_overdue"


AppealCommand = Annotated[
    Union[OpenAppealWindow, LodgeAppeal, CloseAppealWindow, Reconsider, RecordReconsiderationOverdue],
    Field(discriminator="type"),
]

# -- events -----------------------------------------------------------------


class AppealWindowOpened(Event):
    type: Literal["appeal_window_opened"] = "appeal_window_opened"
    case_id: str
    decision_number: int
    outcome: str
    decided_at: datetime
    window_ends_at: datetime

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 67"


class AppealLodged(Event):
    type: Literal["appeal_lodged"] = "appeal_lodged"
    complaint: Annotated[str, Personal]
    late: bool
    late_by: timedelta | None = None
    reconsideration_due_at: datetime

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 67"


class AppealWindowClosed(Event):
    type: Literal["appeal_window_closed"] = "appeal_window_closed"
    window_ends_at: datetime


class DecisionReconsidered(Event):
    type: Literal["decision_reconsidered"] = "decision_reconsidered"
    outcome: ReconsiderationOutcome
    reasons: Annotated[str, Personal]

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 66"


class ReconsiderationOverdue(Event):
    type: Literal["reconsideration_overdue"] = "reconsideration_overdue"
    due_at: datetime

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 66"


class AppealSentToAnkestyrelsen(Event):
    type: Literal["appeal_sent_to_ankestyrelsen"] = "appeal_sent_to_ankestyrelsen"
    case_id: str
    decision_number: int
    complaint: Annotated[str, Personal]
    reconsideration_reasons: Annotated[str, Personal]
    late: bool

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 66"


AppealEvent = Annotated[
    Union[
        AppealWindowOpened,
        AppealLodged,
        AppealWindowClosed,
        DecisionReconsidered,
        ReconsiderationOverdue,
        AppealSentToAnkestyrelsen,
    ],
    Field(discriminator="type"),
]

appeal_command_adapter: TypeAdapter[AppealCommand] = TypeAdapter(AppealCommand)
appeal_event_adapter: TypeAdapter[AppealEvent] = TypeAdapter(AppealEvent)

# -- state ------------------------------------------------------------------


class AppealStatus(StrEnum):
    NOT_OPEN = "not_open"
    WINDOW_OPEN = "window_open"
    WINDOW_CLOSED = "window_closed"  # no appeal in time; a late one is still received
    AWAITING_RECONSIDERATION = "awaiting_reconsideration"
    SENT_TO_ANKESTYRELSEN = "sent_to_ankestyrelsen"
    DECISION_CHANGED = "decision_changed"

    @property
    def settled(self) -> bool:
        return self in (AppealStatus.SENT_TO_ANKESTYRELSEN, AppealStatus.DECISION_CHANGED)


class AppealState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 0
    status: AppealStatus = AppealStatus.NOT_OPEN
    case_id: str | None = None
    decision_number: int = 0
    decided_at: datetime | None = None
    window_ends_at: datetime | None = None
    complaint: str | None = None
    late: bool = False
    lodged_at: datetime | None = None
    reconsideration_due_at: datetime | None = None
    reconsideration_overdue: bool = False
    reconsideration: DecisionReconsidered | None = None


def initial_appeal_state() -> AppealState:
    return AppealState()


# -- decide -----------------------------------------------------------------

RECONSIDERATION_PERIOD = timedelta(weeks=4)


def _open(state: AppealState, c: OpenAppealWindow) -> list[Event]:
    require(state.status is AppealStatus.NOT_OPEN, "the appeal window is already open", rule="appeal.already_open")
    return [
        AppealWindowOpened(
            occurred_at=c.at,
            actor=c.actor,
            case_id=c.case_id,
            decision_number=c.decision_number,
            outcome=c.outcome,
            decided_at=c.decided_at,
            window_ends_at=c.decided_at + c.window,
        )
    ]


def lodge(state: AppealState, c: LodgeAppeal, reconsideration: timedelta = RECONSIDERATION_PERIOD) -> list[Event]:
    require(
        c.actor.role in (Role.CITIZEN, Role.RELATIVE),
        f"an appeal is lodged by the citizen or a relative on their behalf; you act as {c.actor.role.value}",
        rule="appeal.role_not_allowed",
        field="actor.role",
    )
    require(
        state.status in (AppealStatus.WINDOW_OPEN, AppealStatus.WINDOW_CLOSED),
        "this decision is already appealed" if state.status is not AppealStatus.NOT_OPEN else "there is no decision to appeal yet",
        rule="appeal.already_lodged" if state.status is not AppealStatus.NOT_OPEN else "appeal.not_open",
    )
    late_by = c.at - state.window_ends_at if c.at > state.window_ends_at else None
    return [
        AppealLodged(
            occurred_at=c.at,
            actor=c.actor,
            complaint=c.complaint,
            late=late_by is not None,
            late_by=late_by,
            reconsideration_due_at=c.at + reconsideration,
        )
    ]


def _close_window(state: AppealState, c: CloseAppealWindow) -> list[Event]:
    require(state.status is AppealStatus.WINDOW_OPEN, "the appeal window is not open", rule="appeal.window_not_open")
    require(c.at >= state.window_ends_at, f"the appeal window ends {state.window_ends_at.isoformat()}", rule="appeal.window_not_ended")
    return [AppealWindowClosed(occurred_at=c.at, actor=c.actor, window_ends_at=state.window_ends_at)]


def _reconsider(state: AppealState, c: Reconsider) -> list[Event]:
    require(
        c.actor.role in (Role.CASEWORKER, Role.TEAM_LEAD),
        f"the municipality reconsiders: a caseworker or team lead; you act as {c.actor.role.value}",
        rule="appeal.role_not_allowed",
        field="actor.role",
    )
    require(
        state.status is AppealStatus.AWAITING_RECONSIDERATION,
        "there is no appeal awaiting reconsideration" + (f" (it is {state.status.value})" if state.status.settled else ""),
        rule="appeal.nothing_to_reconsider",
    )
    require(
        bool(c.reasons.strip()),
        f"the reconsideration gives its reasons ({RSL_66})",
        rule="appeal.reasons_required",
        field="reasons",
    )
    events: list[Event] = [DecisionReconsidered(occurred_at=c.at, actor=c.actor, outcome=c.outcome, reasons=c.reasons.strip())]
    if c.outcome is ReconsiderationOutcome.UPHELD:
        events.append(
            AppealSentToAnkestyrelsen(
                occurred_at=c.at,
                actor=c.actor,
                case_id=state.case_id or "",
                decision_number=state.decision_number,
                complaint=state.complaint or "",
                reconsideration_reasons=c.reasons.strip(),
                late=state.late,
            )
        )
    return events


def _overdue(state: AppealState, c: RecordReconsiderationOverdue) -> list[Event]:
    require(state.status is AppealStatus.AWAITING_RECONSIDERATION, "no appeal awaits reconsideration", rule="appeal.nothing_to_reconsider")
    require(not state.reconsideration_overdue, "already recorded as overdue", rule="appeal.already_overdue")
    require(c.at >= state.reconsideration_due_at, "the reconsideration is not yet due", rule="appeal.not_due")
    return [ReconsiderationOverdue(occurred_at=c.at, actor=c.actor, due_at=state.reconsideration_due_at)]


_SYSTEM_ONLY = (OpenAppealWindow, CloseAppealWindow, RecordReconsiderationOverdue)


def decide_appeal(state: AppealState, command: Command, *, reconsideration: timedelta = RECONSIDERATION_PERIOD) -> list[Event]:
    require(command.at is not None, "the command has no time; the workflow stamps it", rule="case.unstamped", field="at")
    if isinstance(command, _SYSTEM_ONLY):
        require(command.actor.role is Role.SYSTEM, "only the system records this", rule="case.role_not_allowed", field="actor.role")
    deciders: dict[type, Callable[[AppealState, Command], list[Event]]] = {
        OpenAppealWindow: _open,
        LodgeAppeal: lambda s, c: lodge(s, c, reconsideration),
        CloseAppealWindow: _close_window,
        Reconsider: _reconsider,
        RecordReconsiderationOverdue: _overdue,
    }
    decider = deciders.get(type(command))
    if decider is None:
        raise DomainError(f"'{command.title}' is not a command for an appeal", rule="appeal.unknown_command", field="type")
    return decider(state, command)


# -- evolve -----------------------------------------------------------------


def evolve_appeal(state: AppealState, event: Event) -> AppealState:
    update: dict = {"version": state.version + 1}
    match event:
        case AppealWindowOpened():
            update |= {
                "status": AppealStatus.WINDOW_OPEN,
                "case_id": event.case_id,
                "decision_number": event.decision_number,
                "decided_at": event.decided_at,
                "window_ends_at": event.window_ends_at,
            }
        case AppealLodged():
            update |= {
                "status": AppealStatus.AWAITING_RECONSIDERATION,
                "complaint": event.complaint,
                "late": event.late,
                "lodged_at": event.occurred_at,
                "reconsideration_due_at": event.reconsideration_due_at,
            }
        case AppealWindowClosed():
            update |= {"status": AppealStatus.WINDOW_CLOSED}
        case ReconsiderationOverdue():
            update |= {"reconsideration_overdue": True}
        case DecisionReconsidered():
            changed = event.outcome is ReconsiderationOutcome.CHANGED
            update |= {"reconsideration": event, **({"status": AppealStatus.DECISION_CHANGED} if changed else {})}
        case AppealSentToAnkestyrelsen():
            update |= {"status": AppealStatus.SENT_TO_ANKESTYRELSEN}
    return state.model_copy(update=update)


def fold_appeal(events: Iterable[Event], state: AppealState | None = None) -> AppealState:
    state = state if state is not None else initial_appeal_state()
    for event in events:
        state = evolve_appeal(state, event)
    return state


# -- in the case: a changed decision reopens it for a new decision ----------


class ReopenDecision(Command):
    """Issued by the case workflow when reconsideration of an appeal changed the decision."""

    title = "Reopen decision"
    issued_by_system = True
    type: Literal["reopen_decision"] = "reopen_decision"
    appeal_id: str
    reasons: str = ""


class DecisionReopened(Event):
    type: Literal["decision_reopened"] = "decision_reopened"
    appeal_id: str
    reasons: Annotated[str, Personal]

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 66"


def reopen_decision(state, c: ReopenDecision) -> list[Event]:
    require(c.actor.role is Role.SYSTEM, "only the system reopens a decision after reconsideration", rule="case.role_not_allowed", field="actor.role")
    require(state.decision is not None, "there is no decision to reopen", rule="appeal.no_decision")
    return [DecisionReopened(occurred_at=c.at, actor=c.actor, appeal_id=c.appeal_id, reasons=c.reasons)]


__all__ = ["ANKESTYRELSEN", "RSL_66", "RSL_67", "appeal_id"]
