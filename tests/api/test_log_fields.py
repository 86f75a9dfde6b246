"""The fields every log line gets from ``app.logging``'s processors: the active
OpenTelemetry span's trace id (when OpenTelemetry is installed; it is optional)."""

from __future__ import annotations

import pytest

from app.logging import add_trace_id


def test_no_trace_id_outside_a_span():
    assert "trace_id" not in add_trace_id(None, "info", {"event": "x"})


def test_the_active_span_s_trace_and_span_id_are_on_the_line():
    pytest.importorskip(
        "opentelemetry.sdk.trace", reason="OpenTelemetry is optional; its tracing is tested where installed"
    )
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        fields = add_trace_id(None, "info", {"event": "x"})
    context = span.get_span_context()
    assert fields["trace_id"] == format(context.trace_id, "032x") and len(fields["trace_id"]) == 32
    assert fields["span_id"] == format(context.span_id, "016x")
