"""Measure 6: a case's timeline over HTTP from a large log, 20 concurrent clients.

Runs when ``app.api`` exposes an ASGI app (``app`` or a ``create_app()``
factory) with a case timeline endpoint, and httpx and uvicorn are installed;
otherwise the measure is reported as not available, never as a failure. The
API is served by uvicorn in a subprocess on a free port, on a copy of the
large log (the API may log reads, which must not change the cached log).
Baseline: the same streams read in-process through ``EventStore.read_stream``
by one caller, so the ratio shows what HTTP and concurrency add.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Result, free_port, percentile, unavailable

NAME = "6. HTTP case timeline"
TARGET_P99_MS = 50.0
CLIENTS = 20
TIMELINE_PATH = "/cases/{case_id}/timeline"
#: Who the benchmark says it is, for an API that logs every read of a case.
HEADERS = {"X-Actor-Id": "bench-auditor", "X-Actor-Role": "caseworker", "X-Purpose": "benchmark"}


def _app_target() -> tuple[str, list[str]] | str:
    """uvicorn's target for the API app, or why there is none."""
    for module in ("httpx", "uvicorn"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed"
    try:
        if importlib.util.find_spec("app.api") is None:
            return "app.api does not exist yet"
        api = importlib.import_module("app.api")
    except Exception as error:  # noqa: BLE001 - any import failure means: not ready
        return f"app.api does not import ({type(error).__name__}: {error})"
    if hasattr(api, "app"):
        return "app.api:app", []
    if hasattr(api, "create_app"):
        return "app.api:create_app", ["--factory"]
    return "app.api has neither `app` nor `create_app`"


def _bearer(env: dict[str, str], role: str) -> dict[str, str]:
    """A bearer token for the API, signed with a key made for this run (none if tokens do not exist)."""
    import secrets

    try:
        from app.settings import Settings
        from app.tokens import issue_token
    except ImportError:
        return {}
    env["SAMSKAB_JWT_KEY"] = secrets.token_hex(32)
    settings = Settings(jwt_key=env["SAMSKAB_JWT_KEY"], data_dir=env["SAMSKAB_DATA_DIR"])
    return {"Authorization": f"Bearer {issue_token(settings, person_id='bench-auditor', role=role)}"}


def _wait_for_port(process: subprocess.Popen, port: int, timeout: float) -> str | None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"the API server exited with code {process.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                return None
        except OSError:
            time.sleep(0.2)
    return f"the API server did not listen within {timeout:.0f}s"


async def _load(base_url: str, picks: list[str], path: str, progress, headers: dict[str, str]) -> tuple[list[float], dict[int, int]]:
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for case_id in picks:
        queue.put_nowait(case_id)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    task = progress.add_task(f"HTTP timeline, {CLIENTS} clients", total=len(picks)) if progress else None

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers={**HEADERS, **headers}, timeout=10.0) as http:
            while True:
                try:
                    case_id = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                response = await http.get(path.format(case_id=case_id))
                latencies.append((time.perf_counter() - start) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if progress:
                    progress.advance(task)

    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(CLIENTS))), timeout=600)
    return latencies, statuses


def _baseline(database_url: str, picks: list[str]) -> float:
    from eventlog import EventStore

    store = EventStore.from_url(database_url)
    samples = []
    try:
        for case_id in picks:
            start = time.perf_counter()
            store.read_stream(case_id)
            samples.append((time.perf_counter() - start) * 1000)
    finally:
        store.dispose()
    return percentile(samples, 99)


def run(log_path: Path, streams: list[str], requests: int, log_size: int, progress=None,
        path: str = TIMELINE_PATH) -> Result:  # fmt: skip
    target = f"p99 <= {TARGET_P99_MS:g} ms"
    found = _app_target()
    if isinstance(found, str):
        return unavailable(NAME, found, target)
    app_ref, extra_args = found
    rng = random.Random(6)
    picks = [rng.choice(streams) for _ in range(requests)]
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        copy = Path(tmp) / "eventlog.db"
        shutil.copyfile(log_path, copy)
        database_url = f"sqlite:///{copy}"
        port = free_port()
        env = {**os.environ, "SAMSKAB_DATABASE_URL": database_url, "SAMSKAB_DATA_DIR": tmp, "SAMSKAB_LOG_LEVEL": "WARNING"}
        auth = _bearer(env, "auditor")
        logfile = open(Path(tmp) / "api.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app_ref, *extra_args, "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],  # fmt: skip
            stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )
        try:
            problem = _wait_for_port(process, port, 60)
            if problem:
                logfile.flush()
                tail = (Path(tmp) / "api.log").read_text(errors="replace")[-300:]
                return unavailable(NAME, f"{problem}: {tail}", target)
            base = f"http://127.0.0.1:{port}"
            asyncio.run(_load(base, picks[:50], path, None, auth))  # warm-up
            latencies, statuses = asyncio.run(_load(base, picks, path, progress, auth))
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            logfile.close()
        ok = statuses.get(200, 0)
        if ok == 0:
            return unavailable(NAME, f"no timeline endpoint answered 200 at {path} (statuses {statuses})", target)
        baseline = _baseline(database_url, picks[: min(len(picks), 2000)])
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return Result(
        name=f"{NAME} @{log_size:,}",
        figure=p99,
        unit=f"ms p99 (p50 {p50:.1f})",
        baseline=baseline,
        baseline_unit="ms p99 in-process read_stream",
        ratio=baseline / p99,
        target=target,
        met=p99 <= TARGET_P99_MS and ok == len(latencies),
        notes=f"{len(latencies)} GETs, {CLIENTS} clients; statuses {statuses}",
        extra={"p50_ms": p50, "p99_ms": p99},
    )
