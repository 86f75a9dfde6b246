"""No CPR number reaches a log line, whichever logger writes it."""

from __future__ import annotations

import io
import logging

import pytest
import structlog

from app.logging import configure_logging, redact_text

CPRS = ("041298-1234", "0412981234", "311299 4321")


@pytest.fixture(params=["json", "console"])
def logged(request):
    """The app's logging set-up, its one handler writing to a buffer the test reads."""
    structlog.reset_defaults()
    configure_logging(request.param, "DEBUG")
    root = logging.getLogger()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer.getvalue
    structlog.reset_defaults()
    root.handlers.clear()


def test_structlog_lines_are_redacted(logged):
    log = structlog.get_logger("samskab.worker")
    log.info(f"opened case for {CPRS[0]}", cpr=CPRS[1], nested={"citizen": [CPRS[2]]})
    out = logged()
    assert "opened case for [CPR]" in out
    for cpr in CPRS:
        assert cpr not in out


@pytest.mark.parametrize("name", ["temporalio.workflow", "temporalio.activity", "sqlalchemy.engine", "root"])
def test_standard_library_loggers_are_redacted(logged, name):
    logger = logging.getLogger(None if name == "root" else name)
    logger.warning("params %s and %s", CPRS[0], {"cpr": CPRS[1]})
    out = logged()
    assert "[CPR]" in out
    for cpr in CPRS:
        assert cpr not in out


def test_exceptions_in_log_lines_are_redacted(logged):
    try:
        raise ValueError(f"bad citizen {CPRS[1]}")
    except ValueError:
        structlog.get_logger("x").exception("failed")
        logging.getLogger("temporalio.activity").exception("activity failed for %s", CPRS[0])
    out = logged()
    assert "ValueError" in out and "[CPR]" in out
    for cpr in CPRS:
        assert cpr not in out


def test_what_is_not_a_cpr_number_is_left_alone():
    assert redact_text("position 1234567890, at 2026-03-01T09:30:00Z, id 20240101-1") == (
        "position 1234567890, at 2026-03-01T09:30:00Z, id 20240101-1"
    )
    assert redact_text("cpr 010190-1234 and 3112991234") == "cpr [CPR] and [CPR]"
