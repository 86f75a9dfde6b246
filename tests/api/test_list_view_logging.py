"""A list view's read waits for the access log outside the read threads: requests
waiting on one commit can all join it, and each page is answered only once its
read is recorded."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from app.api.listing import ListQuery
from app.api.service import Backend, Reader
from app.settings import Settings
from domain.access import Role, Subject
from eventlog.keystore import KeyStore
from projections.setup import ensure_read_models
from tests.eventlog.conftest import sqlite_log

pytestmark = pytest.mark.asyncio


async def test_a_list_view_waiting_for_its_record_keeps_no_read_thread(tmp_path):
    settings = Settings(data_dir=tmp_path, api_read_threads=1)
    with sqlite_log(tmp_path) as log:
        ensure_read_models(log.store)
        backend = Backend(settings, log.store, keys=KeyStore(log.store.engines, os.urandom(32)))
        writing: list[str] = []
        release = threading.Event()
        real = backend.access_log._write

        def held_write(batch):
            writing.extend(p.what for p in batch)
            release.wait(10)  # the commit, held until both have come
            return real(batch)

        backend.access_log._write = held_write  # type: ignore[method-assign]
        reader = Reader(Subject("cw-1", Role.CASEWORKER, settings.municipality), purpose="sagsbehandling")
        lists = [asyncio.create_task(backend.list_cases_logged(reader, ListQuery())) for _ in range(2)]

        def arrived() -> int:  # in the batch being written, or queued for the next
            with backend.access_log._group.changed:
                return len(writing) + len(backend.access_log._group.queue)

        deadline = time.monotonic() + 10
        while arrived() < 2 and time.monotonic() < deadline:  # noqa: ASYNC110 - threads append to it
            await asyncio.sleep(0.01)
        # With the one read thread held by the first one's wait, the second would never have come.
        assert arrived() == 2
        assert not any(task.done() for task in lists)  # no page before its read is recorded
        release.set()
        pages = await asyncio.gather(*lists)
        assert [page["cases"] for page in pages] == [[], []]
        with log.store.engines.read.connect() as conn:
            recorded = conn.exec_driver_sql("SELECT what FROM access_log").scalars().all()
        assert len(recorded) == 2 and all("list_cases" in what for what in recorded)
