"""Runs a samskab worker: ``python worker.py``.

Connects to Temporal as the settings say, registers the case workflow and its
activities, and shuts down gracefully on SIGINT or SIGTERM (in-flight
activities finish first).
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.eventlog import EventLogActivities, open_event_store
from activities.kl_gateway.activities import KLGatewayActivities
from activities.kl_gateway.settings import GatewaySettings
from activities.notifications import NotificationActivities
from app.keys import open_key_store, trusted_issuers
from app.logging import configure_logging
from app.settings import Settings, get_settings
from app.startup_checks import StartupRefused
from app.startup_checks import check as check_startup
from app.temporal import TemporalUnavailable, connect, ensure_search_attributes
from eventlog.outbox import Outbox
from projections.setup import build_projector, projector_running
from workflows.appeal import AppealWorkflow
from workflows.case import CaseWorkflow
from workflows.daily_delivery import DailyDeliveryWorkflow
from workflows.forum import ForumWorkflow
from workflows.issuers import trust

log = structlog.get_logger("samskab.worker")

GRACEFUL_SHUTDOWN = timedelta(seconds=10)

#: Workflows run without Temporal's sandbox. The sandbox imported our workflow
#: modules afresh for every run (about 90 KiB and a compile per open case) and
#: wrapped every activation (a quarter of the worker's CPU per command); with
#: our modules passed through, all it still caught was a call to a builtin
#: such as open(). Determinism is guarded where it costs nothing at run time:
#: tests/workflows/test_workflow_code_rules.py reads workflows/ for clock,
#: random and I/O calls on every path, test_determinism.py runs the whole
#: lifecycle in the strict sandbox, and committed histories must replay.
WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()


class ContextThreads(ThreadPoolExecutor):
    """The activities' threads, each call run in the context it was submitted from (asyncio's
    run_in_executor does not carry contextvars over), so an activity's SQL is traced under
    the activity's span when tracing is on; copying a context costs next to nothing."""

    def submit(self, fn, /, *args, **kwargs):
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def build_worker(client: Client, settings: Settings, store, outbox: Outbox | None = None, **options) -> Worker:
    """A worker for the case workflows; ``outbox`` defaults to the one beside the event log."""
    activities = EventLogActivities(store, open_key_store(store, settings))
    if outbox is None:
        outbox = Outbox(settings.database_url)
        outbox.create_schema(upgrade=not settings.production)
    if outbox.keys is None:  # letters are encrypted under the citizen's key, so erasure reaches them
        outbox.keys = open_key_store(store, settings)
    notifications = NotificationActivities(outbox)
    # The front doors whose signed commands this worker's workflows accept (``workflows.issuers``).
    trust(settings.task_queue, options.pop("trusted_issuers", None) or trusted_issuers(settings))
    gateway = options.pop("kl_gateway", None) or GatewaySettings()
    kl_gateway = KLGatewayActivities(
        store, open_key_store(store, settings), gateway, settings.municipality, settings.data_dir
    )
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CaseWorkflow, ForumWorkflow, AppealWorkflow, DailyDeliveryWorkflow],
        activities=[
            activities.append,
            activities.erase_forum_text,
            activities.pilot_proposal,
            notifications.send,
            kl_gateway.status,
            kl_gateway.changed_on,
            kl_gateway.deliver,
        ],
        activity_executor=ContextThreads(settings.worker_activity_threads, thread_name_prefix="samskab-activity"),
        workflow_runner=options.pop("workflow_runner", WORKFLOW_RUNNER),
        graceful_shutdown_timeout=options.pop("graceful_shutdown_timeout", GRACEFUL_SHUTDOWN),
        **{**tuning(settings), **options},
    )


def tuning(settings: Settings) -> dict:
    """The worker's slots, cache and sticky timeout as the settings give them (``Settings.worker_*``)."""
    return {
        "max_cached_workflows": settings.worker_max_cached_workflows,
        "max_concurrent_workflow_tasks": settings.worker_max_concurrent_workflow_tasks,
        "max_concurrent_activities": settings.worker_max_concurrent_activities,
        "max_concurrent_local_activities": settings.worker_max_concurrent_local_activities,
        "sticky_queue_schedule_to_start_timeout": timedelta(seconds=settings.worker_sticky_schedule_to_start_seconds),
    }


async def run_worker(settings: Settings) -> None:
    check_startup(settings, "worker")  # outside development: no default or missing secret
    store = open_event_store(
        settings.database_url, upgrade=not settings.production
    )  # the schema first: no DDL in production
    from app import tracing

    traced = tracing.setup(settings, "samskab-worker")  # None unless an OTLP endpoint is set
    if traced is not None:
        traced.instrument_store(store)
    try:
        client = await connect(settings)
    except RuntimeError as error:  # the SDK's "Failed client connect"
        raise TemporalUnavailable(settings.effective_temporal_address, error) from None
    # Idempotent; where this worker may not register them it logs how to, and goes on.
    await ensure_search_attributes(client)
    worker = build_worker(client, settings, store)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker running", address=settings.effective_temporal_address, task_queue=settings.task_queue)
    with ExitStack() as background:
        if settings.projections_in_worker:
            projector = build_projector(store, open_key_store(store, settings), settings.deadlines)
            background.enter_context(projector_running(projector))
        async with worker:
            await stop.wait()
            log.info("worker stopping")
    store.dispose()


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        check_startup(settings, "worker")  # before anything else: a refusal names the setting
    except StartupRefused as refused:
        raise SystemExit(f"error: {refused}") from None
    if settings.worker_metrics_address:
        from app.api.metrics import enable_worker_metrics  # only when metrics are asked for

        enable_worker_metrics(settings.worker_metrics_address)
    from eventlog.migrations import SchemaMismatch

    try:
        asyncio.run(run_worker(settings))
    except (SchemaMismatch, TemporalUnavailable) as error:  # one line; the supervisor starts the worker again
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    main()
