"""DailyDeliveryWorkflow: the day's FFB delivery reports to KL Gateway.

A Temporal schedule starts it once a day. It asks the audit log for the last
day whose delivery completed and delivers every day since, one day at a time
and each report covering that one day only (the guide's catch-up rule), up to
yesterday. Per day: the cases that changed, then per case one activity that
builds, validates and delivers the citizen's report (retried on transport
errors). Every outcome is an event in the stream ``kl-gateway-deliveries``,
decided by the delivery's decider (``domain.kl_delivery``) on where the
delivery stands; a refused report is not sent and its case owner is told why. A
day closes (``KLDeliveryDayCompleted``) only when no delivery failed in
transport, so the next run starts again from that day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.kl_gateway.messages import (
        ChangedCases,
        ChangedCasesRequest,
        DeliverRequest,
        DeliveryOutcome,
        DeliveryStatus,
    )
    from domain.kl_delivery import (
        DELIVERY_STREAM,
        CompleteDeliveryDay,
        KLDeliveryState,
        RecordDeliveryFailed,
        RecordReportDelivered,
        RecordReportRejected,
        decide_delivery,
        fold_delivery,
    )
    from domain.messages import SYSTEM_ACTOR, Command, Event

with workflow.unsafe.imports_passed_through():
    from workflows.recording import ACTIVITY_TIMEOUT, DURABLE_RETRY, append_events, send_notification
    from workflows.shell import decided

#: Days are Danish calendar days: UTC+1 in winter, UTC+2 in summer. The
#: workflow only needs "which day has ended"; two hours after UTC midnight
#: every Danish day before it has.
DANISH_DAY_ENDED = timedelta(hours=2)


#: Cases per page: one activity lists them, their outcomes are one append.
#: A page's events stay far below Temporal's 2 MB payload limit.
CASES_PER_PAGE = 200
#: A run continues as new (carrying where it is, not its events) past this many
#: history events, well under Temporal's limits, or when the server suggests it.
HISTORY_BOUND = 10_000


class DayProgress(BaseModel):
    """Where a day's delivery stood when its run continued as new."""

    model_config = ConfigDict(frozen=True)

    day: date
    after_position: int
    version: int
    delivered: int = 0
    rejected: int = 0
    failed: int = 0


class DailyDeliveryInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_day: date | None = None  # where to start when nothing was ever delivered (default: yesterday)
    until_day: date | None = None  # the last day to deliver (default: yesterday)
    max_days: int = 62  # catch up at most this many days in one run
    max_attempts: int = 5  # delivery attempts per report
    cases_per_page: int = CASES_PER_PAGE
    history_bound: int = HISTORY_BOUND
    #: Carried over a continue-as-new: the day in progress and the totals so far.
    resume: DayProgress | None = None
    carried: dict | None = None


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
    def __init__(self) -> None:
        self._state = KLDeliveryState()

    @workflow.run
    async def run(self, input: DailyDeliveryInput) -> DailyDeliveryResult:
        status = await workflow.execute_activity(
            "kl_delivery_status",
            result_type=DeliveryStatus,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=DURABLE_RETRY,
        )
        # Where the delivery stands decides what may be recorded: the log's last completed day.
        self._state = KLDeliveryState(last_completed=status.last_day)
        until = input.until_day or yesterday(workflow.now())
        day = status.last_day + timedelta(days=1) if status.last_day else (input.first_day or until)
        version = status.version
        result = dict(input.carried or {"days": [], "delivered": 0, "rejected": 0, "failed": 0, "stopped_at": None})
        resume = input.resume if input.resume is not None and input.resume.day == day else None
        while day <= until and len(result["days"]) < input.max_days:
            progress = resume or DayProgress(day=day, after_position=0, version=version)
            resume = None
            outcome = await self._deliver_day(progress, input)
            if isinstance(outcome, DayProgress):  # the run is long: go on in a new one from here
                workflow.continue_as_new(input.model_copy(update={"resume": outcome, "carried": result}))
            version, delivered, rejected, failed = outcome
            result["days"].append(day)
            result["delivered"] += delivered
            result["rejected"] += rejected
            result["failed"] += failed
            if failed:
                result["stopped_at"] = day
                break
            day += timedelta(days=1)
            if self._long(input):
                workflow.continue_as_new(input.model_copy(update={"resume": None, "carried": result}))
        return DailyDeliveryResult(**result)

    @staticmethod
    def _long(input: DailyDeliveryInput) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > input.history_bound

    async def _deliver_day(
        self, progress: DayProgress, input: DailyDeliveryInput
    ) -> tuple[int, int, int, int] | DayProgress:
        """Delivers the day page by page: (version, delivered, rejected, failed) when
        the day is done, or where it stands when the run should continue as new."""
        day, after, version = progress.day, progress.after_position, progress.version
        delivered, rejected, failed = progress.delivered, progress.rejected, progress.failed
        while True:
            page = await workflow.execute_activity(
                "kl_cases_changed_on", ChangedCasesRequest(day=day, after_position=after, limit=input.cases_per_page),
                result_type=ChangedCases, start_to_close_timeout=timedelta(minutes=5), retry_policy=DURABLE_RETRY,
            )  # fmt: skip
            last_page = page.next_after is None
            # The day closes with its last page (when no page of it failed in transport: the decider's rule).
            closing = (delivered, rejected, failed) if last_page else None
            version, counts = await self._deliver_page(day, page.cases, version, input, close_day=closing)
            delivered, rejected = delivered + counts[0], rejected + counts[1]
            failed += counts[2]
            if last_page:
                return version, delivered, rejected, failed
            after = page.next_after
            if self._long(input):
                return DayProgress(day=day, after_position=after, version=version, delivered=delivered,
                                   rejected=rejected, failed=failed)  # fmt: skip

    def _decide(self, command: Command, at: datetime) -> list[Event]:
        """The events the delivery's decider makes of one of the workflow's own commands, at the
        page's time; a refusal (a bug, never a person's input) fails the run, not only its task."""
        return decided(decide_delivery, self._state, command, at=at)

    async def _deliver_page(
        self,
        day: date,
        cases: list[str],
        version: int,
        input: DailyDeliveryInput,
        *,
        close_day: tuple[int, int, int] | None,
    ) -> tuple[int, tuple[int, int, int]]:
        """Delivers one page of the day's cases and appends their outcomes (and, with
        ``close_day`` = the day's earlier pages' counts, the day's completion)."""
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
                events += self._decide(RecordDeliveryFailed(actor=SYSTEM_ACTOR, day=day, case_id=case_id,
                                                            error=str(cause)[:1000]), now)  # fmt: skip
                continue
            if outcome.status == "delivered":
                delivered += 1
                events += self._decide(
                    RecordReportDelivered(
                        actor=SYSTEM_ACTOR,
                        day=day,
                        case_id=case_id,
                        report_id=outcome.report_id or "",
                        sha256=outcome.sha256,
                        resources=outcome.resources,
                        target=outcome.target,
                        receipt=outcome.receipt,
                    ),
                    now,
                )
            elif outcome.status == "rejected":
                rejected += 1
                events += self._decide(RecordReportRejected(actor=SYSTEM_ACTOR, day=day, case_id=case_id,
                                                            report_id=outcome.report_id or "",
                                                            violations=outcome.violations), now)  # fmt: skip
                reasons = "\n".join(f"- [{v.rule}] {v.message}" for v in outcome.violations)
                await send_notification(
                    case_id,
                    outcome.case_owner or "kl-gateway-support",
                    "kl_report_rejected",
                    f"Indberetning til KL Gateway for {day.isoformat()} er ikke sendt",
                    f"Sag {case_id}: indberetningen (FFB) for {day.isoformat()} blev afvist af valideringen og er ikke sendt.\n"
                    f"Ret sagen; ændringen indberettes den dag, den foretages.\n{reasons}",
                )
        if close_day is not None:
            events += self._decide(CompleteDeliveryDay(actor=SYSTEM_ACTOR, day=day,
                                                       delivered=close_day[0] + delivered,
                                                       rejected=close_day[1] + rejected,
                                                       failed=close_day[2] + failed), now)  # fmt: skip
        if events:
            receipt = await append_events(DELIVERY_STREAM, version, events)
            version = receipt.version
            self._state = fold_delivery(events, self._state)
        return version, (delivered, rejected, failed)
