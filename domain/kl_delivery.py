"""What the daily delivery to KL Gateway records in the audit log.

Each delivery report sent, refused by our own validation, or failed in
transport is an event of the stream ``kl-gateway-deliveries``, and a day is
closed with ``KLDeliveryDayCompleted`` once every changed citizen of that day
is delivered or refused. The events refer to the case id and the report's id
and checksum, never to the CPR number: the report itself lives where it was
delivered (the folder, or the gateway).

The delivery is a decider of its own (``decide_delivery``, ``evolve_delivery``),
the delivery workflow its only writer, so the commands are the system's: days
are delivered one at a time in order (the guide's catch-up rule: each report
covers one day), nothing more is recorded for a day once it is completed, and
a day is completed only when none of its deliveries failed in transport, so
the next run delivers it again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import require
from domain.messages import Command, Event, require_declared_role

DELIVERY_STREAM = "kl-gateway-deliveries"


class RuleBroken(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    message: str
    resource: str | None = None


class KLReportDelivered(Event):
    type: Literal["kl_report_delivered"] = "kl_report_delivered"
    label = "Indberetning leveret til KL"
    day: date
    case_id: str
    report_id: str
    sha256: str
    resources: int
    target: str  # "folder" or "http"
    receipt: str  # the file written, or the gateway's answer


class KLReportRejected(Event):
    """Our validation refused the report: it was not sent; the case owner is told why."""

    type: Literal["kl_report_rejected"] = "kl_report_rejected"
    label = "Indberetning afvist af vores kontrol"
    day: date
    case_id: str
    report_id: str
    violations: tuple[RuleBroken, ...]


class KLDeliveryFailed(Event):
    type: Literal["kl_delivery_failed"] = "kl_delivery_failed"
    label = "Levering til KL mislykkedes"
    day: date
    case_id: str
    report_id: str | None = None
    error: str


class KLDeliveryDayCompleted(Event):
    type: Literal["kl_delivery_day_completed"] = "kl_delivery_day_completed"
    label = "Dagens levering til KL afsluttet"
    day: date
    delivered: int
    rejected: int


KL_DELIVERY_EVENTS = (KLReportDelivered, KLReportRejected, KLDeliveryFailed, KLDeliveryDayCompleted)


# -- commands: what the delivery workflow records ------------------------------------


class _DeliveryCommand(Command):
    """What the delivery workflow records of one day; no person gives it. Its fields are
    what the delivery's activities answered, unbounded: a bound the workflow could break
    would fail its task over and over, not refuse a caller."""

    issued_by_system = True
    day: date


class RecordReportDelivered(_DeliveryCommand):
    title = "Record a report delivered"
    type: Literal["record_kl_report_delivered"] = "record_kl_report_delivered"
    label = "Registrér indberetning leveret til KL"
    case_id: str
    report_id: str
    sha256: str
    resources: int = Field(ge=0)
    target: str
    receipt: str


class RecordReportRejected(_DeliveryCommand):
    title = "Record a report rejected"
    type: Literal["record_kl_report_rejected"] = "record_kl_report_rejected"
    label = "Registrér indberetning afvist af vores kontrol"
    case_id: str
    report_id: str
    violations: tuple[RuleBroken, ...]


class RecordDeliveryFailed(_DeliveryCommand):
    title = "Record a delivery failed"
    type: Literal["record_kl_delivery_failed"] = "record_kl_delivery_failed"
    label = "Registrér levering til KL mislykket"
    case_id: str
    error: str


class CompleteDeliveryDay(_DeliveryCommand):
    """The day's last page is delivered: the run's tallies of the day, over all its pages."""

    title = "Complete a delivery day"
    type: Literal["complete_kl_delivery_day"] = "complete_kl_delivery_day"
    label = "Afslut dagens levering til KL"
    delivered: int = Field(ge=0)
    rejected: int = Field(ge=0)
    failed: int = Field(ge=0)


KL_DELIVERY_COMMANDS: tuple[type[Command], ...] = (
    RecordReportDelivered,
    RecordReportRejected,
    RecordDeliveryFailed,
    CompleteDeliveryDay,
)


# -- state, decide, evolve ----------------------------------------------------------


class KLDeliveryState(BaseModel):
    """Where the delivery stands: the last day completed (None before the first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    last_completed: date | None = None


def initial_delivery_state() -> KLDeliveryState:
    return KLDeliveryState()


def _open_day(state: KLDeliveryState, c: _DeliveryCommand) -> None:
    """Days are delivered one at a time, in order: the next is the one after the last completed."""
    last = state.last_completed
    require(last is None or c.day > last, f"the delivery of {c.day.isoformat()} is completed already",
            rule="kl_delivery.day_completed", field="day")  # fmt: skip
    require(last is None or c.day == last + timedelta(days=1),
            f"days are delivered in order: the next is {last + timedelta(days=1) if last else c.day}, "
            f"not {c.day.isoformat()}", rule="kl_delivery.out_of_order", field="day")  # fmt: skip


def _delivered(c: RecordReportDelivered) -> list[Event]:
    return [KLReportDelivered(occurred_at=c.now, actor=c.actor, day=c.day, case_id=c.case_id, report_id=c.report_id,
                              sha256=c.sha256, resources=c.resources, target=c.target, receipt=c.receipt)]  # fmt: skip


def _rejected(c: RecordReportRejected) -> list[Event]:
    return [KLReportRejected(occurred_at=c.now, actor=c.actor, day=c.day, case_id=c.case_id, report_id=c.report_id,
                             violations=c.violations)]  # fmt: skip


def _failed(c: RecordDeliveryFailed) -> list[Event]:
    return [KLDeliveryFailed(occurred_at=c.now, actor=c.actor, day=c.day, case_id=c.case_id, error=c.error)]


def _complete(c: CompleteDeliveryDay) -> list[Event]:
    """The day is completed, unless a delivery of it failed in transport: then nothing
    happens, the day stays open and the next run delivers it again."""
    if c.failed:
        return []
    return [KLDeliveryDayCompleted(occurred_at=c.now, actor=c.actor, day=c.day, delivered=c.delivered,
                                   rejected=c.rejected)]  # fmt: skip


# Each decider takes the one command class it is filed under; a dict's type cannot say so, hence Any.
_DECIDERS: dict[type[Command], Callable[[Any], list[Event]]] = {
    RecordReportDelivered: _delivered,
    RecordReportRejected: _rejected,
    RecordDeliveryFailed: _failed,
    CompleteDeliveryDay: _complete,
}


def decide_delivery(state: KLDeliveryState, command: Command) -> list[Event]:
    require(command.at is not None, "the command has no time", rule="kl_delivery.unstamped", field="at")
    require_declared_role(command, rule="kl_delivery.role_not_allowed")
    assert isinstance(command, _DeliveryCommand)  # the only commands filed below
    _open_day(state, command)
    return _DECIDERS[type(command)](command)


def evolve_delivery(state: KLDeliveryState, event: Event) -> KLDeliveryState:
    """Only a completed day changes where the delivery stands (the latest completed, as the
    delivery has always read it); the outcomes are its record."""
    if isinstance(event, KLDeliveryDayCompleted):
        last = state.last_completed
        return state.model_copy(update={"last_completed": event.day if last is None else max(last, event.day)})
    return state


def fold_delivery(events: Iterable[Event], state: KLDeliveryState | None = None) -> KLDeliveryState:
    state = state if state is not None else initial_delivery_state()
    for event in events:
        state = evolve_delivery(state, event)
    return state
