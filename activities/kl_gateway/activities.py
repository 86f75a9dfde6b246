"""Activities of the daily delivery to KL Gateway: which cases changed on a day,
build + validate + deliver one citizen's report, and where the delivery stands.

Plain ``def`` activities (SQLAlchemy blocks; the worker runs them in threads).
The report is built here, from the event log through the read model that
decrypts personal fields, and never travels through the workflow's history."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.kl_gateway.delivery import FolderDelivery, GatewayRejected, HttpDelivery
from activities.kl_gateway.messages import (
    ChangedCases,
    ChangedCasesRequest,
    DeliverRequest,
    DeliveryOutcome,
    DeliveryStatus,
)
from activities.kl_gateway.projection import ReportContext, build_report, sha256
from activities.kl_gateway.settings import GatewaySettings
from activities.kl_gateway.validation import validate_delivery_report
from activities.readmodels import ErasedRecord, case_events
from domain.case.need import NeedRegistered
from domain.kl_delivery import DELIVERY_STREAM, RuleBroken
from eventlog import EventStore
from eventlog.keystore import KeyStore
from projections import queries
from projections.changes import ChangesByDay
from projections.projector import Projector

log = structlog.get_logger("samskab.kl_gateway")


def last_delivered_day(store: EventStore) -> DeliveryStatus:
    events = store.read_stream(DELIVERY_STREAM)
    days = [date.fromisoformat(e.payload["day"]) for e in events if e.event_type == "kl_delivery_day_completed"]
    return DeliveryStatus(last_day=max(days) if days else None, version=len(events) and events[-1].stream_version)


def case_report(
    store: EventStore, keys: KeyStore, case_id: str, day: date, ctx: ReportContext
) -> tuple[dict | None, str | None]:
    """The case's delivery report for ``day`` (or None), and the case owner (caseworker)."""
    events = case_events(store, case_id, keys)
    if any(isinstance(e, ErasedRecord) for e in events):
        return None, None  # the citizen was erased: nothing can be reported about them
    owner = next((getattr(e, "caseworker_id", None) for e in events if getattr(e, "caseworker_id", None)), None)
    if owner is None:
        owner = next((e.actor.id for e in events if isinstance(e, NeedRegistered)), None)
    return build_report(case_id, events, day, ctx), owner  # type: ignore[arg-type]


class KLGatewayActivities:
    def __init__(
        self, store: EventStore, keys: KeyStore, gateway: GatewaySettings, municipality: str, data_dir: Path
    ) -> None:
        self._store = store
        self._keys = keys
        self._gateway = gateway
        self._ctx = gateway.context(municipality)
        self._changes = Projector(store, [ChangesByDay(store)])
        self._changes.create_schema()
        self._delivery: HttpDelivery | FolderDelivery
        if gateway.endpoint:
            self._delivery = HttpDelivery(gateway.endpoint, gateway.token, gateway.timeout_seconds)
        else:
            self._delivery = FolderDelivery(gateway.delivery_folder(data_dir))

    @activity.defn(name="kl_delivery_status")
    def status(self) -> DeliveryStatus:
        return last_delivered_day(self._store)

    @activity.defn(name="kl_cases_changed_on")
    def changed_on(self, request: ChangedCasesRequest) -> ChangedCases:
        """A page of the day's changed cases, from the changes-by-day read model.

        The read model is brought up to the log's head first (safe beside the
        worker's own projector), so a case that changed just before the day
        ended is never missed because the projector was behind."""
        self._changes.catch_up()
        cases, next_after = queries.cases_changed_page(self._store.engines, request.day, after_position=request.after_position,
                                                      limit=request.limit)  # fmt: skip
        return ChangedCases(cases=cases, next_after=next_after)

    @activity.defn(name="kl_deliver_report")
    def deliver(self, request: DeliverRequest) -> DeliveryOutcome:
        report, owner = case_report(self._store, self._keys, request.case_id, request.day, self._ctx)
        if report is None:
            return DeliveryOutcome(case_id=request.case_id, day=request.day, status="nothing")
        common = dict(
            case_id=request.case_id,
            day=request.day,
            report_id=report["id"],
            sha256=sha256(report),
            resources=len(report["entry"]),
            case_owner=owner,
        )
        violations = validate_delivery_report(report)
        if violations:
            log.warning(
                "kl report refused by validation",
                case_id=request.case_id,
                day=str(request.day),
                rules=[v.rule for v in violations],
            )
            return DeliveryOutcome(
                status="rejected",
                # the path leads the message: the recorded RuleBroken keeps its fields (rule, message, resource)
                violations=tuple(
                    RuleBroken(
                        rule=v.rule, message=f"{v.path}: {v.message}" if v.path else v.message, resource=v.resource
                    )
                    for v in violations
                ),
                **common,
            )
        try:
            receipt = self._delivery.send(report, request.day, request.case_id)
        except GatewayRejected as error:
            raise ApplicationError(str(error), type="GatewayRejected", non_retryable=True) from error
        log.info("kl report delivered", case_id=request.case_id, day=str(request.day), target=receipt.target)
        return DeliveryOutcome(status="delivered", target=receipt.target, receipt=receipt.receipt, **common)
