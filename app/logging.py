"""structlog for everything outside workflows, joined with the standard library's
logging (which Temporal's ``workflow.logger`` writes to) through one formatter.

In JSON mode every line is one JSON object, whoever wrote it: structlog's loggers, the
standard library's (uvicorn's, Temporal's Python SDK's) through structlog's
``ProcessorFormatter``, and the Temporal SDK core's own (Rust) log, forwarded to the
``temporalio.core`` logger. Lines carry the request id and case id bound in
``structlog.contextvars`` (``app.api.context``), and ``trace_id``/``span_id`` when
OpenTelemetry is installed and a span is active.

Every line, whichever logger wrote it, passes ``redact_cpr`` last before it is
rendered: CPR numbers (DDMMYY-SSSS and DDMMYYSSSS) never reach a log."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict

#: A CPR number: a day 01-31, a month 01-12, two year digits, optionally a
#: hyphen (or a space), four digits; not inside a longer run of digits.
CPR_PATTERN = re.compile(r"(?<!\d)(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")
CPR_REDACTED = "[CPR]"


def redact_text(text: str) -> str:
    return CPR_PATTERN.sub(CPR_REDACTED, text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v) for v in value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact_text(str(value))


def redact_cpr(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: replaces every CPR number in every value with [CPR].

    Exceptions are rendered to text here (and redacted), since a traceback can
    hold the values that caused it."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        if exc_info is True:
            exc_info = sys.exc_info()
        elif isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        if isinstance(exc_info, tuple) and exc_info[0] is not None:
            event_dict["exception"] = "".join(traceback.format_exception(*exc_info))
    for key, value in list(event_dict.items()):
        if key.startswith("_"):
            continue  # structlog's own bookkeeping (the stdlib record)
        event_dict[key] = _redact(value)
    return event_dict


_otel_trace: Any = None


def add_trace_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the active OpenTelemetry span's trace and span id, when OpenTelemetry
    is installed (it is optional) and a span is recording."""
    global _otel_trace
    if _otel_trace is None:
        try:
            from opentelemetry import trace

            _otel_trace = trace
        except ImportError:
            _otel_trace = False
    if _otel_trace:
        context = _otel_trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
            event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


#: The logger the Temporal SDK core's own log lines are forwarded to in JSON mode.
TEMPORAL_CORE_LOGGER = "temporalio.core"


def temporal_core_logging(level: str = "WARN") -> Any:
    """The SDK core's logging for a ``temporalio.runtime.TelemetryConfig``: forwarded to the
    ``temporalio.core`` logger (so it is rendered like every other line) instead of printed
    by the core itself as plain text. Give it to any Runtime made with its own telemetry."""
    from temporalio.runtime import LogForwardingConfig, LoggingConfig, TelemetryFilter

    return LoggingConfig(
        filter=TelemetryFilter(core_level=level, other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger(TEMPORAL_CORE_LOGGER)),
    )


_json_logs = False


def core_logging_for_runtime() -> Any:
    """The SDK core's logging for a Runtime this process makes: forwarded (JSON like every
    other line) in JSON mode, the core's own default otherwise."""
    from temporalio.runtime import LoggingConfig

    return temporal_core_logging() if _json_logs else LoggingConfig.default


def forward_temporal_core_logs() -> None:
    """In JSON mode, makes the SDK core's log go through the ``temporalio.core`` logger: sets the
    process's default Temporal Runtime, unless one is set already (the worker's metrics make
    their own Runtime, which then decides how the core logs). Called before a client connects."""
    if not _json_logs:
        return
    from temporalio.runtime import Runtime, TelemetryConfig

    try:
        Runtime.set_default(
            Runtime(telemetry=TelemetryConfig(logging=temporal_core_logging())), error_if_already_set=True
        )
    except RuntimeError:
        pass  # a Runtime is set already: it stays


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        redact_cpr,
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's loggers go through the root's handler too, not handlers of their own.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    global _json_logs
    _json_logs = fmt == "json"
