"""``samskab codec-server``: Temporal's remote codec protocol behind a token and a purpose,
every decode in the access log; and the codec leaves Temporal's built-in metadata query
readable by the CLI and the Web UI while everything of ours stays encrypted."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid

import pytest
import pytest_asyncio
from fastapi.testclient import TestClient
from google.protobuf import json_format
from temporalio import workflow
from temporalio.api.common.v1 import Payloads, WorkflowExecution
from temporalio.api.query.v1 import WorkflowQuery
from temporalio.api.workflowservice.v1 import QueryWorkflowRequest
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from app.codec import ENCODING, EncryptionCodec, data_converter
from app.codec_server import PURPOSE_HEADER, create_codec_app
from app.devstack import DevServer, find_binary, free_port
from app.settings import Settings
from app.tokens import issue_token
from eventlog import EventStore
from eventlog.access_log import AccessLog

KEY = os.urandom(32)
UI = "http://temporal-ui.kommune.example"


@pytest.fixture
def codec_setup(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'e.db'}", codec_cors_origin=UI)
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    log = AccessLog(store.engines)
    app = create_codec_app(settings, codec=EncryptionCodec(KEY), access_log=log)
    yield settings, log, app
    store.dispose()


def bearer(settings: Settings, role: str, person: str = "ida") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, person_id=person, role=role)}"}


def sealed(*texts: str) -> dict:
    """``Payloads`` as protobuf JSON, encrypted as the workers encrypt them."""
    plain = [DataConverter.default.payload_converter.to_payload(t) for t in texts]
    return json_format.MessageToDict(Payloads(payloads=asyncio.run(EncryptionCodec(KEY).encode(plain))))


def texts_of(body: dict) -> list:
    payloads = json_format.ParseDict(body, Payloads()).payloads
    return [json.loads(p.data) for p in payloads]


def test_decode_needs_an_operator_or_auditor_token_and_a_purpose(codec_setup):
    settings, log, app = codec_setup
    http = TestClient(app)
    body = sealed("Jonas Holm, 0412981234")

    assert http.post("/decode", json=body).status_code == 401
    caseworker = http.post(
        "/decode", json=body, headers={**bearer(settings, "caseworker", "anne"), PURPOSE_HEADER: "x"}
    )
    assert caseworker.status_code == 403, caseworker.text
    assert caseworker.json()["rule"] == "access.codec_role"
    no_purpose = http.post("/decode", json=body, headers=bearer(settings, "auditor"))
    assert no_purpose.status_code == 422 and no_purpose.json()["field"] == "purpose"

    decoded = http.post(
        "/decode", json=body, headers={**bearer(settings, "auditor"), PURPOSE_HEADER: "klagesag 2026-17"}
    )
    assert decoded.status_code == 200, decoded.text
    assert texts_of(decoded.json()) == ["Jonas Holm, 0412981234"]
    by_path = http.post(
        "/purpose/drift%20fejlsøgning/decode", json=body, headers=bearer(settings, "administrator", "ole")
    )
    assert by_path.status_code == 200 and texts_of(by_path.json()) == ["Jonas Holm, 0412981234"]

    with log._engines.read.connect() as conn:  # what the access log holds: who and why, per decode
        import sqlalchemy as sa

        rows = conn.execute(
            sa.text("SELECT actor_id, actor_role, purpose, what FROM access_log ORDER BY position")
        ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ida", "auditor", "klagesag 2026-17"),
        ("ole", "administrator", "drift fejlsøgning"),
    ]
    assert all(r[3].startswith("temporal payloads decoded: 1") for r in rows)
    assert log.verify().ok


def test_encode_then_decode_round_trips_and_plain_payloads_pass_unchanged(codec_setup):
    settings, _, app = codec_setup
    http = TestClient(app)
    plain = json_format.MessageToDict(Payloads(payloads=[DataConverter.default.payload_converter.to_payload({"a": 1})]))
    encoded = http.post("/encode", json=plain, headers=bearer(settings, "administrator"))
    assert encoded.status_code == 200
    payload = json_format.ParseDict(encoded.json(), Payloads()).payloads[0]
    assert payload.metadata["encoding"] == ENCODING and b'"a"' not in payload.data
    mixed = {"payloads": encoded.json()["payloads"] + plain["payloads"]}
    decoded = http.post("/decode", params={"purpose": "test"}, json=mixed, headers=bearer(settings, "auditor"))
    assert texts_of(decoded.json()) == [{"a": 1}, {"a": 1}]


def test_a_payload_under_another_key_or_a_bad_body_is_a_clear_error(codec_setup):
    settings, _, app = codec_setup
    http = TestClient(app)
    other = json_format.MessageToDict(Payloads(payloads=asyncio.run(EncryptionCodec(os.urandom(32)).encode(
        [DataConverter.default.payload_converter.to_payload("x")]))))  # fmt: skip
    wrong = http.post("/decode", json=other, headers={**bearer(settings, "auditor"), PURPOSE_HEADER: "t"})
    assert wrong.status_code == 400 and "SAMSKAB_CODEC_KEY" in wrong.json()["message"]
    bad = http.post("/decode", content=b"[1,2]", headers={**bearer(settings, "auditor"), PURPOSE_HEADER: "t"})
    assert bad.status_code == 422 and bad.json()["field"] == "body"


def test_cors_answers_the_web_ui_origin_only(codec_setup):
    _, _, app = codec_setup
    http = TestClient(app)
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    ui = http.options("/decode", headers={"Origin": UI, **asked})
    assert ui.status_code == 200
    assert ui.headers["access-control-allow-origin"] == UI and ui.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in ui.headers["access-control-allow-headers"].lower()
    stranger = http.options("/decode", headers={"Origin": "https://evil.example", **asked})
    assert "access-control-allow-origin" not in stranger.headers


# -- against a real Temporal dev server -------------------------------------------------


@workflow.defn(name="CodecProbe")
class CodecProbe:
    @workflow.run
    async def run(self, citizen: str) -> None:
        self.citizen = citizen
        await workflow.wait_condition(lambda: False)

    @workflow.query
    def citizen_name(self) -> str:
        return self.citizen


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def dev_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("temporal-codec")
    server = DevServer(
        Settings(dev_server_port=free_port(), dev_ui_port=free_port(), data_dir=folder, temporal_address="")
    )
    await server.start()
    yield server
    await server.stop()


def serve_in_thread(app, port: int):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, thread


async def temporal_cli(address: str, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(str(find_binary("temporal")), *args, "--address", address,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None  # communicate() waited for it to exit
    return process.returncode, out.decode(errors="replace")


async def test_built_in_metadata_query_stays_readable_and_ours_stay_encrypted(dev_server, codec_setup):
    settings, log, app = codec_setup
    client = await Client.connect(dev_server.address, data_converter=data_converter(KEY))
    queue = f"codec-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[CodecProbe], workflow_runner=UnsandboxedWorkflowRunner()):
        handle = await client.start_workflow(
            CodecProbe.run, "Jonas Holm", id=f"probe-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        # Through a client that uses the codec: the built-in query and ours both answer.
        metadata = await handle.query("__temporal_workflow_metadata")
        assert metadata.definition.type == "CodecProbe"
        assert "citizen_name" in {q.name for q in metadata.definition.query_definitions}
        assert await handle.query(CodecProbe.citizen_name) == "Jonas Holm"

        # On the wire (what the Web UI and the CLI get): the metadata is plain protobuf JSON, ours is ciphertext.
        async def raw(query_type: str):
            answer = await client.workflow_service.query_workflow(QueryWorkflowRequest(
                namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id),
                query=WorkflowQuery(query_type=query_type)))  # fmt: skip
            return answer.query_result.payloads[0]

        plain = await raw("__temporal_workflow_metadata")
        assert plain.metadata["encoding"] == b"json/protobuf" and b"CodecProbe" in plain.data
        ours = await raw("citizen_name")
        assert ours.metadata["encoding"] == ENCODING and b"Jonas" not in ours.data

        # The Temporal CLI without any codec: 'workflow metadata' works (it failed to unmarshal before).
        code, out = await temporal_cli(dev_server.address, "workflow", "metadata", "-w", handle.id)
        assert code == 0 and "citizen_name" in out, out

        # With the codec server: the CLI shows our payloads decoded, and the read is logged.
        port = free_port()
        server, thread = serve_in_thread(app, port)
        try:
            token = issue_token(settings, person_id="ida", role="auditor")
            code, out = await temporal_cli(dev_server.address, "workflow", "query", "-w", handle.id, "--type", "citizen_name",
                                           "--codec-endpoint", f"http://127.0.0.1:{port}", "--codec-auth", f"Bearer {token}",
                                           "--codec-header", f"{PURPOSE_HEADER}=driftstjek")  # fmt: skip
        finally:
            server.should_exit = True
            thread.join(5)
        assert code == 0 and "Jonas Holm" in out, out
        import sqlalchemy as sa

        with log._engines.read.connect() as conn:
            purposes = conn.execute(sa.text("SELECT actor_id, purpose FROM access_log")).all()
        assert ("ida", "driftstjek") in [tuple(p) for p in purposes]
        await handle.terminate()


def test_the_codec_lets_through_only_temporal_own_built_in_answers_unencrypted():
    """Fail closed stays: a plain payload is refused unless it is one of the two built-in
    protobuf answers, recognised by encoding and message type."""
    from temporalio.api.common.v1 import Payload

    from app.codec import REFUSED_ENCODING

    codec = EncryptionCodec(KEY)
    metadata = Payload(metadata={"encoding": b"json/protobuf", "messageType": b"temporal.api.sdk.v1.WorkflowMetadata"},
                       data=b'{"definition": {"type": "CaseWorkflow"}}')  # fmt: skip
    other_proto = Payload(
        metadata={"encoding": b"json/protobuf", "messageType": b"temporal.api.common.v1.Payloads"}, data=b"{}"
    )
    plain_json = Payload(metadata={"encoding": b"json/plain"}, data=b'{"type": "register_need"}')

    decoded = asyncio.run(codec.decode([metadata, other_proto, plain_json]))
    assert decoded[0] == metadata
    assert [p.metadata["encoding"] for p in decoded[1:]] == [REFUSED_ENCODING, REFUSED_ENCODING]
    encoded = asyncio.run(codec.encode([metadata, other_proto]))
    assert encoded[0] == metadata and encoded[1].metadata["encoding"] == ENCODING
