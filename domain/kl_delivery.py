"""What the daily delivery to KL Gateway records in the audit log.

Each delivery report sent, refused by our own validation, or failed in
transport is an event of the stream ``kl-gateway-deliveries``, and a day is
closed with ``KLDeliveryDayCompleted`` once every changed citizen of that day
is delivered or refused. The events refer to the case id and the report's id
and checksum, never to the CPR number: the report itself lives where it was
delivered (the folder, or the gateway)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.messages import Event

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
