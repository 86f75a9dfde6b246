"""Prometheus metrics: the API's requests here, the worker's Temporal runtime
metrics through the SDK's own Prometheus exporter (``enable_worker_metrics``)."""

from __future__ import annotations

import os
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestMetrics:
    """Counts and times every request by method, route template and status."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "samskab_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "samskab_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )

    def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self._answering()), media_type=CONTENT_TYPE_LATEST)

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
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


def enable_worker_metrics(address: str) -> None:
    """Makes every Temporal client and worker made after this serve the SDK's
    runtime metrics (workflow task latency, activity counts, sticky cache...)
    for Prometheus at ``address`` (host:port)."""
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    Runtime.set_default(Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address))))
