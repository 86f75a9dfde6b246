"""Fixtures of the fault tests: a real Temporal dev server (its own ports and
database file) for the session (the table of their figures: tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client

from app.devstack import DevServer
from app.settings import Settings
from app.temporal import connect
from tests.eventlog.conftest import postgres_url  # noqa: F401 - the shared server, for the race tests
from tests.reliability.harness import PostgresCluster, PostgresUnavailable, fault_settings, free_port


class InMemoryDevServer(DevServer):
    """The dev server without its database file: faster, for tests that never restart it."""

    def command(self) -> list[str]:
        command = super().command()
        at = command.index("--db-filename")
        return command[:at] + command[at + 2 :]


def dev_server_for(folder: Path, *, persistent: bool = True) -> DevServer:
    settings = Settings(dev_server_port=free_port(), dev_ui_port=free_port(), data_dir=folder, temporal_address="")
    return DevServer(settings) if persistent else InMemoryDevServer(settings)


@pytest_asyncio.fixture(scope="session")
async def dev_server(tmp_path_factory) -> AsyncIterator[DevServer]:
    """``temporal server start-dev`` on free ports, for every fault test that does not restart it."""
    server = dev_server_for(tmp_path_factory.mktemp("temporal"), persistent=False)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(tmp_path, dev_server) -> Settings:
    return fault_settings(tmp_path, dev_server.address)


@pytest_asyncio.fixture
async def client(settings) -> Client:
    return await connect(settings)


@pytest.fixture
def pg_cluster():
    """A PostgreSQL cluster made by the test (initdb in a temporary folder, its own port)."""
    try:
        cluster = PostgresCluster()
        cluster.init()
        cluster.start()
    except PostgresUnavailable as error:
        if os.environ.get("SAMSKAB_SKIP_POSTGRES") == "1":
            pytest.skip(str(error))
        pytest.fail(str(error), pytrace=False)
    yield cluster
    cluster.destroy()
