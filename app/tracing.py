"""OpenTelemetry tracing, off unless an OTLP endpoint is set.

One command is one trace: the API's request (FastAPI instrumentation), the Temporal
client's start or update and, through the headers Temporal carries, the worker's
workflow task, update handler and activities (``temporalio.contrib.opentelemetry``'s
``TracingInterceptor`` on the client, which the worker takes over from it), down to
the SQL they run (SQLAlchemy instrumentation on the event log's engines).

On when ``SAMSKAB_OTLP_ENDPOINT`` or OpenTelemetry's own ``OTEL_EXPORTER_OTLP_ENDPOINT``
is set: spans go there over OTLP/HTTP. Off otherwise, and then nothing of OpenTelemetry
is even imported: no interceptor, no instrumentation, no cost per command. The packages
are the ``samskab[otel]`` extra; asking for tracing without them is a clear error.

Spans carry ids, routes, workflow and activity names and SQL statements with their
parameters left out: never a payload (those are encrypted before Temporal sees them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from app.settings import Settings

#: OpenTelemetry's own variable for the exporter's endpoint (read by the exporter too).
STANDARD_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def endpoint(settings: Settings) -> str:
    return settings.otlp_endpoint or os.environ.get(STANDARD_ENDPOINT, "")


def enabled(settings: Settings) -> bool:
    return bool(endpoint(settings))


@dataclass
class Tracing:
    """A tracer provider and what it instruments; ``None`` of it when tracing is off."""

    provider: Any
    _engines_done: set[int] = field(default_factory=set)

    def client_interceptors(self) -> list[Any]:
        """For ``Client.connect(interceptors=...)``; a worker built on the client uses them too."""
        from temporalio.contrib.opentelemetry import TracingInterceptor

        return [TracingInterceptor(tracer=self.provider.get_tracer("samskab.temporal"))]

    def instrument_app(self, app) -> None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app, tracer_provider=self.provider, excluded_urls="metrics,livez,readyz")

    def instrument_store(self, store) -> None:
        """The event log's engines, and its appends and lone reads (which go straight to the
        driver) as SQL spans."""
        self.instrument_engines(store.engines.read, store.engines.write)
        tracer = self.provider.get_tracer("samskab.eventlog")

        def observe(stream_id: str, events: int, database: str):
            from opentelemetry.trace import SpanKind

            return tracer.start_as_current_span("INSERT events", kind=SpanKind.CLIENT, attributes={
                "db.system": database, "db.operation": "INSERT", "db.sql.table": "events",
                "samskab.stream_id": stream_id, "samskab.events": events})  # fmt: skip

        store.append_observer = observe

        def observe_read(what: str, database: str):
            from opentelemetry.trace import SpanKind

            return tracer.start_as_current_span(what, kind=SpanKind.CLIENT, attributes={
                "db.system": database, "db.operation": "SELECT"})  # fmt: skip

        store.engines.observe_lone_statements(observe_read)

    def instrument_engines(self, *engines) -> None:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        todo = [e for e in dict.fromkeys(engines) if id(e) not in self._engines_done]
        if todo:
            # Its declared range stops below SQLAlchemy 2.1, whose engine events it uses are unchanged
            # (tests/api/test_tracing.py checks that SQL spans come).
            SQLAlchemyInstrumentor().instrument(engines=todo, tracer_provider=self.provider, enable_commenter=False,
                                                skip_dep_check=True)  # fmt: skip
            self._engines_done.update(id(e) for e in todo)


_process: Tracing | None = None


def _missing_extra(error: ImportError) -> RuntimeError:
    return RuntimeError(
        f"SAMSKAB_OTLP_ENDPOINT (or {STANDARD_ENDPOINT}) is set, but OpenTelemetry is not installed "
        f"({error.name}): install samskab[otel], or unset the endpoint"
    )


def setup(settings: Settings, service: str, *, exporter=None) -> Tracing | None:
    """This process's tracing (made once), or None when it is off.

    ``exporter``: where spans go instead of OTLP (tests give an in-memory one; given, tracing
    is on whatever the settings say, and spans are exported as they end)."""
    global _process
    if exporter is None and not enabled(settings):
        return None
    if _process is not None and exporter is None:
        return _process
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as error:
        raise _missing_extra(error) from None
    provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                        "service.namespace": f"samskab-{settings.municipality}"}))  # fmt: skip
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return Tracing(provider)
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as error:
        raise _missing_extra(error) from None
    target = settings.otlp_endpoint.rstrip("/")
    if target and not target.endswith("/v1/traces"):
        target += "/v1/traces"
    # OpenTelemetry's own variable is read (and its path added) by the exporter itself.
    exporting = OTLPSpanExporter(endpoint=target) if settings.otlp_endpoint else OTLPSpanExporter()
    provider.add_span_processor(BatchSpanProcessor(exporting))
    _process = Tracing(provider)
    return _process
