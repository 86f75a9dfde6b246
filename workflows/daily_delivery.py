"""DailyDeliveryWorkflow: the day's FFB delivery reports to KL Gateway.

A Temporal schedule starts it once a day. It asks the audit log for the last
day whose delivery completed and delivers every day since, one day at a time
and each report covering that one day only (the guide's catch-up rule), up to
yesterday. Per day: the cases that changed, then per case one activity that
builds, validates and delivers the citizen's report (retried on transport
errors). Every outcome is an event in the stream ``kl-gateway-deliveries``;
a refused report is not sent and its case owner is told why. A day closes
(``KLDeliveryDayCompleted``) only when no delivery failed in transport, so the
next run starts again from that day.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.kl_gateway.messages import DeliverRequest, DeliveryOutcome, DeliveryStatus
    from domain.kl_delivery import (
        DELIVERY_STREAM,
        KLDeliveryDayCompleted,
        KLDeliveryFailed,
        KLReportDelivered,
        KLReportRejected,
    )
    from domain.messages import SYSTEM_ACTOR, Event

with workflow.unsafe.imports_passed_through():
    from workflows.changes import BEFORE_VERSIONS
    from workflows.recording import ACTIVITY_TIMEOUT, DURABLE_RETRY, append_events, send_notification

#: Days are Danish calendar days: UTC+1 in winter, UTC+2 in summer. The
#: workflow only needs "which day has ended"; two hours after UTC midnight
#: every Danish day before it has.
DANISH_DAY_ENDED = timedelta(hours=2)


class DailyDeliveryInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_day: date | None = None  # where to start when nothing was ever delivered (default: yesterday)
    until_day: date | None = None  # the last day to deliver (default: yesterday)
    max_days: int = 62  # catch up at most this many days in one run
    max_attempts: int = 5  # delivery attempts per report


class DailyDeliveryResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: list[date]
    delivered: int
    rejected: int
    failed: int
    stopped_at: date | None = None  # the day left open by a failed delivery


def yesterday(now_utc) -> date:
    return (now_utc - DANISH_DAY_ENDED).date() - timedelta(days=1)


@workflow.defn
class DailyDeliveryWorkflow:
    @workflow.run
    async def run(self, input: DailyDeliveryInput) -> DailyDeliveryResult:
        status = await workflow.execute_activity(
            "kl_delivery_status", result_type=DeliveryStatus, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=DURABLE_RETRY
        )
        until = input.until_day or yesterday(workflow.now())
        day = status.last_day + timedelta(days=1) if status.last_day else (input.first_day or until)
        version = status.version
        result = {"days": [], "delivered": 0, "rejected": 0, "failed": 0, "stopped_at": None}
        while day <= until and len(result["days"]) < input.max_days:
            version, failed = await self._deliver_day(day, version, input, result)
            result["days"].append(day)
            if failed:
                result["stopped_at"] = day
                break
            day += timedelta(days=1)
        return DailyDeliveryResult(**result)

    async def _deliver_day(self, day: date, version: int, input: DailyDeliveryInput, result: dict) -> tuple[int, bool]:
        cases = await workflow.execute_activity(
            "kl_cases_changed_on", day, result_type=list[str], start_to_close_timeout=timedelta(minutes=5), retry_policy=DURABLE_RETRY
        )
        now = workflow.now()
        events: list[Event] = []
        delivered = rejected = failed = 0
        for case_id in cases:
            try:
                outcome = await workflow.execute_activity(
                    "kl_deliver_report",
                    DeliverRequest(case_id=case_id, day=day),
                    result_type=DeliveryOutcome,
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(seconds=5),
                        backoff_coefficient=2.0,
                        maximum_interval=timedelta(minutes=5),
                        maximum_attempts=input.max_attempts,
                        non_retryable_error_types=["GatewayRejected"],
                    ),
                )
            except ActivityError as error:
                cause = error.cause or error
                failed += 1
                events.append(
                    KLDeliveryFailed(occurred_at=now, actor=SYSTEM_ACTOR, day=day, case_id=case_id, error=str(cause)[:1000])
                )
                continue
            if outcome.status == "delivered":
                delivered += 1
                events.append(
                    KLReportDelivered(
                        occurred_at=now,
                        actor=SYSTEM_ACTOR,
                        day=day,
                        case_id=case_id,
                        report_id=outcome.report_id or "",
                        sha256=outcome.sha256,
                        resources=outcome.resources,
                        target=outcome.target,
                        receipt=outcome.receipt,
                    )
                )
            elif outcome.status == "rejected":
                rejected += 1
                events.append(
                    KLReportRejected(
                        occurred_at=now,
                        actor=SYSTEM_ACTOR,
                        day=day,
                        case_id=case_id,
                        report_id=outcome.report_id or "",
                        violations=outcome.violations,
                    )
                )
                reasons = "\n".join(f"- [{v.rule}] {v.message}" for v in outcome.violations)
                await send_notification(
                    case_id,
                    outcome.case_owner or "kl-gateway-support",
                    "kl_report_rejected",
                    f"Indberetning til KL Gateway for {day.isoformat()} er ikke sendt",
                    f"Sag {case_id}: indberetningen (FFB) for {day.isoformat()} blev afvist af valideringen og er ikke sendt.\n"
                    f"Ret sagen; ændringen indberettes den dag, den foretages.\n{reasons}",
                    code_version=BEFORE_VERSIONS,  # the daily delivery is versioned by its patch markers
                )
        if not failed:
            events.append(KLDeliveryDayCompleted(occurred_at=now, actor=SYSTEM_ACTOR, day=day, delivered=delivered, rejected=rejected))
        if events:
            receipt = await append_events(DELIVERY_STREAM, version, events)
            version = receipt.version
        result["delivered"] += delivered
        result["rejected"] += rejected
        result["failed"] += failed
        return version, failed > 0
