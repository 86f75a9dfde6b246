"""Liveness and readiness against real dependencies that go away: a Temporal dev server
started on a port of its own and stopped, and a PostgreSQL database dropped under the API.
A command while Temporal is down is answered 503 with Retry-After within 2 s."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from activities.eventlog import open_event_store
from app.api import create_app
from app.devstack import DevServer
from app.settings import Settings
from app.temporal import connect
from app.tokens import issue_token
from tests import scenario
from tests.eventlog.conftest import postgres_url  # noqa: F401
from worker import build_worker

#: This module's own ports for the dev server and its UI, apart from the other tests'.
DEV_PORT, UI_PORT = 18131, 18132


def _headers(settings: Settings) -> dict[str, str]:
    token = issue_token(settings, person_id=scenario.CASEWORKER["id"], role="caseworker")
    return {"Authorization": f"Bearer {token}"}


def _open_body(case_id: str) -> dict:
    body = scenario.register(case_id)
    body.pop("actor"), body.pop("type")
    return body


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}", task_queue=f"health-{uuid.uuid4().hex[:8]}",
        dev_server_port=DEV_PORT, dev_ui_port=UI_PORT, temporal_address="",
    )  # fmt: skip


@pytest.fixture
def store(settings):
    store = open_event_store(settings.database_url)
    yield store
    store.dispose()


@pytest_asyncio.fixture
async def http(settings, store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as client:
        yield client


async def test_livez_answers_without_looking_at_any_dependency(http):
    for path in ("/livez", "/health"):
        response = await http.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


async def test_readyz_follows_temporal_and_a_command_while_it_is_down_is_a_503_within_2_s(http, settings, store):
    server = DevServer(settings)
    await server.start()
    case_id = f"case-{uuid.uuid4().hex[:8]}"
    try:
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert {name: check["ok"] for name, check in ready.json()["checks"].items()} == {
            "database": True, "temporal": True, "projections": True, "schema": True,
        }  # fmt: skip
        client = await connect(settings, server.address)
        async with build_worker(client, settings, store):
            assert (await http.post("/cases", headers=_headers(settings), json=_open_body(case_id))).status_code == 201
    finally:
        await server.stop()

    # a command to the case that is there, while Temporal is down
    started = time.monotonic()
    refused = await http.post(
        f"/cases/{case_id}/commands", headers=_headers(settings), json={"type": "open_visitation"}
    )
    took = time.monotonic() - started
    print(f"\nPOST /cases/{{id}}/commands with Temporal down: {refused.status_code} in {took:.2f} s")
    assert refused.status_code == 503, refused.text
    assert took < 2.0
    assert refused.headers["Retry-After"] == str(settings.retry_after_seconds)
    assert refused.json()["error"]["rule"] == "service.unavailable.temporal"

    started = time.monotonic()
    down = await http.get("/readyz")
    assert time.monotonic() - started < 2.0
    assert down.status_code == 503
    assert down.headers["Retry-After"] == str(settings.retry_after_seconds)
    body = down.json()
    assert body["error"]["down"] == ["temporal"]
    assert body["error"]["rule"] == "service.unavailable.temporal"
    assert body["checks"]["database"]["ok"] is True

    started = time.monotonic()
    refused = await http.post("/cases", headers=_headers(settings), json=_open_body(f"case-{uuid.uuid4().hex[:8]}"))
    took = time.monotonic() - started
    print(f"\nPOST /cases with Temporal down: {refused.status_code} in {took:.2f} s")
    assert refused.status_code == 503, refused.text
    assert took < 2.0
    assert refused.headers["Retry-After"] == str(settings.retry_after_seconds)
    error = refused.json()["error"]
    assert error["rule"] == "service.unavailable.temporal" and error["kind"] == "ServiceUnavailable"
    assert f"127.0.0.1:{DEV_PORT}" in error["message"]


async def test_a_command_to_a_temporal_that_never_answered_is_a_503_within_2_s(http, settings):
    started = time.monotonic()
    refused = await http.post("/cases", headers=_headers(settings), json=_open_body(f"case-{uuid.uuid4().hex[:8]}"))
    assert refused.status_code == 503, refused.text
    assert time.monotonic() - started < 2.0
    assert refused.json()["error"]["rule"] == "service.unavailable.temporal"


@pytest.fixture
def dropped_database(postgres_url) -> Iterator[tuple[str, Callable[[], None]]]:  # noqa: F811
    """A PostgreSQL database of its own, and a function that drops it (with its connections)."""
    name = f"samskab_readyz_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False), drop
    finally:
        drop()
        admin.dispose()


@pytest.mark.postgres
async def test_readyz_fails_naming_the_database_when_it_is_gone(tmp_path, dropped_database):
    url, drop = dropped_database
    settings = Settings(
        data_dir=tmp_path, database_url=url, dev_server_port=DEV_PORT, dev_ui_port=UI_PORT, temporal_address=""
    )
    store = open_event_store(url)
    app = create_app(settings, store=store)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as http:
            before = (await http.get("/readyz")).json()
            assert before["checks"]["database"]["ok"] is True
            assert before["checks"]["temporal"]["ok"] is False  # no dev server in this test
            drop()
            after = await http.get("/readyz")
            assert after.status_code == 503
            assert "database" in after.json()["error"]["down"]
            assert after.json()["checks"]["database"]["ok"] is False
            assert after.headers["Retry-After"]
            listed = await http.get("/cases", headers={**_headers(settings), "X-Purpose": "test"})
            assert listed.status_code == 503, listed.text
            assert listed.json()["error"]["rule"] == "service.unavailable.database"
    finally:
        store.dispose()


async def test_readyz_fails_naming_the_schema_when_the_database_is_at_another_revision(http, store):
    with store.engines.write.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")  # a newer release's schema
    down = await http.get("/readyz")
    assert down.status_code == 503
    checks = down.json()["checks"]
    assert checks["schema"]["ok"] is False and "0999" in str(checks["schema"])
    assert checks["database"]["ok"] is True
