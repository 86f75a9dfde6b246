"""A throwaway Temporal dev server on free ports, with its data in a temp folder."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.devstack import free_port

if TYPE_CHECKING:
    from temporalio.client import Client

    from app.settings import Settings


@asynccontextmanager
async def dev_stack() -> AsyncIterator[tuple[Settings, Client, Path]]:
    """Yields (settings, client, temp folder); stops the server and removes the folder."""
    from app.devstack import DevServer
    from app.settings import Settings
    from app.temporal import connect

    with tempfile.TemporaryDirectory(prefix="bench-temporal-") as tmp:
        folder = Path(tmp)
        settings = Settings(
            dev_server_port=free_port(),
            dev_ui_port=free_port(),
            data_dir=folder,
            task_queue=f"bench-cases-{uuid.uuid4().hex[:8]}",
            database_url=f"sqlite:///{folder / 'eventlog.db'}",
        )
        server = DevServer(settings)
        await server.start()
        try:
            client = await connect(settings, server.address)
            yield settings, client, folder
        finally:
            await server.stop()
