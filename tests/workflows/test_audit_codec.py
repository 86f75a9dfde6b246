"""The Temporal server never sees a CPR number or a citizen's words in plaintext:
every payload goes through the encrypting codec."""

from __future__ import annotations

import os

import pytest
from temporalio.api.common.v1 import Payload

from app.cases import parse_command
from app.codec import CodecError, EncryptionCodec
from tests import scenario


def raw_bytes(history) -> bytes:
    """Every byte of the history as the server stores it (payloads not decoded)."""
    return b"".join(event.SerializeToString() for event in history.events)


async def test_no_cpr_number_or_name_is_in_the_workflow_history(cases, case_id, env, store, keys):
    registration = scenario.register(case_id)
    await cases.open_case(parse_command(registration))
    await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}))
    await cases.act(case_id, parse_command(scenario.assessment()))

    history = await env.client.get_workflow_handle(case_id).fetch_history()
    stored = raw_bytes(history)

    cpr = registration["citizen"]["cpr"]
    for secret in (cpr, f"{cpr[:6]}-{cpr[6:]}", registration["citizen"]["name"], "jobsamtaler"):
        assert secret.encode() not in stored
    assert b"binary/encrypted" in stored
    # ... while the client, holding the key, reads the case as it is
    state = await cases.state(case_id)
    assert state.citizen.name == registration["citizen"]["name"]


async def test_the_codec_round_trips_and_refuses_a_wrong_key():
    codec = EncryptionCodec(os.urandom(32))
    original = Payload(metadata={"encoding": b"json/plain"}, data=b'{"cpr":"041298-1234"}')
    (sealed,) = await codec.encode([original])
    assert b"041298-1234" not in sealed.SerializeToString()
    assert await codec.decode([sealed]) == [original]
    with pytest.raises(CodecError, match="same SAMSKAB_CODEC_KEY"):
        await EncryptionCodec(os.urandom(32)).decode([sealed])
    sealed.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(CodecError, match="does not authenticate"):
        await codec.decode([sealed])
