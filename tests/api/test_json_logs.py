"""``SAMSKAB_LOG_FORMAT=json``: the API as ``samskab serve`` runs it, in a subprocess; every
line it writes, uvicorn's included, is one JSON object, and the lines written for a request
carry its request id (and the case id, for a case's route)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from app.tokens import issue_token

pytestmark = pytest.mark.e2e

#: This module's own ports: the API, and a Temporal port nothing listens on.
API_PORT, NO_TEMPORAL_PORT = 18141, 18142


def test_every_line_is_json_with_request_and_case_ids(tmp_path: Path):
    env = {
        **os.environ,
        "SAMSKAB_LOG_FORMAT": "json",
        "SAMSKAB_DATA_DIR": str(tmp_path),
        "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'eventlog.db'}",
        "SAMSKAB_TEMPORAL_ADDRESS": "",
        "SAMSKAB_DEV_SERVER_PORT": str(NO_TEMPORAL_PORT),
        "SAMSKAB_API_WORKERS": "1",
    }
    samskab = Path(sys.executable).parent / "samskab"
    server = subprocess.Popen([str(samskab), "serve", "--port", str(API_PORT)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert server.stderr is not None  # a pipe, asked for
    base = f"http://127.0.0.1:{API_PORT}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]
            try:
                if httpx.get(f"{base}/livez", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API never answered"
            time.sleep(0.2)
        token = issue_token(Settings(data_dir=tmp_path), person_id="cw-anne", role="caseworker")
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"}
        body = {"case_id": "K-LOG-1", "citizen": {"cpr": "010190-1234", "name": "Jonas Holm"},
                "need": {"description": "hjælp", "reported_by": "caseworker", "life_areas": []}}  # fmt: skip
        opened = httpx.post(f"{base}/cases", json=body, headers=headers, timeout=10)
        assert opened.status_code == 503 and opened.headers["X-Request-ID"] == "req-42"
        read = httpx.get(f"{base}/cases/K-LOG-2/deadlines", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert read.status_code == 404
        generated = read.headers["X-Request-ID"]
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 503
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()

    lines = [line for line in (out + err).decode().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line[:300]}")
    assert any(r.get("logger", "").startswith("uvicorn") for r in records), "uvicorn's own lines are missing"
    access = [r for r in records if r.get("logger") == "uvicorn.access"]
    assert access, "no access lines"
    open_lines = [r for r in records if r.get("request_id") == "req-42"]
    assert any(r.get("logger") == "uvicorn.access" for r in open_lines)
    assert all(r.get("case_id") == "K-LOG-1" for r in open_lines if r.get("logger") == "uvicorn.access")
    assert any("answered 503" in r.get("event", "") and r.get("case_id") == "K-LOG-1" for r in open_lines)
    read_lines = [r for r in access if r.get("request_id") == generated]
    assert read_lines and read_lines[0]["case_id"] == "K-LOG-2"
    assert "010190-1234" not in (out + err).decode()


#: Ports of this module's dev server for the worker's test.
DEV_PORT, DEV_UI_PORT = 18143, 18144


async def test_the_worker_s_lines_are_json_too(tmp_path: Path):
    from app.devstack import DevServer

    settings = Settings(
        data_dir=tmp_path / "temporal", dev_server_port=DEV_PORT, dev_ui_port=DEV_UI_PORT, temporal_address=""
    )
    env = {
        **os.environ, "SAMSKAB_LOG_FORMAT": "json", "SAMSKAB_DATA_DIR": str(tmp_path),
        "SAMSKAB_DATABASE_URL": f"sqlite:///{tmp_path / 'eventlog.db'}", "SAMSKAB_TEMPORAL_ADDRESS": "",
        "SAMSKAB_DEV_SERVER_PORT": str(DEV_PORT), "SAMSKAB_WORKER_METRICS_ADDRESS": "",
    }  # fmt: skip
    output = tmp_path / "worker.log"
    async with DevServer(settings):
        with output.open("wb") as sink:
            worker = subprocess.Popen([sys.executable, "-c", "import worker; worker.main()"], env=env, cwd=tmp_path,
                                      stdout=sink, stderr=subprocess.STDOUT)  # fmt: skip
            try:
                deadline = time.monotonic() + 60
                while b"worker running" not in output.read_bytes():
                    assert worker.poll() is None and time.monotonic() < deadline, output.read_text()[-2000:]
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)
            finally:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
    out, err = output.read_bytes(), b""
    lines = [line for line in (out + err).decode().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line[:300]}")
    events = [r.get("event", "") for r in records]
    assert "worker running" in events and "registered search attributes" not in events  # the dev server had them
    assert any(r.get("logger", "").startswith("temporalio") for r in records), events
