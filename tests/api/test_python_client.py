"""The back-office Python client: the domain's types in, the domain's answers out."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.cases import CommandRejected, parse_command
from app.client import AsyncSamskabClient, SamskabClient, SamskabError
from domain.case.decider import CaseState
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
        assert isinstance(refused.value, SamskabError)  # the client's refusal: a CommandRejected with the status
        assert refused.value.status == 409 and refused.value.kind == "StaleVersion"
        assert [e["type"] for e in await client.timeline(case_id)] == ["need_registered", "visitation_opened"]


def test_the_sync_client_raises_command_rejected_with_the_status():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403, json={"error": {"message": "no", "rule": "access.denied", "field": None, "kind": "act"}}
        )

    with (
        SamskabClient("http://x", "t", transport=httpx.MockTransport(handler)) as client,
        pytest.raises(CommandRejected) as refused,
    ):
        client.act("K-1", {"type": "open_visitation"})
    assert isinstance(refused.value, SamskabError)
    assert refused.value.status == 403 and refused.value.rule == "access.denied"


def test_the_client_imports_without_temporalio():
    """An HTTP-only user need not install Temporal's SDK: import it with temporalio blocked."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import importlib.abc, sys

        class NoTemporal(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "temporalio" or name.startswith("temporalio."):
                    raise ImportError("temporalio is not installed")

        sys.meta_path.insert(0, NoTemporal())
        from app.client import NotFound, SamskabClient
        with SamskabClient("http://x", "t") as client:
            assert client.http.timeout.read == 60.0
        assert not [m for m in sys.modules if m.startswith("temporalio")]
        print("imported")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def test_timeouts_are_the_clients_default_or_the_callers():
    from app.client import DEFAULT_TIMEOUT

    with SamskabClient("http://x", "t") as default, SamskabClient("http://x", "t", timeout=2.5) as short:
        assert default.http.timeout == DEFAULT_TIMEOUT and DEFAULT_TIMEOUT.read is not None and DEFAULT_TIMEOUT.read > 5
        assert short.http.timeout == httpx.Timeout(2.5)


def test_a_command_given_as_a_dict_names_no_actor():
    with (
        SamskabClient("http://x", "t", transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client,
        pytest.raises(ValueError, match="actor"),
    ):
        client.act("K-1", {"type": "open_visitation", "actor": {"id": "someone", "role": "caseworker"}})


def test_each_status_is_its_own_error_with_the_api_body():
    from app.client import ClientError, Conflict, ServerError, ServiceUnavailable

    def handler(request: httpx.Request) -> httpx.Response:
        status = int(request.url.path.split("/")[2])  # /cases/{status}/deadlines
        body = {"error": {"message": f"status {status}", "rule": "r", "field": None, "kind": "k"}}
        return httpx.Response(status, json=body, headers={"Retry-After": "5"} if status == 503 else {})

    with SamskabClient("http://x", "t", transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(Conflict) as conflict:
            client.deadlines("409")
        assert isinstance(conflict.value, ClientError) and conflict.value.body["message"] == "status 409"
        with pytest.raises(ServiceUnavailable) as down:
            client.deadlines("503")
        assert isinstance(down.value, ServerError) and down.value.retry_after == 5
        with pytest.raises(ServerError):
            client.deadlines("502")


async def test_list_cases_follows_the_cursor_over_every_page_and_an_unknown_case_is_not_found(app, api, case_id):
    from app.client import NotFound

    opened = [f"{case_id}-{n}" for n in range(3)]
    client = AsyncSamskabClient("http://samskab.test", api.token("caseworker"), purpose="back office",
                                transport=httpx.ASGITransport(app=app))  # fmt: skip
    async with client:
        for one in opened:
            await client.open_case({k: v for k, v in scenario.register(one).items() if k != "actor"})
        for _ in range(100):  # the read models follow the log in a thread
            if set(opened) <= {c["case_id"] async for c in client.list_cases(page_size=50)}:
                break
            await asyncio.sleep(0.05)
        seen, pages = [], 0
        cursor = None
        while True:  # the pages one by one, as list_cases follows them
            page = await client.list_cases_page(limit=1, cursor=cursor)
            pages += 1
            seen += [c["case_id"] for c in page["cases"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        listed = [c["case_id"] async for c in client.list_cases(page_size=1)]
        assert set(opened) <= set(listed) and listed == seen and pages >= 3
        with pytest.raises(NotFound) as missing:
            await client.state(f"{case_id}-none")
        assert missing.value.status == 404 and missing.value.body["rule"]
