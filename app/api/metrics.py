"""Prometheus metrics: the API's requests here, the worker's Temporal runtime
metrics through the SDK's own Prometheus exporter (``enable_worker_metrics``)."""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ReadModelCollector:
    """Cases per phase, overdue and erased cases, and each projection's lag, read from
    the read models at scrape time (one grouped query; no one's personal data)."""

    def __init__(self, engines, clock=None) -> None:
        self.engines = engines
        self.clock = clock

    def collect(self):
        from datetime import UTC, datetime

        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from projections import queries

        now = self.clock() if self.clock else datetime.now(UTC)
        counts = queries.phase_counts(self.engines, now=now)
        cases = GaugeMetricFamily("samskab_cases", "Cases by phase (from the case summaries)", labels=["phase"])
        for phase, count in counts["by_phase"].items():
            cases.add_metric([phase], count)
        yield cases
        yield GaugeMetricFamily("samskab_cases_overdue", "Open cases with a deadline passed", value=counts["overdue"])
        yield GaugeMetricFamily("samskab_cases_erased", "Cases whose citizen's data was erased", value=counts["erased"])
        missed = GaugeMetricFamily("samskab_cases_missed_deadline", "Open cases whose current phase's deadline was "
                                   "missed, by phase (visitation: Retssikkerhedsloven § 3, stk. 2)", labels=["phase"])  # fmt: skip
        for phase, count in counts["missed_by_phase"].items():
            missed.add_metric([phase], count)
        yield missed
        by_kind = CounterMetricFamily(
            "samskab_deadlines_missed",
            "Deadlines of the municipality's missed so far, by kind: phase (a phase's own deadline), processing "
            "(Retssikkerhedsloven § 3, stk. 2), expected_date (the date the citizen was told), reconsideration "
            "(Retssikkerhedsloven § 66)",
            labels=["kind"],
        )
        for kind, count in counts["missed_by_kind"].items():
            by_kind.add_metric([kind], count)
        yield by_kind
        appeals = GaugeMetricFamily(
            "samskab_appeals", "Cases with an appeal, by the appeal's status", labels=["status"]
        )
        for status, count in counts["appeals_by_status"].items():
            appeals.add_metric([status], count)
        yield appeals
        head = queries.log_head(self.engines)
        lag = GaugeMetricFamily("samskab_projection_lag_events", "Events not yet projected", labels=["projection"])
        for name, position in queries.positions(self.engines).items():
            lag.add_metric([name], head - position)
        yield lag


class RequestMetrics:
    """Counts and times every request by method, route template and status."""

    def __init__(self, registry: CollectorRegistry | None = None, *, read_models=None) -> None:
        self.read_models = CollectorRegistry(auto_describe=False)
        if read_models is not None:
            self.read_models.register(ReadModelCollector(read_models))
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "samskab_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        #: A command's time from the API's side: sent to Temporal until the workflow's update answered
        #: (the worker's own timings are the SDK's metrics, SAMSKAB_WORKER_METRICS_ADDRESS).
        self.commands = Histogram(
            "samskab_command_duration_seconds",
            "Time from sending a command to its answer, by command type and outcome (accepted, refused, failed)",
            ["command", "outcome"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        #: Refusals by the rule that refused (the decider's rule names, e.g. visitation.deadline).
        self.refusals = Counter(
            "samskab_command_refusals",
            "Commands the case refused, by command type and rule",
            ["command", "rule"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "samskab_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        #: Each route's counter and histogram once looked up (``labels`` costs a lock and a
        #: key's validation on every request); as many as routes times methods and statuses.
        self._answered: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def answered(self, method: str, route: str, status: str, seconds: float) -> None:
        """One request answered: counted by method, route template and status, and timed."""
        key = (method, route, status)
        children = self._answered.get(key)
        if children is None:
            children = self._answered[key] = (self.requests.labels(*key), self.latency.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def endpoint(self, request: Request) -> Response:
        body = generate_latest(self._answering()) + generate_latest(self.read_models)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def _answering(self) -> CollectorRegistry:
        """This process's registry, or, when the API runs as several processes
        (see ``app.api.serve``), every process's counts added up."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry


class MetricsMiddleware:
    """Pure ASGI (no per-request task), so it costs the timeline next to nothing."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.answered(method, template, str(status), time.perf_counter() - start)


def enable_worker_metrics(address: str) -> None:
    """Makes every Temporal client and worker made after this serve the SDK's
    runtime metrics (workflow task latency, activity counts, sticky cache...)
    for Prometheus at ``address`` (host:port)."""
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    from app.logging import core_logging_for_runtime

    # The core's own log lines go through our logging too in JSON mode, metrics or not.
    telemetry = TelemetryConfig(metrics=PrometheusConfig(bind_address=address), logging=core_logging_for_runtime())
    Runtime.set_default(Runtime(telemetry=telemetry))
