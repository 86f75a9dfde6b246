"""Several API processes on one log: every read each of them answers is in the
access log, and the access log is still one gapless, valid chain.

Each process batches its own readers' rows (group commit) and keeps its own
token and read caches; only the database orders the processes' batches. Two
real ``samskab serve`` processes (the command the product runs), each read by
concurrent clients at once, against SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from app.api.serve import serve_command
from app.cases import parse_command
from app.devstack import free_port
from app.keys import open_key_store
from app.settings import Settings
from app.tokens import issue_token
from domain.case.decider import decide, evolve, initial_state
from eventlog import EventStore
from eventlog.access_log import AccessLog
from tests import scenario
from tests.eventlog.conftest import postgres_url  # noqa: F401 - the session fixture

CASES = [f"case-procs-{n}" for n in range(3)]
SERVERS = 2
CLIENTS_PER_SERVER = 6
READS_PER_CLIENT = 15
READERS = [scenario.CASEWORKER, {"id": "aud-hans", "role": "auditor"}]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def write_cases(store: EventStore, settings: Settings) -> None:
    """Each case through visitation, decided by the domain and appended (personal fields encrypted)."""
    keys = open_key_store(store, settings)
    for case_id in CASES:
        state, at, new = initial_state(), T0, []
        for raw in (scenario.register(case_id), {"type": "open_visitation", "actor": scenario.CASEWORKER}):
            at += timedelta(minutes=5)
            for event in decide(state, parse_command(raw).model_copy(update={"at": at})):
                state = evolve(state, event)
                new.append(to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, case_id))
        store.append(case_id, 0, new)


def wait_until_serving(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the API exited with code {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"the API did not answer within 60 s: {log.read_text()[-2000:]}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[tuple[str, dict]]:
    """An empty log's URL (for the servers' environment) and the connect_args to open it here."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.db'}", {}
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"samskab_test_{uuid.uuid4().hex}"
    admin = sa.create_engine(url, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        # The schema in the URL itself, so a server process gets it from its environment.
        option = quote(f"-csearch_path={schema}", safe="")
        yield f"{url}{'&' if '?' in url else '?'}options={option}", {}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_reads_through_two_api_processes_form_one_gapless_chain(database, tmp_path):
    url, connect_args = database
    settings = Settings(data_dir=tmp_path, database_url=url, jwt_key="k" * 64,
                        keystore_secret=base64.b64encode(os.urandom(32)).decode())  # fmt: skip
    store = EventStore.from_url(url, connect_args=connect_args)
    store.create_schema()
    write_cases(store, settings)
    env = {**os.environ, "SAMSKAB_DATABASE_URL": url, "SAMSKAB_DATA_DIR": str(tmp_path), "SAMSKAB_JWT_KEY": settings.jwt_key,
           "SAMSKAB_KEYSTORE_SECRET": settings.keystore_secret, "SAMSKAB_API_WORKERS": "1", "SAMSKAB_LOG_LEVEL": "WARNING"}  # fmt: skip
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        for n in range(SERVERS):
            port, log = free_port(), tmp_path / f"api-{n}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    serve_command("127.0.0.1", port), env=env, stdout=out, stderr=subprocess.STDOUT
                )
            servers.append((process, port))
            wait_until_serving(process, port, log)

        def client(server: int, number: int) -> Counter:
            """Reads cases in turn as one person; what it was shown, by (person, case)."""
            person = READERS[number % len(READERS)]
            token = issue_token(settings, person_id=person["id"], role=person["role"])
            headers = {"Authorization": f"Bearer {token}", "X-Purpose": f"test {server}-{number}"}
            shown: Counter = Counter()
            with httpx.Client(base_url=f"http://127.0.0.1:{servers[server][1]}", headers=headers, timeout=30) as http:
                for i in range(READS_PER_CLIENT):
                    case_id = CASES[(number + i) % len(CASES)]
                    response = http.get(f"/cases/{case_id}/timeline")
                    assert response.status_code == 200, response.text
                    assert [e["type"] for e in response.json()][:1] == ["need_registered"]
                    shown[(person["id"], case_id, f"test {server}-{number}")] += 1
            return shown

        with ThreadPoolExecutor(SERVERS * CLIENTS_PER_SERVER) as pool:
            futures = [pool.submit(client, s, c) for s in range(SERVERS) for c in range(CLIENTS_PER_SERVER)]
            shown = sum((f.result() for f in futures), Counter())
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    access = AccessLog(store.engines)
    report = access.verify()
    records = list(access.all())
    store.dispose()
    total = SERVERS * CLIENTS_PER_SERVER * READS_PER_CLIENT
    assert report.ok, str(report)
    assert report.checked == len(records) == total
    assert [r.position for r in records] == list(range(1, total + 1))
    recorded = Counter((r.actor_id, r.stream_id, r.purpose) for r in records if r.what == "read_timeline")
    assert recorded == shown


def serve_two_processes(tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """``samskab serve`` with two API processes on an empty SQLite log in ``tmp_path``: the
    server, its port and its log file (the caller stops it)."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    store = EventStore.from_url(url)
    store.create_schema()
    store.dispose()
    env = {**os.environ, "SAMSKAB_DATABASE_URL": url, "SAMSKAB_DATA_DIR": str(tmp_path), "SAMSKAB_API_WORKERS": "2",
           "SAMSKAB_LOG_LEVEL": "WARNING"}  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port, log = free_port(), tmp_path / "api.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(serve_command("127.0.0.1", port), env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, port, log


def test_metrics_count_the_requests_of_every_api_process(tmp_path):
    """Whichever process answers ``/metrics`` reports what all of them answered."""
    from prometheus_client.parser import text_string_to_metric_families

    process, port, log = serve_two_processes(tmp_path)
    try:
        wait_until_serving(process, port, log)
        before = health_count(port, text_string_to_metric_families)
        # A fresh connection each time, so the requests spread over the processes.
        for _ in range(40):
            assert httpx.get(f"http://127.0.0.1:{port}/health", headers={"Connection": "close"}).status_code == 200
        assert health_count(port, text_string_to_metric_families) == before + 40
    finally:
        process.terminate()
        process.wait(15)


def health_count(port: int, parse) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return sum(
        sample.value
        for family in parse(text)
        for sample in family.samples
        if sample.name == "samskab_http_requests_total" and sample.labels.get("route") == "/health"
    )
