"""Opening a case (issue 17): the start and the ``open`` update go together
(update-with-start), so the caller learns from the case at once whether it took
the registration, and where in the log it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

import app.cases
from activities.eventlog import open_event_store
from app.cases import CaseClient, CommandRejected, parse_command
from app.devstack import DevServer, free_ports
from app.settings import Settings
from app.temporal import connect, ensure_search_attributes
from domain.case.deadlines import PhaseDeadlines
from domain.phases import Phase
from eventlog import EventStore
from tests import scenario
from worker import build_worker
from workflows.case import REGISTRATION_WAIT, CaseWorkflow
from workflows.case_messages import CaseInput, RunBound
from workflows.changes import CURRENT_CODE

pytestmark = pytest.mark.asyncio

#: Born 1 January 2020: a child, whose help is given under barnets lov.
CHILD = {"cpr": "0101204000", "name": "Alma"}


async def started_input(cases: CaseClient, case_id: str) -> CaseInput:
    history = await cases.client.get_workflow_handle(case_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [case_input] = await cases.client.data_converter.decode(started.input.payloads, [CaseInput])
    return case_input


async def ends_failed_without_opening(env, cases: CaseClient, case_id: str) -> None:
    """The run waits ``REGISTRATION_WAIT`` for a registration it accepts, then fails, naming why."""
    handle = cases.client.get_workflow_handle(case_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
    await env.sleep(REGISTRATION_WAIT + timedelta(minutes=1))
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), timeout=30)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "CaseNotOpened"
    assert cause.details[0]["rule"] == "case.not_opened"


async def test_an_opening_answers_with_the_registrations_place_in_the_log(cases, case_id, store):
    opened = await cases.open_case(parse_command(scenario.register(case_id)))

    stored = store.read_stream(case_id)
    assert [s.event_type for s in stored] == ["need_registered"]
    assert opened.case_id == case_id and opened.version == 1 and opened.phase is Phase.NEED
    assert opened.events == ["need_registered"] and opened.positions == [stored[0].position]
    # the citizen's account of the need travels in the update, not in the input Temporal keeps for the run
    assert (await started_input(cases, case_id)).registration is None
    # the case goes on from there as any case does
    await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}))
    assert (await cases.state(case_id)).version == 2


async def test_the_opening_is_one_workflow_task_with_the_update_and_no_timer(cases, case_id):
    await cases.open_case(parse_command(scenario.register(case_id)))

    history = await cases.client.get_workflow_handle(case_id).fetch_history()
    kinds = [EventType.Name(e.event_type) for e in history.events]
    assert kinds[:3] == [
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
        "EVENT_TYPE_WORKFLOW_TASK_STARTED",
    ]
    assert "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED" in kinds
    assert "EVENT_TYPE_TIMER_STARTED" not in kinds  # the registration came with the start: nothing waited for it


async def test_a_child_is_refused_before_any_workflow_starts_and_the_id_stays_free(cases, case_id, store):
    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(parse_command(scenario.register(case_id, citizen=CHILD)))

    assert (refused.value.rule, refused.value.field) == ("case.under_18", "citizen.cpr")
    with pytest.raises(RPCError) as missing:
        await cases.client.get_workflow_handle(case_id).describe()
    assert missing.value.status is RPCStatusCode.NOT_FOUND
    assert store.read_stream(case_id) == []
    # the corrected registration opens the case under the same id
    opened = await cases.open_case(parse_command(scenario.register(case_id)))
    assert opened.positions == [store.read_stream(case_id)[0].position]


async def test_the_case_itself_refuses_a_child_at_once_and_its_run_ends_recording_nothing(
    env, cases, case_id, store, settings
):
    """The workflow is the authority: a registration that reaches it (here past the client's
    own check) is refused by the update's validator, with the domain's rule and field."""
    child = parse_command(scenario.register(case_id, citizen=CHILD))

    with pytest.raises(CommandRejected) as refused:
        await cases._start(child, None, None, await cases.indexed())

    assert (refused.value.rule, refused.value.field, refused.value.kind) == (
        "case.under_18",
        "citizen.cpr",
        "DomainError",
    )
    assert "barnets lov" in refused.value.message
    await ends_failed_without_opening(env, cases, case_id)
    assert store.read_stream(case_id) == []
    history = await cases.client.get_workflow_handle(case_id).fetch_history()
    assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in history.events)


async def test_an_auditor_cannot_open_a_case_and_the_role_rule_comes_back(cases, case_id, store):
    auditor = {"id": "aud-hans", "role": "auditor"}
    with pytest.raises(CommandRejected) as refused:
        await cases._start(parse_command(scenario.register(case_id, actor=auditor)), None, None, await cases.indexed())
    assert (refused.value.rule, refused.value.field) == ("case.role_not_allowed", "actor.role")
    assert store.read_stream(case_id) == []


async def test_a_second_opening_under_a_used_id_is_refused_not_merged(cases, case_id, store):
    await cases.open_case(parse_command(scenario.register(case_id)))

    other = scenario.register(case_id, citizen={"cpr": "0101804000", "name": "Bo"})
    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(parse_command(other))

    assert (refused.value.rule, refused.value.field) == ("case.duplicate_id", "case_id")
    assert [s.event_type for s in store.read_stream(case_id)] == ["need_registered"]
    assert (await cases.state(case_id)).citizen.name == "Jonas Holm"


async def test_an_id_whose_case_has_ended_is_not_opened_again(cases, case_id, store):
    await cases.open_case(parse_command(scenario.register(case_id)))
    await cases.client.get_workflow_handle(case_id).terminate("ended by an operator")

    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(parse_command(scenario.register(case_id)))

    assert refused.value.rule == "case.duplicate_id"
    assert len(store.read_stream(case_id)) == 1


async def test_after_the_case_ended_its_request_id_gets_its_answer_and_another_is_a_duplicate(cases, case_id, store):
    command = parse_command(scenario.register(case_id))
    opened = await cases.open_case(command, request_id="form-1")
    await cases.client.get_workflow_handle(case_id).terminate("ended by an operator")

    again = await cases.open_case(command, request_id="form-1")
    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(command, request_id="form-2")

    assert again == opened  # a retry gets the first answer, as long as Temporal keeps the run
    assert refused.value.rule == "case.duplicate_id"
    assert len(store.read_stream(case_id)) == 1


async def test_a_case_started_without_its_open_update_ends_after_the_wait(env, cases, case_id, settings, store):
    """What an operator gets from a start alone (``temporal workflow start``): no run waiting for ever."""
    await cases.client.start_workflow(
        CaseWorkflow.run,
        CaseInput(registration=None, deadlines=PhaseDeadlines(), code_version=CURRENT_CODE),
        id=case_id,
        task_queue=settings.task_queue,
    )

    await ends_failed_without_opening(env, cases, case_id)
    assert store.read_stream(case_id) == []


async def start_without_registration(cases: CaseClient, case_id: str) -> None:
    """What an opening leaves when its start got through and its ``open`` update was lost (a
    worker killed before it took the update, the server's memory of it gone): the case's run,
    started with the very input the front door signs, and no registration."""
    await cases.client.start_workflow(
        CaseWorkflow.run,
        CaseInput(
            registration=None,
            deadlines=cases.deadlines,
            code_version=CURRENT_CODE,
            bound=RunBound(),
            search_attributes=tuple(sorted(await cases.indexed())),
            timer_spread=cases.settings.deadline_spread,
        ),
        id=case_id,
        task_queue=cases.settings.task_queue,
    )


async def test_an_opening_sent_again_with_its_request_id_records_a_lost_registration_once(cases, case_id, store):
    await start_without_registration(cases, case_id)
    cases.opened.append(case_id)
    command = parse_command(scenario.register(case_id))

    opened = await cases.open_case(command, request_id="form-1")
    again = await cases.open_case(command, request_id="form-1")

    stored = store.read_stream(case_id)
    assert [s.event_type for s in stored] == ["need_registered"]
    assert opened == again and opened.positions == [stored[0].position]
    assert (await cases.state(case_id)).phase is Phase.NEED


async def test_without_its_request_id_an_opening_sent_again_is_a_duplicate(cases, case_id, store):
    await start_without_registration(cases, case_id)
    cases.opened.append(case_id)

    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(parse_command(scenario.register(case_id)))

    assert refused.value.rule == "case.duplicate_id"
    assert store.read_stream(case_id) == []


async def test_another_opening_with_a_request_id_of_its_own_is_a_duplicate_not_merged(cases, case_id, store):
    await cases.open_case(parse_command(scenario.register(case_id)), request_id="form-1")
    other = scenario.register(case_id, citizen={"cpr": "0101804000", "name": "Bo"})

    with pytest.raises(CommandRejected) as refused:
        await cases.open_case(parse_command(other), request_id="form-2")

    assert (refused.value.rule, refused.value.field) == ("case.duplicate_id", "case_id")
    assert [s.event_type for s in store.read_stream(case_id)] == ["need_registered"]
    assert (await cases.state(case_id)).citizen.name == "Jonas Holm"


@asynccontextmanager
async def on_a_dev_server(tmp_path, task_queue: str) -> AsyncIterator[tuple[CaseClient, Settings, EventStore]]:
    """A case client on a real Temporal dev server of its own, with its log (no worker yet)."""
    dev_port, ui_port = free_ports("127.0.0.1", 2, besides=set())
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}", dev_server_port=dev_port,
                        dev_ui_port=ui_port, temporal_address="", task_queue=task_queue)  # fmt: skip
    store = open_event_store(settings.database_url)
    try:
        async with DevServer(settings) as server:
            client = await connect(settings, server.address)
            await ensure_search_attributes(client)
            yield CaseClient(client, settings), settings, store
    finally:
        store.dispose()


async def test_on_a_dev_server_an_opening_answers_and_a_used_id_is_refused(tmp_path):
    """The real server's answers (the time-skipping server gives a duplicate without its details)."""
    async with on_a_dev_server(tmp_path, "opening-dev") as (cases, settings, store):
        client = cases.client
        async with build_worker(client, settings, store):
            opened = await cases.open_case(parse_command(scenario.register("K-DEV-1")))
            assert opened.positions == [store.read_stream("K-DEV-1")[0].position]
            with pytest.raises(CommandRejected) as running:
                await cases.open_case(parse_command(scenario.register("K-DEV-1")))
            await client.get_workflow_handle("K-DEV-1").terminate("ended by an operator")
            with pytest.raises(CommandRejected) as ended:
                await cases.open_case(parse_command(scenario.register("K-DEV-1")))
            with pytest.raises(CommandRejected) as child:
                await cases._start(parse_command(scenario.register("K-DEV-2", citizen=CHILD)), None, None,
                                   await cases.indexed())  # fmt: skip
            await client.get_workflow_handle("K-DEV-2").terminate("the test is over")
    assert running.value.rule == ended.value.rule == "case.duplicate_id"
    assert (child.value.rule, child.value.field) == ("case.under_18", "citizen.cpr")
    assert [s.event_type for s in store.read_stream("K-DEV-1")] == ["need_registered"]
    assert store.read_stream("K-DEV-2") == []


async def test_on_a_dev_server_an_opening_no_worker_answered_is_answered_when_sent_again(tmp_path, monkeypatch):
    """No worker takes the case's first task: the call sends its update again (a new start
    operation, then the update alone) and tells the caller to retry; the retry with the same
    request id gets the case's answer. (On the real server: the time-skipping one fails a
    second start-with-update of a case whose first update is still waiting.)"""
    monkeypatch.setattr(app.cases, "ANSWER_POLL_TIMEOUT", timedelta(seconds=1))
    async with on_a_dev_server(tmp_path, "opening-unanswered") as (cases, settings, store):
        command = parse_command(scenario.register("K-DEV-3"))
        with pytest.raises(CommandRejected) as unanswered:
            await cases.open_case(command, request_id="form-1")
        async with build_worker(cases.client, settings, store):
            opened = await cases.open_case(command, request_id="form-1")
            await cases.client.get_workflow_handle("K-DEV-3").terminate("the test is over")
        stored = store.read_stream("K-DEV-3")
    assert (unanswered.value.kind, unanswered.value.rule) == ("Timeout", "case.no_answer")
    assert [s.event_type for s in stored] == ["need_registered"] and opened.positions == [stored[0].position]
