"""Liveness and readiness, as an orchestrator (Kubernetes, a load balancer) asks for them.

``/livez``: the process is up and answers (``/health`` is the same); it never looks
further, so a database or Temporal outage does not get the process restarted.
``/readyz``: every check in ``READINESS_CHECKS`` passes within
``readiness_timeout_seconds``; else 503 with ``Retry-After`` and a body naming what is
down, so traffic goes to another process until this one can serve it.

``READINESS_CHECKS`` is the one list: a check added there (e.g. that the database's
schema is at the revision this release expects) is run by ``/readyz`` with the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from app.api.service import Backend


class NotReady(Exception):
    """A readiness check failed; the message says what is wrong."""


#: A readiness check: awaits the backend's dependency, answers a short note, raises on failure.
ReadinessCheck = Callable[[Backend], Awaitable[str]]


async def database(back: Backend) -> str:
    """The event log's database answers a query on both its engines (writes and reads)."""

    def ping() -> None:
        for engine in {back.store.engines.write, back.store.engines.read}:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))

    await asyncio.to_thread(ping)
    return "answers"


async def temporal(back: Backend) -> str:
    """Temporal's frontend answers its health check."""
    cases = await back.cases()
    timeout = timedelta(seconds=back.settings.readiness_timeout_seconds)
    await cases.client.service_client.check_health(timeout=timeout)
    return f"answers at {back.settings.effective_temporal_address}"


async def projections(back: Backend) -> str:
    """The read models are at most ``max_projector_lag`` events behind the event log."""
    from projections.queries import log_head, positions

    def lag() -> int:
        head = log_head(back.store.engines)
        at = positions(back.store.engines)
        return max((head - p for p in at.values()), default=head)

    behind = await asyncio.to_thread(lag)
    limit = back.settings.max_projector_lag
    if behind > limit:
        raise NotReady(
            f"the read models are {behind} events behind the event log (more than {limit}); is a projector running?"
        )
    return f"{behind} events behind"


async def schema(back: Backend) -> str:
    """The database's schema is at the revision this release was built for (``samskab db upgrade``)."""
    from eventlog.migrations import schema_revision_check

    ok, detail = await asyncio.to_thread(schema_revision_check, back.store.engines.read)
    if not ok:
        raise NotReady(detail)
    return detail


#: Every check /readyz runs, by the name its answer gives it. Add one here to have it run.
READINESS_CHECKS: dict[str, ReadinessCheck] = {
    "database": database,
    "temporal": temporal,
    "projections": projections,
    "schema": schema,
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def _run(name: str, check: ReadinessCheck, back: Backend) -> CheckResult:
    timeout = back.settings.readiness_timeout_seconds
    try:
        detail = await asyncio.wait_for(check(back), timeout)
    except TimeoutError:
        return CheckResult(name, False, f"no answer within {timeout:g} s")
    except Exception as error:  # noqa: BLE001 - a failed dependency is the answer, not a crash
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return CheckResult(name, False, first_line)
    return CheckResult(name, True, detail)


async def readiness(back: Backend) -> list[CheckResult]:
    """Runs every check at once; each is bounded by ``readiness_timeout_seconds``."""
    return list(await asyncio.gather(*(_run(name, check, back) for name, check in READINESS_CHECKS.items())))


def readiness_body(results: list[CheckResult]) -> tuple[int, dict[str, Any]]:
    checks = {r.name: {"ok": r.ok, "detail": r.detail} for r in results}
    failed = [r for r in results if not r.ok]
    if not failed:
        return 200, {"status": "ready", "checks": checks}
    message = "not ready: " + "; ".join(f"{r.name}: {r.detail}" for r in failed)
    error = {"message": message, "rule": f"service.unavailable.{failed[0].name}", "field": None, "kind": "ServiceUnavailable",
             "down": [r.name for r in failed]}  # fmt: skip
    return 503, {"status": "not ready", "checks": checks, "error": error}
