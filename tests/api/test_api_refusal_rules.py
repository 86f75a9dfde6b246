"""The API's own refusals, one per rule code: given a log, when a request, then the status and the
error body naming the rule (and the field).

No worker here: the case's events are decided by the real domain and appended
(personal fields encrypted) straight to a real SQLite log, as ``test_read_cache`` does;
the one refusal about Temporal (``case.no_answer``) has a server and no worker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

import app.cases as cases_module
from app.api import create_app
from app.cases import CaseClient
from app.devstack import DevServer, free_ports
from app.keys import keystore_secret, open_key_store
from app.temporal import connect
from app.tokens import issue_token
from eventlog.access_log import AccessLog
from eventlog.keystore import KeyStore
from tests import scenario
from tests.api.conftest import env  # noqa: F401 - a time-skipping server, for the tests of /readyz
from tests.api.test_read_cache import CASE, TEAM_PHASE, Log, settings, store  # noqa: F401 - a log, and its settings


@pytest.fixture
def log(store, settings) -> Log:  # noqa: F811
    log = Log(store, open_key_store(store, settings))
    log.give(*TEAM_PHASE[:2])  # registered, in visitation
    return log


@pytest_asyncio.fixture
async def http(settings, store) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as client:
        yield client


def bearer(settings, person: dict = scenario.CASEWORKER) -> dict[str, str]:  # noqa: F811 - the fixture's value
    return {"Authorization": f"Bearer {issue_token(settings, person_id=person['id'], role=person['role'])}"}


def refused(answer: httpx.Response, status: int, rule: str, field: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["rule"] == rule, answer.text
    if field is not None:
        assert error["field"] == field, answer.text


async def test_auth_missing_token(http, log):
    refused(await http.get(f"/cases/{CASE}", headers={"X-Purpose": "test"}), 401, "auth.missing_token")


async def test_auth_invalid_token(http, log, settings):  # noqa: F811
    forged = issue_token(settings.model_copy(update={"jwt_key": "f" * 64}), person_id="cw-anne", role="caseworker")
    refused(await http.get(f"/cases/{CASE}", headers={"Authorization": f"Bearer {forged}", "X-Purpose": "test"}),
            401, "auth.invalid_token")  # fmt: skip


async def test_access_purpose_required(http, log, settings, store):  # noqa: F811
    """A read of personal data says why (GDPR art. 5(1)(b)); without a purpose nothing is shown, and no read is logged."""
    refused(await http.get(f"/cases/{CASE}", headers=bearer(settings)), 422, "access.purpose_required", "purpose")
    refused(
        await http.get(f"/cases/{CASE}?purpose=%20", headers=bearer(settings)),
        422,
        "access.purpose_required",
        "purpose",
    )
    assert not [r for r in AccessLog(store.engines).for_case(CASE) if r.what == "read_case"]


async def test_case_erased(http, log, settings, store):  # noqa: F811
    """The case as it stood, of a citizen whose key was destroyed (by ``samskab audit erase``, another process)."""
    position = store.read_stream(CASE)[-1].position
    elsewhere = KeyStore(store.engines, keystore_secret(settings))
    key_id = elsewhere.key_id_for_stream(CASE)
    assert key_id is not None  # the case's events were written under its key
    elsewhere.destroy(key_id, "GDPR art. 17(1)(a)")
    answer = await http.get(f"/cases/{CASE}?as_of={position}", headers={**bearer(settings), "X-Purpose": "tilsyn"})
    refused(answer, 410, "case.erased", "as_of")
    assert "Jonas" not in answer.text


async def test_tree_head_none(http, log):
    refused(await http.get("/audit/tree-head"), 404, "tree_head.none")


async def test_consistency_log(http, log):
    refused(await http.get("/audit/consistency?log=keys&first=1&second=1"), 422, "consistency.log", "log")


async def test_consistency_sizes(http, log, store):  # noqa: F811
    size = len(store.read_stream(CASE))
    for first, second in ((0, 1), (2, 1), (1, size + 1)):
        refused(await http.get(f"/audit/consistency?first={first}&second={second}"), 422, "consistency.sizes", "first")


async def test_case_no_answer(settings, store, monkeypatch, tmp_path):  # noqa: F811
    """A case is started, but no worker answers whether it took the registration: 504, the case may still come.

    On a dev server: the time-skipping one fails the SDK's own second try of an update-with-start
    that has not been accepted yet, which is what a server with no worker is asked."""
    monkeypatch.setattr(cases_module, "ANSWER_POLL_TIMEOUT", timedelta(seconds=2))  # not the 10 s a server waits
    monkeypatch.setattr(cases_module, "OPEN_POLLS", 1)
    dev_port, ui_port = free_ports("127.0.0.1", 2, besides=set())
    settings = settings.model_copy(
        update={"data_dir": tmp_path, "dev_server_port": dev_port, "dev_ui_port": ui_port, "temporal_address": ""}
    )
    async with DevServer(settings) as server:
        temporal = await connect(settings, server.address)
        app = create_app(settings, store=store, cases=CaseClient(temporal, settings))
        body = {k: v for k, v in scenario.register("case-no-worker").items() if k not in ("actor", "type")}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as client:
            answer = await client.post("/cases", headers=bearer(settings), json=body)
        refused(answer, 504, "case.no_answer")
        assert "is a worker running?" in answer.json()["error"]["message"]
        # started, waiting for a worker to take its registration
        status = (await temporal.get_workflow_handle("case-no-worker").describe()).status
        assert status is not None and status.name == "RUNNING"


async def test_input_too_large(http, log, settings):  # noqa: F811
    """A body over the limit is refused before it is read: said in Content-Length, or streamed without one."""
    headers = {**bearer(settings), "Content-Type": "application/json"}
    sized = await http.post(f"/cases/{CASE}/commands", headers=headers,
                            content=json.dumps({"type": "open_visitation", "junk": "x" * (16 * 1024 * 1024)}))  # fmt: skip

    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    streamed = await http.post(f"/cases/{CASE}/commands", headers=headers, content=chunks())
    for answer in (sized, streamed):
        refused(answer, 413, "input.too_large", "body")


async def ready_with(env, settings, store, **changes) -> httpx.Response:  # noqa: F811
    """/readyz with Temporal answering (a server, no worker), the settings changed as given."""
    changed = settings.model_copy(update=changes)
    app = create_app(changed, store=store, cases=CaseClient(env.client, changed))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as client:
        return await client.get("/readyz")


async def test_service_unavailable_projections(env, settings, store, log):  # noqa: F811
    """The read models lag behind the log more than allowed (no projector runs here)."""
    answer = await ready_with(env, settings, store, max_projector_lag=0)
    refused(answer, 503, "service.unavailable.projections")
    assert answer.json()["error"]["down"] == ["projections"]


async def test_service_unavailable_schema(env, settings, store):  # noqa: F811
    """The database is at another release's schema revision."""
    with store.engines.write.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999'")
    answer = await ready_with(env, settings, store)
    refused(answer, 503, "service.unavailable.schema")
    assert answer.json()["error"]["down"] == ["schema"]
