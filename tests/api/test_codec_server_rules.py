"""``samskab codec-server``'s refusals, one per rule code: when a request, then the status and the
body naming the rule and the field."""

from __future__ import annotations

import asyncio
import os

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads
from temporalio.converter import DataConverter

from app.codec import EncryptionCodec
from app.codec_server import MAX_BODY_BYTES, PURPOSE_HEADER
from tests.api.test_codec_server import bearer, codec_setup, sealed  # noqa: F401 - the app, on a fresh access log


def under_another_key() -> dict:
    plain = [DataConverter.default.payload_converter.to_payload("x")]
    return json_format.MessageToDict(Payloads(payloads=asyncio.run(EncryptionCodec(os.urandom(32)).encode(plain))))


def auditor(settings, purpose: str | None = "revision") -> dict[str, str]:
    return {**bearer(settings, "auditor"), **({PURPOSE_HEADER: purpose} if purpose is not None else {})}


#: (rule, field, status, the request: headers and body of a POST to /decode)
RULES = [
    ("auth.missing_token", "Authorization", 401, lambda s: ({}, {"json": sealed("x")})),
    (
        "auth.invalid_token",
        "Authorization",
        401,
        lambda s: ({"Authorization": "Bearer not-a-token"}, {"json": sealed("x")}),
    ),
    (
        "access.codec_role",
        "Authorization",
        403,
        lambda s: ({**bearer(s, "caseworker", "anne"), PURPOSE_HEADER: "x"}, {"json": sealed("x")}),
    ),
    ("codec.purpose_required", "purpose", 422, lambda s: (auditor(s, purpose=None), {"json": sealed("x")})),
    ("codec.purpose_required", "purpose", 422, lambda s: (auditor(s, purpose="  "), {"json": sealed("x")})),
    ("codec.too_large", "body", 413, lambda s: (auditor(s), {"content": b"{" + b" " * MAX_BODY_BYTES + b"}"})),
    ("codec.not_payloads", "body", 422, lambda s: (auditor(s), {"content": b"[1,2]"})),
    ("codec.key_mismatch", "payloads", 400, lambda s: (auditor(s), {"json": under_another_key()})),
]


@pytest.mark.parametrize(("rule", "field", "status", "request_"), RULES, ids=[r[0] for r in RULES])
def test_rule(codec_setup, rule, field, status, request_):  # noqa: F811
    settings, log, app = codec_setup
    headers, body = request_(settings)
    answer = TestClient(app).post("/decode", headers=headers, **body)
    assert answer.status_code == status, answer.text
    assert (answer.json()["rule"], answer.json()["field"]) == (rule, field)
    with log._engines.read.connect() as conn:  # a refused decode shows nothing, so none is recorded
        assert conn.execute(sa.text("SELECT count(*) FROM access_log")).scalar() == 0
