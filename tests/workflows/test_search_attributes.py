"""The search attributes a case shows (``workflows.search_attributes``): set by a case of this
release, only those registered when it was opened; registered by the worker at start,
idempotently, against a real dev server that was started without them."""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from activities.eventlog import open_event_store
from app.cases import CaseClient, parse_command
from app.devstack import DevServer
from app.settings import Settings
from app.temporal import connect, ensure_search_attributes
from tests import scenario
from worker import build_worker
from workflows.search_attributes import (
    CASE_PHASE,
    CASE_SEARCH_ATTRIBUTES,
    CASEWORKER,
    MUNICIPALITY,
    NEXT_DEADLINE,
    TARGET_GROUP,
    dev_server_flags,
)  # fmt: skip

#: This module's own ports for a dev server, apart from the other tests'.
DEV_PORT, UI_PORT = 18133, 18134


async def _shown(handle) -> dict:
    attributes = (await handle.describe()).typed_search_attributes
    return {key.name: attributes.get(key) for key in CASE_SEARCH_ATTRIBUTES}


async def _until_registered(cases: CaseClient, case_id: str) -> None:
    for _ in range(200):
        if (await cases.state(case_id)).version >= 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the registration was never recorded")


async def test_a_case_shows_its_municipality_caseworker_target_group_and_next_deadline(env, cases, case_id, settings):
    await cases.open_case(parse_command(scenario.register(case_id)))
    handle = env.client.get_workflow_handle(case_id)
    await _until_registered(cases, case_id)
    opened = await _shown(handle)
    assert opened[CASE_PHASE.name] == "need"
    assert opened[MUNICIPALITY.name] == settings.municipality
    assert opened[CASEWORKER.name] is None

    for command in scenario.full_lifecycle_after_registration()[:2]:  # visitation opened, assessment recorded
        await cases.act(case_id, parse_command(command))
    state = await cases.state(case_id)
    shown = await _shown(handle)
    assert shown[CASE_PHASE.name] == "visitation"
    assert shown[CASEWORKER.name] == scenario.CASEWORKER["id"]
    assert shown[TARGET_GROUP.name] == state.assessment.target_group.code
    assert isinstance(shown[NEXT_DEADLINE.name], datetime)
    assert shown[NEXT_DEADLINE.name] == state.phase_since + settings.deadlines.for_phase("visitation")


async def test_a_case_opened_where_only_case_phase_is_registered_sets_no_other(env, cases, case_id):
    cases._indexed = (asyncio.get_running_loop().time(), frozenset({CASE_PHASE.name}))  # what the namespace had
    await cases.open_case(parse_command(scenario.register(case_id)))
    for command in scenario.full_lifecycle_after_registration()[:2]:
        await cases.act(case_id, parse_command(command))
    handle = env.client.get_workflow_handle(case_id)
    shown = await _shown(handle)
    assert shown[CASE_PHASE.name] == "visitation"
    assert [name for name, value in shown.items() if value is not None] == [CASE_PHASE.name]


class BareDevServer(DevServer):
    """A dev server started without samskab's search attributes, as any Temporal may be."""

    def command(self) -> list[str]:
        flags = dev_server_flags()
        command = super().command()
        start = next(i for i in range(len(command)) if command[i : i + len(flags)] == flags)
        return command[:start] + command[start + len(flags) :]


async def test_the_worker_registers_the_search_attributes_once_and_says_how_when_it_cannot(tmp_path):
    settings = Settings(data_dir=tmp_path, dev_server_port=DEV_PORT, dev_ui_port=UI_PORT, temporal_address="")
    async with BareDevServer(settings) as server:
        client = await connect(settings, server.address)
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
        assert MUNICIPALITY.name not in listed.custom_attributes

        assert await ensure_search_attributes(client) == {key.name for key in CASE_SEARCH_ATTRIBUTES}
        assert await ensure_search_attributes(client) == {key.name for key in CASE_SEARCH_ATTRIBUTES}  # idempotent
        listed = await client.operator_service.list_search_attributes(ListSearchAttributesRequest(namespace="default"))
        for key in CASE_SEARCH_ATTRIBUTES:
            assert int(listed.custom_attributes[key.name]) == int(key.indexed_value_type)

        # A namespace this client may not change (here: one that does not exist): no
        # exception; a warning per attribute with the command that registers it by hand.
        elsewhere = await connect(
            settings.model_copy(update={"temporal_namespace": "no-such-namespace"}), server.address
        )
        with structlog.testing.capture_logs() as logs:
            assert await ensure_search_attributes(elsewhere) == frozenset()
        warned = {entry["attribute"]: entry["command"] for entry in logs if entry["log_level"] == "warning"}
        assert warned[NEXT_DEADLINE.name] == (
            "temporal operator search-attribute create --namespace no-such-namespace --name NextDeadline --type Datetime"
        )
        assert set(warned) == {key.name for key in CASE_SEARCH_ATTRIBUTES}


async def test_a_case_opens_on_a_namespace_without_its_search_attributes(tmp_path):
    """As on a Temporal whose attributes could neither be listed nor registered: the start is
    refused for CasePhase, and the case is opened without any, not refused."""
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}", dev_server_port=DEV_PORT,
                        dev_ui_port=UI_PORT, temporal_address="", task_queue="bare-namespace")  # fmt: skip
    store = open_event_store(settings.database_url)
    async with BareDevServer(settings) as server:
        client = await connect(settings, server.address)
        cases = CaseClient(client, settings)
        cases._indexed = (asyncio.get_running_loop().time(), frozenset({CASE_PHASE.name}))  # a listing that failed
        case_id = "K-BARE-1"
        async with build_worker(client, settings, store):
            with structlog.testing.capture_logs() as logs:
                assert (await cases.open_case(parse_command(scenario.register(case_id)))).case_id == case_id
            await _until_registered(cases, case_id)
            await cases.act(case_id, parse_command(scenario.full_lifecycle_after_registration()[0]))
            assert (await cases.state(case_id)).phase.value == "visitation"
            assert set((await _shown(client.get_workflow_handle(case_id))).values()) == {None}
            await client.get_workflow_handle(case_id).terminate("test finished")
        assert await cases.indexed() == frozenset()
    store.dispose()
    assert any("without search attributes" in entry["event"] for entry in logs)
