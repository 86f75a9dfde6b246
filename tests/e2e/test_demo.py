"""`samskab demo` as a person runs it: a subprocess, its exit code and what it prints."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app.devstack import free_port

pytestmark = pytest.mark.e2e


def test_the_demo_takes_three_citizens_through_all_phases_and_verifies_the_log(tmp_path: Path):
    env = {
        **os.environ,
        "SAMSKAB_DATA_DIR": str(tmp_path),
        "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'eventlog.db'}",
        "SAMSKAB_DEV_SERVER_PORT": str(free_port()),
        "SAMSKAB_DEV_UI_PORT": str(free_port()),
        "SAMSKAB_TEMPORAL_ADDRESS": "",
        "COLUMNS": "160",
    }
    samskab = Path(sys.executable).parent / "samskab"
    done = subprocess.run([str(samskab), "demo"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    out = done.stdout

    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert "Demo complete: every case closed and the event log verified." in out
    for name in ("Jonas Holm", "Mikkel Sørensen", "Else Jensen"):
        assert name in out
    assert out.count("close_case -> case_closed") == 3
    assert "deadline_missed" in out  # Mikkel's decision came after the published deadline
    assert "refused as it should be" in out
    assert "event log OK" in out
    # the dev server the demo started is stopped again
    port = int(env["SAMSKAB_DEV_SERVER_PORT"])
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
