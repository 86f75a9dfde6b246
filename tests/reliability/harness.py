"""What the fault tests share: worker processes to kill, a driver that takes
cases through their lifecycle whatever fails, a throwaway PostgreSQL cluster,
and the checks that nothing was lost or doubled.

Every fault test reports its figures through ``record_figures``; the session
prints them as one table at the end (see ``conftest.py``)."""

from __future__ import annotations

import asyncio
import base64
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from temporalio.client import Client, RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from activities.readmodels import rebuild_case
from app.cases import CaseClient, CommandRejected, parse_command
from app.devstack import free_port
from app.settings import Settings
from domain.case.decider import decide, evolve, initial_state
from eventlog import EventStore
from eventlog.keystore import KeyStore
from tests import scenario

ROOT = Path(__file__).resolve().parents[2]

#: Fixed secrets for the fault tests, so every worker process and the test agree.
CODEC_KEY_B64 = base64.b64encode(bytes(range(32))).decode()
KEYSTORE_SECRET_B64 = base64.b64encode(bytes(range(100, 132))).decode()

#: Figures of every fault test in this session, printed as a table at the end.
FIGURES: list[dict] = []


def record_figures(fault: str, **figures) -> dict:
    row = {"fault": fault, **figures}
    FIGURES.append(row)
    print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return row


#: A Temporal address of its own makes these runs production as far as start-up is concerned:
#: every secret must be there (made once here, as 'samskab keys init' does) and no default JWT key.
JWT_KEY = base64.b64encode(os.urandom(48)).decode()


def fault_settings(folder: Path, address: str, database_url: str | None = None, **overrides) -> Settings:
    from app.keys import init_secrets

    init_secrets(Settings(data_dir=folder, codec_key=CODEC_KEY_B64, keystore_secret=KEYSTORE_SECRET_B64))
    # Production start-up does no DDL: the schema is brought up first, as 'samskab db upgrade' does.
    from eventlog.engines import make_engines
    from eventlog.migrations import upgrade

    engines = make_engines(database_url or f"sqlite:///{folder / 'eventlog.db'}")
    try:
        upgrade(engines.write)
    finally:
        engines.dispose()
    return Settings(
        jwt_key=JWT_KEY,
        temporal_address=address,
        task_queue=f"reliability-{os.urandom(4).hex()}",
        data_dir=folder,
        database_url=database_url or f"sqlite:///{folder / 'eventlog.db'}",
        codec_key=CODEC_KEY_B64,
        keystore_secret=KEYSTORE_SECRET_B64,
        log_level="WARNING",
        **overrides,
    )


def worker_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKAB_")}
    env.update(
        SAMSKAB_TEMPORAL_ADDRESS=settings.temporal_address,
        SAMSKAB_TASK_QUEUE=settings.task_queue,
        SAMSKAB_DATABASE_URL=settings.database_url,
        SAMSKAB_DATA_DIR=str(settings.data_dir),
        SAMSKAB_CODEC_KEY=settings.codec_key,
        SAMSKAB_KEYSTORE_SECRET=settings.keystore_secret,
        SAMSKAB_JWT_KEY=settings.jwt_key,
        SAMSKAB_LOG_LEVEL="WARNING",
        SAMSKAB_LOG_FORMAT="console",
        PYTHONUNBUFFERED="1",
    )
    return env


class WorkerProcess:
    """``python worker.py`` as a subprocess that can be killed with SIGKILL and started again."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.kills = 0
        self.log_path = settings.data_dir / f"{name}.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env=worker_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to the server, activities cut off mid-flight."""
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# -- driving cases through whatever fails ------------------------------------------


RETRYABLE = (asyncio.TimeoutError, RPCError, RPCTimeoutOrCancelledError, ConnectionError)


@dataclass
class DriveStats:
    retries: int = 0
    rejected: list[str] = field(default_factory=list)


def lifecycle(case_id: str) -> list[dict]:
    return [scenario.register(case_id), *scenario.full_lifecycle_after_registration()]


def expected_event_types(case_id: str = "case-expected") -> list[str]:
    """The events one lifecycle must leave in the log, by the domain alone."""
    state = initial_state()
    types: list[str] = []
    for command in lifecycle(case_id):
        parsed = parse_command(command).model_copy(update={"at": datetime.now(UTC)})
        for event in decide(state, parsed):
            state = evolve(state, event)
            types.append(event.type)
    return types


async def _retrying(what, stats: DriveStats, attempt_timeout: float, deadline: float):
    while True:
        try:
            return await asyncio.wait_for(what(), attempt_timeout)
        except CommandRejected as error:
            if error.kind != "Timeout":
                raise
        except RETRYABLE:
            pass
        stats.retries += 1
        if time.monotonic() > deadline:
            raise TimeoutError("gave up driving the case: the deadline passed")
        await asyncio.sleep(0.5)


async def drive_case(
    cases: CaseClient, case_id: str, stats: DriveStats, *, attempt_timeout: float = 60.0, budget: float = 400.0
) -> None:
    """Opens the case and gives it every command of a lifecycle, retrying each
    with the same request id (update id) until the case answers, then waits
    for the case to close."""
    deadline = time.monotonic() + budget
    commands = lifecycle(case_id)

    async def open_once():
        # The same request id on every attempt: an attempt whose answer was lost (a worker
        # killed, a slow first task) may have started the case without recording its
        # registration, and the retry sends that registration again instead of being refused.
        await cases.open_case(parse_command(commands[0]), request_id=f"{case_id}-open")

    await _retrying(open_once, stats, attempt_timeout, deadline)
    for step, command in enumerate(commands[1:], start=1):
        parsed = parse_command(command)
        request_id = f"{case_id}-step-{step}"
        await _retrying(partial(cases.act, case_id, parsed, request_id=request_id), stats, attempt_timeout, deadline)

    await _retrying(lambda: cases.outcome(case_id), stats, attempt_timeout, deadline)


async def drive_many(cases: CaseClient, case_ids: list[str], concurrency: int, **kw) -> DriveStats:
    stats = DriveStats()
    gate = asyncio.Semaphore(concurrency)

    async def one(case_id: str) -> None:
        async with gate:
            await drive_case(cases, case_id, stats, **kw)

    await asyncio.gather(*(one(c) for c in case_ids))
    return stats


# -- what the log must hold afterwards -------------------------------------------


@dataclass
class LogFigures:
    events: int
    lost: int
    doubled: int
    mismatched_states: int
    #: Of the mismatched, those that differ only in a timestamp.
    time_drift: int = 0


#: ``time_drift`` names the way this once failed: with the append as a local
#: activity, a worker killed mid-task made the workflow re-decide its events
#: with a new clock, so the state held an ``occurred_at`` seconds later than
#: the log's. Such a case counts as mismatched too; the figure says why.


def _without_times(value):
    from datetime import datetime as _dt

    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_times(v) for v in value]
    return None if isinstance(value, _dt) else value


async def check_log(
    store: EventStore, keys: KeyStore, client: Client, cases: CaseClient, case_ids: list[str]
) -> LogFigures:
    """Asserts the log is whole: positions gapless, no event id twice, every
    stream gapless from version 1, the chain verifies, every case holds the
    lifecycle's events exactly once and rebuilds to its workflow's state."""
    everything = []
    after = 0
    while batch := store.read_all(after, limit=5000):
        everything.extend(batch)
        after = batch[-1].position
    positions = [e.position for e in everything]
    assert positions == list(range(1, len(everything) + 1)), "global positions have a gap or repeat"
    ids = Counter(e.event_id for e in everything)
    assert max(ids.values(), default=1) == 1, "an event id is stored twice"
    report = store.verify()
    assert report.ok, f"the chain does not verify: {report}"

    expected = Counter(expected_event_types())
    lost = doubled = mismatched = time_drift = 0
    for case_id in case_ids:
        stream = [e for e in everything if e.stream_id == case_id]
        assert [e.stream_version for e in stream] == list(range(1, len(stream) + 1)), f"{case_id}: versions have a gap"
        found = Counter(e.event_type for e in stream)
        lost += sum((expected - found).values())
        doubled += sum((found - expected).values())
        state = await cases.state(case_id)
        rebuilt = rebuild_case(store, case_id, keys)
        if rebuilt != state:
            differing = [
                name for name in type(state).model_fields if getattr(rebuilt, name, None) != getattr(state, name, None)
            ]
            mismatched += 1
            if _without_times(rebuilt.model_dump()) == _without_times(state.model_dump()):
                time_drift += 1  # the same events, but a timestamp differs
            print(f"{case_id}: rebuilt from the log differs from the workflow's state in {differing}", flush=True)
    return LogFigures(
        events=len(everything), lost=lost, doubled=doubled, mismatched_states=mismatched, time_drift=time_drift
    )


async def activity_retries(client: Client, case_ids: list[str]) -> int:
    """How many activity attempts failed and were retried, from the cases' Temporal histories:
    a regular activity's attempt is on its started event, a local activity's in its marker."""
    import json

    from temporalio.api.enums.v1 import EventType

    retried = 0
    for case_id in case_ids:
        history = await client.get_workflow_handle(case_id).fetch_history()
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                retried += event.activity_task_started_event_attributes.attempt - 1
            elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                marker = event.marker_recorded_event_attributes
                if marker.marker_name == "core_local_activity":
                    retried += json.loads(marker.details["data"].payloads[0].data)["attempt"] - 1
    return retried


def notifications_doubled(settings: Settings, case_ids: list[str]) -> int:
    """Letters sent twice: the outbox holds each (case, kind, recipient, subject) once per lifecycle."""
    from eventlog.outbox import Outbox

    outbox = Outbox(settings.database_url)
    try:
        doubled = 0
        for case_id in case_ids:
            seen = Counter((m.kind, m.recipient, m.subject) for m in outbox.for_case(case_id))
            doubled += sum(n - 1 for n in seen.values())
        return doubled
    finally:
        outbox.dispose()


# -- a PostgreSQL cluster of the test's own -------------------------------------------


class PostgresUnavailable(RuntimeError):
    pass


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are: ``pg_config --bindir``, else on the PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10)
            candidates.append(Path(out.stdout.strip()))
        except (subprocess.SubprocessError, OSError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise PostgresUnavailable(
        "initdb and pg_ctl were not found (pg_config --bindir, PATH): install the PostgreSQL server "
        "package (Debian: postgresql), or set SAMSKAB_SKIP_POSTGRES=1 to skip this test"
    )


class PostgresCluster:
    """A throwaway cluster in a temporary folder on a port of its own.

    As root, the server runs as the ``postgres`` OS user (PostgreSQL refuses root)."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="samskab-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' OS user to run the server"
                ) from None
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop()
        except (PostgresUnavailable, subprocess.SubprocessError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
