"""The CLI as a person meets its known failures: one line saying what is wrong, a non-zero
exit, never a traceback; ``--version``; the help of ``audit events`` shows its marker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from domain.personal_data import ERASED_MARKER

SAMSKAB = str(Path(sys.executable).parent / "samskab")
#: A port of this module's where no Temporal listens.
NO_TEMPORAL_PORT = 18151
CALLER = ["--local-admin", "--as", "caseworker:cw-anne"]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ, "SAMSKAB_DATA_DIR": str(tmp_path), "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
        "SAMSKAB_TEMPORAL_ADDRESS": "", "SAMSKAB_DEV_SERVER_PORT": str(NO_TEMPORAL_PORT), "COLUMNS": "60", **env,
    }  # fmt: skip
    return subprocess.run([SAMSKAB, *args], env=environment, capture_output=True, text=True, timeout=120)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_version(tmp_path):
    done = run(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.strip().startswith("samskab 0.")


def test_the_help_of_audit_events_shows_the_erasure_marker(tmp_path):
    done = run(tmp_path, "audit", "events", "--help", COLUMNS="200")
    assert f"erased fields read as {ERASED_MARKER}" in done.stdout


def test_an_unknown_case_is_one_line(tmp_path):
    line = one_line_error(run(tmp_path, "case", "show", "K-NONE", "--purpose", "test", *CALLER))
    assert "no such case" in line


def test_temporal_unreachable_is_one_line_soon(tmp_path):
    started = time.monotonic()
    line = one_line_error(run(tmp_path, "case", "open", "--case-id", "K-1", "--cpr", "010190-1234", "--name", "Jonas Holm",
                              "--need", "hjælp", *CALLER))  # fmt: skip
    assert f"no Temporal server answers at 127.0.0.1:{NO_TEMPORAL_PORT}" in line
    assert time.monotonic() - started < 15  # the interpreter's start-up included


@pytest.mark.parametrize("command", [["case", "show", "K-1", "--purpose", "test", *CALLER], ["audit", "verify"]])
def test_the_database_unreachable_is_one_line(tmp_path, command):
    line = one_line_error(run(tmp_path, *command, SAMSKAB_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert "the database does not answer" in line
