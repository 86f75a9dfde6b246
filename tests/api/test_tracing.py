"""Tracing: one POST command is one trace, from the API through Temporal's client, the
workflow's update and an activity, down to SQL; and tracing is off unless configured."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from temporalio.client import Client

pytest.importorskip("opentelemetry.sdk", reason="the samskab[otel] extra")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import tracing
from app.api import create_app
from app.cases import CaseClient
from app.keys import open_key_store
from app.settings import Settings
from projections.setup import build_projector, projector_running
from tests import scenario
from tests.api.conftest import Api
from worker import build_worker


def attributes(span: ReadableSpan) -> Mapping[str, object]:
    """A span's attributes; the SDK types them optional, and a span without any has none to match."""
    return span.attributes or {}


def test_tracing_is_off_without_an_endpoint(monkeypatch, tmp_path):
    monkeypatch.delenv(tracing.STANDARD_ENDPOINT, raising=False)
    assert tracing.setup(Settings(data_dir=tmp_path), "samskab-test") is None
    monkeypatch.setenv(tracing.STANDARD_ENDPOINT, "http://collector.example:4318")
    assert tracing.enabled(Settings(data_dir=tmp_path))


def test_off_means_opentelemetry_is_not_even_imported(tmp_path):
    """No endpoint: no tracer provider, no instrumentation, no Temporal interceptor is loaded (the API
    of OpenTelemetry may be, by FastAPI itself; it does nothing without an SDK)."""
    import os
    import subprocess
    import sys

    code = ("import sys, worker, app.api.main, app.temporal, app.tracing as t; from app.settings import Settings; "
            "assert t.setup(Settings(), 'x') is None; print(sorted(m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'opentelemetry.instrumentation', "
            "'temporalio.contrib.opentelemetry'))))")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMSKAB_", "OTEL_"))}
    run = subprocess.run([sys.executable, "-c", code], env={**env, "SAMSKAB_DATA_DIR": str(tmp_path)}, capture_output=True,
                         text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


async def test_one_command_is_one_trace_from_the_api_to_the_sql(env, settings, store):
    spans = InMemorySpanExporter()
    traced = tracing.setup(settings, "samskab-test", exporter=spans)
    assert traced is not None  # the settings turn tracing on
    client = Client(**{**env.client.config(), "interceptors": traced.client_interceptors()})
    traced.instrument_store(store)  # as the worker does (it shares the store with the app here)
    app = create_app(settings, store=store, cases=CaseClient(client, settings), tracing=traced)
    projector = build_projector(store, open_key_store(store, settings), settings.deadlines)
    case_id = f"trace-{id(spans)}"
    async with build_worker(client, settings, store):
        with projector_running(projector, idle_s=0.01):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://samskab.test"
            ) as http:
                api = Api(http, settings)
                assert (await api.open(case_id)).status_code == 201
                assert (
                    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
                ).status_code == 200
                spans.clear()
                # The append's rows go straight to the driver (past SQLAlchemy): the store's append
                # observer gives them their SQL span; the rest of the SQL is SQLAlchemy's instrumentation.
                answer = await api.give(case_id, scenario.assessment())
                assert answer.status_code == 200, answer.text
        handle = client.get_workflow_handle(case_id)
        await handle.terminate()

    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    server = [s for s in finished if s.name == "POST /cases/{case_id}/commands"]
    assert len(server) == 1, sorted({s.name for s in finished})
    request_trace = [s for s in finished if s.context.trace_id == server[0].context.trace_id]
    client_update = [s for s in request_trace if s.name == "StartWorkflowUpdate:act"]
    assert len(client_update) == 1, [s.name for s in request_trace]  # the Temporal client, inside the request's trace

    # The SDK's interceptor puts an update's handling in the workflow's own trace, linked to
    # the caller's span (an update may outlive its caller); the link joins the two traces.
    handled = [s for s in finished if s.name == "HandleUpdate:act"
               and any(link.context.span_id == client_update[0].context.span_id for link in s.links)]  # fmt: skip
    assert len(handled) == 1, [
        (s.name, [link.context for link in s.links]) for s in finished if s.name.startswith("HandleUpdate")
    ]
    workflow_trace, update_started = handled[0].context.trace_id, handled[0].start_time
    assert update_started is not None  # a finished span has started
    appends = [s for s in finished if s.name == "RunActivity:append_case_events" and s.context.trace_id == workflow_trace
               and s.start_time is not None and s.start_time >= update_started]  # fmt: skip
    assert appends, sorted({s.name for s in finished if s.context.trace_id == workflow_trace})
    sql = [s for s in finished if attributes(s).get("db.system") in ("sqlite", "postgresql") and s.parent is not None
           and s.parent.span_id in {a.context.span_id for a in appends}]  # fmt: skip
    assert sql, [
        (s.name, s.parent and by_id.get(s.parent.span_id, s).name)
        for s in finished
        if s.context.trace_id == workflow_trace
    ]
    assert any(s.name == "INSERT events" for s in sql)
    api_sql = [s for s in request_trace if attributes(s).get("db.system") in ("sqlite", "postgresql")]
    assert api_sql, "the API's own reads (the case's state) are traced too"
    assert "Jonas" not in str([dict(attributes(s)) for s in finished])  # no personal data in the spans
