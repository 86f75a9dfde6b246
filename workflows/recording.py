"""Writing a workflow's events to the event log and sending its letters: the
activity calls every workflow shares, with one timeout and retry policy."""

from __future__ import annotations

import uuid
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


async def append_events(
    stream_id: str,
    expected_version: int,
    events: list[Event],
    key_of: str | None = None,
    issuer: str | None = None,
    key_per_event: bool = False,
) -> AppendReceipt:
    """Appends with ids from ``workflow.uuid4()``, so a retried activity writes nothing twice.

    A regular activity: its input is written to the workflow's history when it
    is scheduled, so a retry appends exactly what was decided. The forum and
    the daily delivery append this way (few commands, no need to reconcile);
    a case and an appeal use ``record_locally``, except those started before
    that, whose histories replay through here."""
    return await workflow.execute_activity(
        "append_case_events",
        AppendRequest(
            case_id=stream_id,
            expected_version=expected_version,
            events=[RecordedEvent(event_id=str(workflow.uuid4()), event=event, issuer=issuer) for event in events],
            key_of=key_of,
            key_per_event=key_per_event,
        ),
        result_type=AppendReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=DURABLE_RETRY,
    )


#: Names the ids of the events an update records (uuid5 needs a namespace).
_EVENT_IDS = uuid.UUID("6f1d2c52-3b8e-4f0a-9a51-0c7d5e2b9a10")


def command_event_ids(workflow_id: str, run_id: str, request_id: str, count: int) -> list[str]:
    """The ids of the events one command records: the same for every delivery of the command."""
    return [str(uuid.uuid5(_EVENT_IDS, f"{workflow_id}/{run_id}/{request_id}/{n}")) for n in range(count)]


async def record_case_events(
    case_id: str, expected_version: int, events: list[Event], request_id: str | None, *, issuer: str | None = None
) -> AppendReceipt:
    """Appends a case's events through a local activity, in the workflow task
    that decided them: one server round trip per command instead of three
    (``record_locally``)."""
    return await record_locally(case_id, expected_version, events, request_id, issuer=issuer)


async def record_appeal_events(
    appeal_id: str,
    case_id: str,
    expected_version: int,
    events: list[Event],
    request_id: str | None,
    *,
    issuer: str | None = None,
) -> AppendReceipt:
    """An appeal's events, appended as a case's are (``record_locally``): an appeal
    opens its window in its first workflow task, with no activity task and no
    second workflow task. Its personal fields (the complaint) are under the case's
    key: the citizen's."""
    return await record_locally(appeal_id, expected_version, events, request_id, key_of=case_id, issuer=issuer)


async def record_locally(
    stream_id: str,
    expected_version: int,
    events: list[Event],
    request_id: str | None,
    key_of: str | None = None,
    issuer: str | None = None,
) -> AppendReceipt:
    """Appends through a local activity, in the workflow task that decided the events.

    A local activity's input is not in history before it runs, so a worker
    that dies after the append but before its workflow task completes leaves
    the log ahead of the workflow; the next worker decides the command again,
    with a later clock. The append therefore reconciles (``reconcile=True``):
    it answers with what the log holds, and the caller folds that, never its
    own second decision. The event ids of a caller's command come from the
    update's id, which Temporal delivers again unchanged, so the log's copy of
    this very command is recognised whatever else ran first; the workflow's
    own commands (timers) draw ids from ``workflow.uuid4()``."""
    if request_id is None:
        ids = [str(workflow.uuid4()) for _ in events]
    else:
        info = workflow.info()
        ids = command_event_ids(info.workflow_id, info.run_id, request_id, len(events))
    return await workflow.execute_local_activity(
        "append_case_events",
        AppendRequest(
            case_id=stream_id,
            expected_version=expected_version,
            events=[
                RecordedEvent(event_id=event_id, event=event, issuer=issuer)
                for event_id, event in zip(ids, events, strict=True)
            ],
            reconcile=True,
            key_of=key_of,
        ),
        result_type=AppendReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=DURABLE_RETRY,
    )


async def send_notification(stream_id: str, recipient: str, kind: str, subject: str, body: str) -> None:
    """Puts a letter in the outbox, once per message id (``workflow.uuid4()``).

    A local activity: the outbox ignores a message id it already holds, so a
    letter written again by a worker that replaced a dead one is not sent twice."""
    notification = Notification(
        message_id=str(workflow.uuid4()),
        case_id=stream_id,
        recipient=recipient,
        kind=kind,
        subject=subject,
        body=body,
    )
    await workflow.execute_local_activity(
        "send_notification",
        notification,
        result_type=bool,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=DURABLE_RETRY,
    )
