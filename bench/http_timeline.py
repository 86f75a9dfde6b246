"""Measure 6: a case's timeline over HTTP from a large log, 20 concurrent clients.

Runs when ``app.api`` exposes an ASGI app (``app`` or a ``create_app()``
factory) with a case timeline endpoint, and httpx and uvicorn are installed;
otherwise the measure is reported as not available, never as a failure. The
API is served by uvicorn in a subprocess on a free port, on a copy of the
large log (the API may log reads, which must not change the cached log).
Baseline: the same streams read in-process through ``EventStore.read_stream``
by one caller, so the ratio shows what HTTP and concurrency add.

The load comes from ``wrk`` when it is installed (``make wrk``; Debian's
package): a C load generator that needs a few microseconds of CPU per
request, with 20 connections in 2 threads for a fixed time, walking a list
of random picks from the log's streams. The fallback, 20 httpx clients in
this process, costs about as much CPU per request as the server itself and
runs on the same cores, so it measures the client as much as the server; the
result's notes say which one ran.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.devstack import free_port
from bench.common import Result, percentile, unavailable

NAME = "6. HTTP case timeline"
TARGET_P99_MS = 50.0
CLIENTS = 20
TIMELINE_PATH = "/cases/{case_id}/timeline"
#: Who the benchmark says it is, for an API that logs every read of a case.
HEADERS = {"X-Actor-Id": "bench-auditor", "X-Actor-Role": "caseworker", "X-Purpose": "benchmark"}
#: wrk's threads (each drives CLIENTS / WRK_THREADS connections); one per core here.
WRK_THREADS = 2
#: A request slower than this counts as a failure (wrk's own default is 2 s, and it drops
#: such a request from its latencies, which would flatter the p99).
REQUEST_TIMEOUT_S = 10
#: Seconds of unmeasured load before the measured run.
WARM_UP_S = 3
#: How long the same server is loaded at ``/livez`` after the measure (``floor``): what the
#: machine serves at all, in the same run, so a slow run tells a slow machine from a slow page.
FLOOR_S = 10
FLOOR_PATH = "/livez"

#: Walks a list of case ids (one per line, the same random picks the httpx clients take),
#: each thread from its own offset, and counts every response by status. Its ``done`` prints
#: one line the bench reads: exact p50/p99 (microseconds), statuses and socket errors.
WRK_SCRIPT = r"""
local threads, created = {}, 0
local requests, n, i = {}, 0, 0
statuses = {}

function setup(thread)
  thread:set("index", created)
  created = created + 1
  table.insert(threads, thread)
end

function init(args)
  local ids_file, path, nthreads = args[1], args[2], tonumber(args[3])
  for case_id in io.lines(ids_file) do
    if case_id ~= "" then
      n = n + 1
      requests[n] = wrk.format("GET", (path:gsub("{case_id}", case_id)))
    end
  end
  i = math.floor(index * n / nthreads)
end

function request()
  i = i % n + 1
  return requests[i]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, _)
  local counts, parts = {}, {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do
    parts[#parts + 1] = string.format('"%d":%d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'SAMSKAB_WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    table.concat(parts, ","), e.connect, e.read, e.write, e.status, e.timeout))
end
"""


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


def _server_command(app_ref: str, extra_args: list[str], port: int) -> list[str]:
    """How the product runs the API (``samskab serve``: its workers and options from the
    settings in the environment); a bare uvicorn for an app that has no such command yet."""
    try:
        from app.api.serve import serve_command
    except ImportError:
        return [sys.executable, "-m", "uvicorn", app_ref, *extra_args, "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return serve_command("127.0.0.1", port)


def _bearer(env: dict[str, str], role: str) -> dict[str, str]:
    """A bearer token for the API, signed with a key made for this run (none if tokens do not exist)."""
    import secrets

    try:
        from app.settings import Settings
        from app.tokens import issue_token
    except ImportError:
        return {}
    env["SAMSKAB_JWT_KEY"] = secrets.token_hex(32)
    settings = Settings(jwt_key=env["SAMSKAB_JWT_KEY"], data_dir=Path(env["SAMSKAB_DATA_DIR"]))
    return {"Authorization": f"Bearer {issue_token(settings, person_id='bench-auditor', role=role)}"}


def _flush(path: Path) -> None:
    """Writes the copied log to disk before the server starts: otherwise the kernel writes
    its dirty pages (a gigabyte for the full log) while the API runs, and the access log's
    commits, each an fsync, wait behind that writeback."""
    with open(path, "rb+") as copy:
        os.fsync(copy.fileno())


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


def _process_tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by ``pid`` and its children (None where /proc is missing)."""
    try:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(int(entry))
        total, todo = 0, [pid]
        while todo:
            current = todo.pop()
            todo.extend(children.get(current, []))
            try:
                with open(f"/proc/{current}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, AttributeError):
        return None


def _wait_until_started(process: subprocess.Popen, timeout: float) -> None:
    """Waits until the server's worker processes have finished starting (their CPU use stops).

    The port answers as soon as the first worker serves; a worker still importing
    the app then would get none of wrk's long-lived connections, and the run would
    measure fewer processes than the server has."""
    deadline = time.monotonic() + timeout
    before = _process_tree_cpu(process.pid)
    while before is not None and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        now = _process_tree_cpu(process.pid)
        if now is None or now - before < 0.05:
            return
        before = now


async def _load(
    base_url: str, picks: list[str], path: str, progress, headers: dict[str, str]
) -> tuple[list[float], dict[int, int]]:
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


@dataclass
class WrkRun:
    """What one wrk run reports: completed requests, latency percentiles, statuses, errors."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: Responses by HTTP status (from the script's count; empty if wrk ran without it).
    statuses: dict[int, int] = field(default_factory=dict)
    #: Responses with a status outside 2xx/3xx, as wrk counts them itself.
    non_2xx_3xx: int = 0
    #: Socket errors by kind (connect, read, write, timeout).
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Requests that did not end in 200: other statuses, and socket errors and timeouts."""
        other = sum(count for status, count in self.statuses.items() if status != 200)
        if not self.statuses:  # without the script's count, only what wrk itself tells
            other = self.non_2xx_3xx
        return other + sum(self.socket_errors.values())


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^\s*(\d+)\s+requests in\s+([\d.]+)(us|ms|s|m|h)\b", re.M)
_PERCENTILE = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_SOCKET_ERRORS = re.compile(r"Socket errors:\s*connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_SCRIPT_LINE = re.compile(r"^SAMSKAB_WRK (\{.*\})\s*$", re.M)


def parse_wrk_output(text: str) -> WrkRun:
    """The figures of wrk's report (run with ``--latency``, optionally with ``WRK_SCRIPT``).

    The script's line, when present, gives exact percentiles and every status;
    otherwise wrk's own text gives them (percentiles rounded to two decimals,
    and only the count of responses outside 2xx/3xx). Raises ValueError when
    the text is not a finished wrk report."""
    duration = _DURATION.search(text)
    if duration is None:
        raise ValueError(f"not a finished wrk report: {text.strip()[-300:]!r}")
    requests = int(duration.group(1))
    seconds = float(duration.group(2)) * _UNITS_MS[duration.group(3)] / 1000
    percentiles = {m.group(1): float(m.group(2)) * _UNITS_MS[m.group(3)] for m in _PERCENTILE.finditer(text)}
    errors = _SOCKET_ERRORS.search(text)
    socket_errors = (
        dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)) if errors else {}
    )
    non_2xx = _NON_2XX.search(text)
    run = WrkRun(
        requests=requests,
        seconds=seconds,
        p50_ms=percentiles.get("50", float("nan")),
        p99_ms=percentiles.get("99", float("nan")),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors={kind: count for kind, count in socket_errors.items() if count},
    )
    line = _SCRIPT_LINE.search(text)
    if line is not None:
        exact = json.loads(line.group(1))
        run.p50_ms, run.p99_ms = exact["p50_us"] / 1000, exact["p99_us"] / 1000
        run.statuses = {int(status): count for status, count in sorted(exact["statuses"].items())}
        socket = {kind: exact["errors"][kind] for kind in ("connect", "read", "write", "timeout")}
        run.socket_errors = {kind: count for kind, count in socket.items() if count}
    if run.requests and (run.p50_ms != run.p50_ms or run.p99_ms != run.p99_ms):  # NaN: no percentiles
        raise ValueError("the wrk report has no latency distribution (run wrk with --latency)")
    return run


def _wrk_duration(requests: int) -> int:
    """Seconds of wrk load for a run sized ``requests`` (1,000 quick, 4,000 full): 10 s and 40 s."""
    return max(10, requests // 100)


def _run_wrk(wrk: str, base_url: str, picks: list[str], path: str, headers: dict[str, str], seconds: int,
             workdir: Path, progress=None) -> tuple[WrkRun, str]:  # fmt: skip
    """Runs wrk against ``base_url`` for ``seconds``; its parsed report and its version."""
    ids_file = workdir / "case-ids.txt"
    ids_file.write_text("".join(f"{case_id}\n" for case_id in picks))
    script = workdir / "timeline.lua"
    script.write_text(WRK_SCRIPT)
    command = [wrk, "-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{seconds}s", "--timeout", f"{REQUEST_TIMEOUT_S}s",
               "--latency", "-s", str(script)]  # fmt: skip
    for name, value in {**HEADERS, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command += [base_url, "--", str(ids_file), path, str(WRK_THREADS)]
    task = progress.add_task(f"HTTP timeline, wrk, {CLIENTS} connections", total=seconds) if progress else None
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    try:
        while process.poll() is None and time.monotonic() - started < seconds + 60:
            time.sleep(0.5)
            if progress:
                progress.update(task, completed=min(seconds, time.monotonic() - started))
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate()[0]
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with code {process.returncode}: {output.strip()[-300:]}")
    version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split(" [")[0]
    return parse_wrk_output(output), version.strip() or "wrk"


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
        path: str = TIMELINE_PATH, database_url: str | None = None, *, data_folder: Path | None = None,
        auth: Callable[[dict[str, str]], dict[str, str]] | None = None, target_ms: float = TARGET_P99_MS,
        name: str = NAME, floor: bool = False) -> Result:  # fmt: skip
    """The API's answers to ``path`` under load. The server reads a copy of the SQLite log
    at ``log_path``, or the database at ``database_url`` as it is (PostgreSQL), or a copy of
    ``data_folder`` (its ``eventlog.db`` and the key store's secrets beside it; with
    ``database_url``, only the secrets). ``auth`` gives the
    headers a request is sent with, for the environment the server starts with (an
    auditor's bearer token by default). ``floor``: then the same server loaded at
    ``FLOOR_PATH`` the same way (with wrk), its rate and p99 in the notes."""
    target = f"p99 <= {target_ms:g} ms"
    found = _app_target()
    if isinstance(found, str):
        return unavailable(name, found, target)
    app_ref, extra_args = found
    rng = random.Random(6)
    picks = [rng.choice(streams) for _ in range(requests)]
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        data_dir = tmp
        if data_folder is not None:  # its key store's secrets, and its SQLite log unless a database is given
            data_dir = str(Path(tmp) / "data")
            shutil.copytree(
                data_folder, data_dir, ignore=None if database_url is None else shutil.ignore_patterns("eventlog.db*")
            )
            if database_url is None:
                _flush(Path(data_dir) / "eventlog.db")
                database_url = f"sqlite:///{Path(data_dir) / 'eventlog.db'}"
        elif database_url is None:
            copy = Path(tmp) / "eventlog.db"
            shutil.copyfile(log_path, copy)
            _flush(copy)
            database_url = f"sqlite:///{copy}"
        port = free_port()
        env = {
            **os.environ,
            "SAMSKAB_DATABASE_URL": database_url,
            "SAMSKAB_DATA_DIR": data_dir,
            "SAMSKAB_LOG_LEVEL": "WARNING",
        }
        auth_headers = (auth or (lambda environment: _bearer(environment, "auditor")))(env)
        logfile = open(Path(tmp) / "api.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            _server_command(app_ref, extra_args, port),
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            problem = _wait_for_port(process, port, 60)
            if problem:
                logfile.flush()
                tail = (Path(tmp) / "api.log").read_text(errors="replace")[-300:]
                return unavailable(name, f"{problem}: {tail}", target)
            _wait_until_started(process, 60)
            base = f"http://127.0.0.1:{port}"
            asyncio.run(_load(base, picks[:50], path, None, auth_headers))  # warm-up
            wrk = shutil.which("wrk")
            statuses: dict[int | str, int]  # by HTTP status, and wrk's socket errors by kind
            if wrk:
                # The same load for a few seconds first, unmeasured: the processes' first requests
                # import, compile and fill their caches and pools, and the collector walks what they
                # built (tens of ms at a time); a server in service is past that.
                _run_wrk(wrk, base, picks, path, auth_headers, WARM_UP_S, Path(tmp))
                seconds = _wrk_duration(requests)
                load, version = _run_wrk(wrk, base, picks, path, auth_headers, seconds, Path(tmp), progress)
                if floor:
                    floor_load, _ = _run_wrk(wrk, base, picks, FLOOR_PATH, auth_headers, FLOOR_S, Path(tmp))
            else:
                latencies, counts = asyncio.run(_load(base, picks, path, progress, auth_headers))
                statuses = dict(counts.items())
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            logfile.close()
        if wrk:
            statuses = dict(load.statuses.items())
            total, ok = load.requests, load.statuses.get(200, 0)
            if load.socket_errors:
                statuses.update({f"socket {kind}": count for kind, count in load.socket_errors.items()})
            if not load.statuses and load.requests:  # the script's count is missing: wrk's own
                ok = load.requests - load.non_2xx_3xx
                statuses = {"2xx/3xx": ok, "other": load.non_2xx_3xx, **{k: v for k, v in statuses.items()}}
            failed = load.failed
            p50, p99 = load.p50_ms, load.p99_ms
            how = (f"{total:,} GETs in {load.seconds:.0f} s ({total / max(load.seconds, 1e-9):,.0f}/s) from {version}, "
                   f"{WRK_THREADS} threads, {CLIENTS} connections")  # fmt: skip
            if floor:
                how += (f"; the machine's floor, {FLOOR_PATH} the same way: "
                        f"{floor_load.requests / max(floor_load.seconds, 1e-9):,.0f}/s, p99 {floor_load.p99_ms:.1f} ms")  # fmt: skip
        else:
            total, ok = len(latencies), statuses.get(200, 0)
            failed = total - ok
            p50, p99 = (percentile(latencies, 50), percentile(latencies, 99)) if latencies else (float("nan"),) * 2
            how = (
                f"{total} GETs from {CLIENTS} httpx clients in the bench process (wrk is not installed: "
                "`make wrk`; these clients use about as much CPU as the server, on the same cores)"
            )
        if ok == 0:
            return unavailable(name, f"nothing answered 200 at {path} (statuses {statuses})", target)
        baseline = _baseline(database_url, picks[: min(len(picks), 2000)])
    return Result(
        name=f"{name} @{log_size:,}",
        figure=p99,
        unit=f"ms p99 (p50 {p50:.1f})",
        baseline=baseline,
        baseline_unit="ms p99 in-process read_stream",
        ratio=baseline / p99,
        target=target,
        met=p99 <= target_ms and failed == 0,
        notes=f"{how}; statuses {statuses}" + (f"; {failed} requests did not get a 200" if failed else ""),
        extra={"p50_ms": p50, "p99_ms": p99, "requests": total, "failed": failed,
               "load_generator": "wrk" if wrk else "httpx"},
    )  # fmt: skip
