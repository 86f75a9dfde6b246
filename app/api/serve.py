"""Running the API: in the foreground (``samskab serve``) or beside the
embedded stack as a managed subprocess (``samskab dev up``).

Either way it is uvicorn with ``SAMSKAB_API_WORKERS`` processes: a request's
work is Python under one interpreter lock, so one process uses one core at
most. The processes share nothing but the database: each has its own token
and read caches (both check the database on every read), and the access log
numbers and chains a batch of reads inside the database's write transaction,
never from memory."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from app.api import fair_accept
from app.settings import Settings

log = structlog.get_logger(__name__)
APP_FACTORY = "app.api.serve:serving_app"
#: The event loop of uvicorn's processes: asyncio's, taking new connections by turns.
FAIR_ACCEPT_LOOP = "app.api.fair_accept:FairAcceptLoop"
#: prometheus_client's switch to its multiprocess mode.
MULTIPROCESS_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    if settings.production:  # refuse once, in one line, before uvicorn starts its processes
        from eventlog.engines import make_engines
        from eventlog.migrations import check_revision

        engines = make_engines(settings.database_url)
        try:
            check_revision(engines.read)
        finally:
            engines.dispose()
    with _metrics_shared_by(settings.api_workers), _connections_shared_by(settings.api_workers):
        uvicorn.run(APP_FACTORY, factory=True, host=host or settings.api_host, port=port or settings.api_port,
                    workers=settings.api_workers, log_level=settings.log_level.lower(), proxy_headers=True,
                    log_config=None, loop=FAIR_ACCEPT_LOOP)  # fmt: skip


def serving_app():
    """The app as ``samskab serve`` runs it: logging set up first in each of uvicorn's processes
    (they are spawned, so none inherits it), and uvicorn's own loggers through it."""
    from app.api import create_app
    from app.logging import configure_logging
    from app.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)


@contextmanager
def _metrics_shared_by(workers: int) -> Iterator[None]:
    """With several processes, ``/metrics`` is answered by whichever one gets the
    request, so each writes its counts to files in one folder (prometheus_client's
    multiprocess mode) and the endpoint adds them up. A fresh folder per server run:
    files left from an earlier run would be counted again. The workers are spawned,
    not forked, so they read the variable when they first import prometheus_client."""
    if workers == 1 or os.environ.get(MULTIPROCESS_METRICS_DIR):
        yield
        return
    folder = tempfile.mkdtemp(prefix="samskab-metrics-")
    os.environ[MULTIPROCESS_METRICS_DIR] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_METRICS_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _connections_shared_by(workers: int) -> Iterator[None]:
    """With several processes, a board in a fresh file on which each posts how many
    connections it holds, so that they share new ones (``app.api.fair_accept``)."""
    if workers == 1 or not fair_accept.CAN_CLAIM:
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="samskab-connections-"))
    fair_accept.new_board(folder / "board")
    os.environ[fair_accept.BOARD_VARIABLE] = str(folder / "board")
    try:
        yield
    finally:
        os.environ.pop(fair_accept.BOARD_VARIABLE, None)
        shutil.rmtree(folder, ignore_errors=True)


def serve_command(host: str, port: int) -> list[str]:
    """``samskab serve`` as a subprocess's command line (settings from its environment)."""
    return [sys.executable, "-m", "app", "serve", "--host", host, "--port", str(port)]


class ApiProcess:
    """``samskab serve`` in a subprocess, stopped on exit.

    A subprocess rather than a task in the worker's loop: uvicorn and the
    worker each want the process's signal handlers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"

    async def __aenter__(self) -> ApiProcess:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        logfile = open(self.settings.data_dir / "api.log", "ab")  # noqa: SIM115, ASYNC230 - lives as long as the server; opened once at start
        self.process = subprocess.Popen(  # noqa: ASYNC220 - starts the server beside the loop, at once
            serve_command(self.settings.api_host, self.settings.api_port),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        logfile.close()
        log.info("started the API", url=self.url, pid=self.process.pid)
        return self

    async def __aexit__(self, *exc: object) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
