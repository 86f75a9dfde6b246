"""What crosses between DailyDeliveryWorkflow and its activities (no database imports)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.kl_delivery import RuleBroken


class DeliveryStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    last_day: date | None  # the last day whose delivery completed
    version: int  # of the delivery stream, for the next append


class ChangedCasesRequest(BaseModel):
    """One page of the cases that changed on ``day``, after the position the page before ended at."""

    model_config = ConfigDict(frozen=True)

    day: date
    after_position: int = 0
    limit: int = 200


class ChangedCases(BaseModel):
    model_config = ConfigDict(frozen=True)

    cases: list[str]
    #: Where the next page starts; None when this was the last.
    next_after: int | None


class DeliverRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    day: date


class DeliveryOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    day: date
    status: Literal["delivered", "rejected", "nothing"]
    report_id: str | None = None
    sha256: str = ""
    resources: int = 0
    target: str = ""
    receipt: str = ""
    violations: tuple[RuleBroken, ...] = ()
    case_owner: str | None = None  # the caseworker told when the report is refused
