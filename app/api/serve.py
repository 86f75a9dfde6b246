"""Running the API: in the foreground (``samskab serve``) or beside the
embedded stack as a managed subprocess (``samskab dev up``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import structlog

from app.settings import Settings

log = structlog.get_logger(__name__)
APP_FACTORY = "app.api:create_app"


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    uvicorn.run(APP_FACTORY, factory=True, host=host or settings.api_host, port=port or settings.api_port,
                log_level=settings.log_level.lower(), proxy_headers=True)  # fmt: skip


class ApiProcess:
    """``uvicorn app.api:create_app --factory`` in a subprocess, stopped on exit.

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
        logfile = open(self.settings.data_dir / "api.log", "ab")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", APP_FACTORY, "--factory", "--host", self.settings.api_host,
             "--port", str(self.settings.api_port)],  # fmt: skip
            stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
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
