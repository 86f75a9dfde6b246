"""Stopping ``samskab demo`` part-way (Ctrl-C, or a SIGTERM from a supervisor) stops the
Temporal dev server it started: no server is left running on the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.devstack import free_port

pytestmark = pytest.mark.e2e


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_demo_leaves_no_dev_server_running(tmp_path: Path, sig: signal.Signals):
    port = free_port()
    env = {
        **os.environ,
        "SAMSKAB_DATA_DIR": str(tmp_path),
        "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'eventlog.db'}",
        "SAMSKAB_DEV_SERVER_PORT": str(port),
        "SAMSKAB_DEV_UI_PORT": str(free_port()),
        "SAMSKAB_TEMPORAL_ADDRESS": "",
    }
    samskab = Path(sys.executable).parent / "samskab"
    demo = subprocess.Popen(
        [str(samskab), "demo"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert demo.stdout is not None  # a pipe, asked for
    try:
        deadline = time.monotonic() + 90
        while not answers(port):
            assert demo.poll() is None, demo.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the dev server never answered"
            time.sleep(0.2)
        time.sleep(1.0)  # the demo is under way
        demo.send_signal(sig)
        out, _ = demo.communicate(timeout=120)  # the worker drains for up to 10 s; a loaded machine is slower
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode != 0
    assert b"Traceback" not in out, out.decode()[-3000:]
    deadline = time.monotonic() + 20
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not answers(port), "the demo's dev server is still running"
