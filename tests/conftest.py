"""Shared fixtures: one Temporal test server for the session, and a scenario
builder that speaks in commands a caseworker would give."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("SAMSKAB_LOG_FORMAT", "console")
# The time-skipping test server's clock runs weeks ahead of the wall clock a
# front door signs commands with, so a signed command's lifetime (5 minutes in
# production) is a year here. The expiry itself is tested against this setting
# (tests/workflows/test_issuer_attacks.py).
os.environ.setdefault("SAMSKAB_COMMAND_MAX_AGE", "P365D")
# Tests never run in production mode unless they say so.
os.environ.pop("SAMSKAB_ENV", None)
os.environ.pop("SAMSKAB_TEMPORAL_ADDRESS", None)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """The command line's console takes its width once, when it is first imported (from COLUMNS,
    in whichever test process imported it first); the tables tests read need room whatever that was."""
    from app import terminal

    monkeypatch.setattr(terminal.console, "width", 200)


# -- the fault tests' figures, one table at the end -----------------------------------------
# A fault test records its figures (tests/reliability/harness.py: record_figures) in the
# process that runs it; they travel on the test's report (user_properties), so the table
# is whole whether the suite runs in one process or several (pytest-xdist).

FIGURES_PROPERTY = "reliability_figures"
_sent = 0
_figures: list[dict] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    global _sent
    outcome = yield
    from tests.reliability.harness import FIGURES

    report = outcome.get_result()
    for row in FIGURES[_sent:]:
        report.user_properties.append((FIGURES_PROPERTY, row))
    _sent = len(FIGURES)


def pytest_runtest_logreport(report):
    _figures.extend(row for name, row in report.user_properties if name == FIGURES_PROPERTY)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _figures:
        return
    columns = ["fault", "runs", "kills", "events", "lost", "doubled", "recovered"]
    columns += sorted({k for row in _figures for k in row} - set(columns))
    terminalreporter.section("reliability figures")
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in _figures)) for c in columns}
    terminalreporter.write_line(" | ".join(c.ljust(widths[c]) for c in columns))
    terminalreporter.write_line("-+-".join("-" * widths[c] for c in columns))
    for row in _figures:
        terminalreporter.write_line(" | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
