"""What every measure shares: the result record, timing helpers, realistic
events, free ports, temporary PostgreSQL schemas."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

POSTGRES_URL = os.environ.get(
    "SAMSKAB_BENCH_POSTGRES_URL",
    os.environ.get("SAMSKAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
#: Where built logs are cached between runs (keyed by size).
CACHE_DIR = Path(".data") / "bench"


@dataclass
class Result:
    """One line of the report."""

    name: str
    figure: float | None
    unit: str
    baseline: float | None = None
    baseline_unit: str = ""
    #: figure / baseline where higher is better, baseline / figure where lower is better.
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unavailable(name: str, why: str, target: str = "") -> Result:
    return Result(name=name, figure=None, unit="", target=target, met=None, notes=f"not available: {why}")


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile of a list of samples (p in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def rss_kb(pid: int | str = "self") -> int:
    """Resident set size of a process, in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc status")


class Stopwatch:
    def __init__(self) -> None:
        self.elapsed = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.elapsed += time.perf_counter() - start


# -- realistic events ---------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """One citizen's case as commands: the registration, then each human command in order."""

    source: str
    register: Any  # (case_id) -> dict
    steps: list[dict[str, Any]]


def _scenario_scripts() -> list[Script]:
    from tests import scenario

    return [Script("tests.scenario", scenario.register, scenario.full_lifecycle_after_registration())]


def _demo_scripts() -> list[Script]:
    from app.demo_citizens import demo_citizens

    return [Script("app.demo_citizens", citizen.registration, citizen.steps) for citizen in demo_citizens()]


def _replay(script: Script, case_id: str) -> list[Any]:
    """The script decided and folded by the real domain: its events, or an error if it no longer fits."""
    from app.cases import parse_command
    from domain.case.decider import decide, evolve, initial_state
    from domain.phases import Phase

    state = initial_state()
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    events = []
    for raw in [script.register(case_id), *script.steps]:
        at += timedelta(minutes=7)
        for event in decide(state, parse_command(raw).model_copy(update={"at": at})):
            state = evolve(state, event)
            events.append(event)
    if state.phase is not Phase.CLOSED:
        raise ValueError(f"the script ends in phase {state.phase}, not closed")
    return events


_SCRIPTS: list[Script] | None = None


def case_scripts() -> list[Script]:
    """Whole-lifecycle scripts that the current domain accepts.

    The test scenario first (the tests keep it in step with the domain), then
    the demo citizens; the first source whose every script reaches a closed
    case offline is used.
    """
    global _SCRIPTS
    if _SCRIPTS is not None:
        return _SCRIPTS
    problems = []
    for load in (_scenario_scripts, _demo_scripts):
        try:
            scripts = load()
            for script in scripts:
                _replay(script, "bench-check")
        except Exception as error:  # noqa: BLE001 - try the next source
            problems.append(f"{load.__name__}: {type(error).__name__}: {str(error)[:200]}")
            continue
        _SCRIPTS = scripts
        return scripts
    raise RuntimeError("no case script fits the current domain: " + " | ".join(problems))


def event_templates() -> list[list[Any]]:
    """Each script's whole case as the log's NewEvents (14-20 events each),
    decided and folded by the real domain. Payloads are the domain's own
    (the worker's activity also encrypts personal fields; sizes are alike)."""
    from activities.eventlog import log_row

    templates = []
    for index, script in enumerate(case_scripts()):
        templates.append(
            [log_row(event, str(uuid.uuid4()), event.payload()) for event in _replay(script, f"bench-template-{index}")]
        )
    return templates


def fresh_case(template: list[Any], rng_ids: Iterator[str] | None = None) -> list[Any]:
    """The template's events with new event ids (so each case is its own stream)."""
    from dataclasses import replace

    return [replace(event, event_id=str(uuid.uuid4())) for event in template]


# -- PostgreSQL ---------------------------------------------------------------


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(), connect_timeout=3) as conn:
            conn.execute("select 1")
        return None
    except Exception as error:  # noqa: BLE001 - any failure means: skip PostgreSQL
        return f"PostgreSQL not reachable ({type(error).__name__})"


def _psycopg_dsn() -> str:
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    parts = [f"host={url.host or '127.0.0.1'}", f"port={url.port or 5432}", f"dbname={url.database}"]
    if url.username:
        parts.append(f"user={url.username}")
    if url.password:
        parts.append(f"password={url.password}")
    return " ".join(parts)


def psycopg_connect(schema: str):
    import psycopg

    return psycopg.connect(_psycopg_dsn(), options=f"-csearch_path={schema}")


@contextmanager
def postgres_schema(prefix: str = "bench") -> Iterator[tuple[str, dict[str, Any]]]:
    """A schema of our own (unique name), dropped afterwards; yields (name, connect_args)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_psycopg_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name, {"options": f"-csearch_path={name}"}
    finally:
        with psycopg.connect(_psycopg_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def settle(postgres: bool) -> str:
    """Let the writes of the measure before finish before the next one starts.

    A measure that wrote a lot leaves work behind: dirty pages the kernel
    writes out later, and PostgreSQL's checkpoint of what it inserted (the
    append measures, the copy of the large log). Left alone, that work lands
    on the next measure (reads of the large log were three times slower right
    after the PostgreSQL appends). Returns what was done, for the notes."""
    os.sync()
    if not postgres:
        return "synced"
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(), autocommit=True, connect_timeout=3) as conn:
            conn.execute("CHECKPOINT")
        return "synced, PostgreSQL checkpointed"
    except Exception as error:  # noqa: BLE001 - without the privilege, the kernel sync must do
        return f"synced (no PostgreSQL checkpoint: {type(error).__name__})"
