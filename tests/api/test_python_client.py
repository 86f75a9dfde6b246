"""The back-office Python client: the domain's types in, the domain's answers out."""

from __future__ import annotations


import httpx
import pytest

from app.cases import CommandRejected, parse_command
from app.client import AsyncSamskabClient, SamskabClient
from domain.case import CaseState
from tests import scenario


async def test_a_script_opens_a_case_acts_with_domain_commands_and_gets_refusals_as_command_rejected(app, api, case_id):
    client = AsyncSamskabClient("http://samskab.test", api.token("caseworker"), purpose="back office",
                                transport=httpx.ASGITransport(app=app))  # fmt: skip
    async with client:
        assert await client.open_case(parse_command(scenario.register(case_id))) == case_id
        result = await client.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}), 1)
        assert result.phase.value == "visitation" and result.version == 2
        state = await client.state(case_id)
        assert isinstance(state, CaseState) and state.caseworker_id == "cw-anne"
        with pytest.raises(CommandRejected) as refused:
            await client.act(case_id, {"type": "open_visitation"}, expected_version=1)
        assert refused.value.status == 409 and refused.value.kind == "StaleVersion"
        assert [e["type"] for e in await client.timeline(case_id)] == ["need_registered", "visitation_opened"]


def test_the_sync_client_raises_command_rejected_with_the_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": {"message": "no", "rule": "access.denied", "field": None, "kind": "act"}})

    with SamskabClient("http://x", "t", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(CommandRejected) as refused:
            client.act("K-1", {"type": "open_visitation"})
    assert refused.value.status == 403 and refused.value.rule == "access.denied"
