"""Writing a workflow's events to the event log and sending its letters: the
activity calls every workflow shares, with one timeout and retry policy."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.messages import AppendReceipt, AppendRequest, Notification, RecordedEvent
    from domain.messages import Event

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# The event log may be down for a while (a database restart); the append is
# idempotent, so keep trying rather than lose the decision.
DURABLE_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=["ConcurrencyConflict", "IdempotencyMismatch"],
)


async def append_events(stream_id: str, expected_version: int, events: list[Event]) -> AppendReceipt:
    """Appends with ids from ``workflow.uuid4()``, so a retried activity writes nothing twice.

    A regular activity, not a local one, on purpose: its input is written to
    the workflow's history when it is scheduled. A local activity's is not, so
    a worker killed mid-append would have the next worker decide the command
    again with a later ``workflow.now()``: the log would keep the first
    recording (same event id) while the workflow folded the second."""
    return await workflow.execute_activity(
        "append_case_events",
        AppendRequest(
            case_id=stream_id,
            expected_version=expected_version,
            events=[RecordedEvent(event_id=str(workflow.uuid4()), event=event) for event in events],
        ),
        result_type=AppendReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=DURABLE_RETRY,
    )


async def send_notification(stream_id: str, recipient: str, kind: str, subject: str, body: str) -> None:
    await workflow.execute_activity(
        "send_notification",
        Notification(
            message_id=str(workflow.uuid4()),
            case_id=stream_id,
            recipient=recipient,
            kind=kind,
            subject=subject,
            body=body,
        ),
        result_type=bool,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=DURABLE_RETRY,
    )
