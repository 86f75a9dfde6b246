"""The workflows' own refusals, given in an update's validator before anything is recorded: when a
command reaches a running case or forum through the front door, then the rule code (and field)."""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid

import pytest
from temporalio.client import WorkflowUpdateStage

from app import cases as case_client
from app.cases import CommandRejected, parse_command
from domain.messages import Actor, Role
from tests import scenario
from tests.workflows.test_case_goes_on import runs_of
from tests.workflows.test_case_workflow import open_case
from tests.workflows.test_forum import CHAIR, forums, target_group  # noqa: F401 - a forum client, a fresh forum
from workflows.case import MOVING_ON, CaseWorkflow
from workflows.case_messages import ActRequest, RunBound

SYSTEM = {"id": "samskab", "role": "system"}


async def test_case_already_open(cases, case_id, store):
    """A need is registered by opening a new case, not by a command to an open one."""
    await open_case(cases, case_id)
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.register(case_id)))
    assert (refused.value.rule, refused.value.field) == ("case.already_open", "type")
    assert [e.event_type for e in store.read_stream(case_id)] == ["need_registered"]


async def test_case_stale_version(cases, case_id, store):
    await open_case(cases, case_id)
    with pytest.raises(CommandRejected) as refused:
        await cases.act(
            case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}), expected_version=0
        )
    assert (refused.value.rule, refused.value.field) == ("case.stale_version", "expected_version")
    assert [e.event_type for e in store.read_stream(case_id)] == ["need_registered"]


@pytest.mark.parametrize(
    "command",
    [
        {"type": "open_forum", "actor": CHAIR, "target_group": "x"},  # the forum is opened by starting it
        {"type": "record_forum_meeting_due", "actor": SYSTEM},  # the forum's own timer
        {"type": "receive_pilot_proposal", "actor": SYSTEM, "text": "Fællesspisning", "pilot_ref": "a" * 32},
    ],
    ids=["open_forum", "record_forum_meeting_due", "receive_pilot_proposal"],
)
async def test_forum_not_for_callers(forums, target_group, command):  # noqa: F811
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD))
    with pytest.raises(CommandRejected) as refused:
        await forums.act(
            target_group, command if command["type"] != "open_forum" else {**command, "target_group": target_group}
        )
    assert (refused.value.rule, refused.value.field) == ("forum.not_for_callers", "type")
    state = await forums.state(target_group)
    assert not state.observations and not state.meetings_due  # nothing of the refused command was recorded


class HeldAppends:
    """The event log's appends for one case, each held until the test lets it go."""

    def __init__(self, store, case_id: str) -> None:
        self.append, self.case_id = store.append, case_id
        self.waiting: queue.Queue[threading.Event] = queue.Queue()

    def __call__(self, stream_id, *args, **kwargs):
        if stream_id == self.case_id:
            go = threading.Event()
            self.waiting.put(go)
            assert go.wait(60), "the test never let the append go"
        return self.append(stream_id, *args, **kwargs)

    async def next(self) -> threading.Event:
        """The next held append, once it is held."""
        return await asyncio.to_thread(self.waiting.get, True, 60)


def information(n: int) -> dict:
    return {"type": "record_case_information", "actor": scenario.CASEWORKER, "source": f"Kilde {n}",
            "summary": "Oplysning om borgerens hverdag", "route": "unsolicited"}  # fmt: skip


async def test_case_continuing_as_new(env, cases, case_id, store, monkeypatch):
    """A command that comes while the run has reached its bound and waits for the commands it
    accepted to finish is refused before it is accepted (nothing recorded); the front door
    sends it again, and the next run takes it. (The appends are local activities: a command
    that comes during one is taken at the workflow task's heartbeat, some seconds later.)"""
    await open_case(cases, case_id, bound=RunBound(updates=2))
    await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}))
    held = HeldAppends(store, case_id)
    monkeypatch.setattr(store, "append", held)

    # two commands at once, both accepted: the run's bound is reached, and it moves on once both are done
    first = asyncio.create_task(cases.act(case_id, parse_command(information(1))))
    second = ActRequest(command=parse_command(information(2)))
    update_id = str(uuid.uuid4())
    second = second.model_copy(update={"signature": cases.signer.sign("case.act", case_id, second, update_id)})
    handle = await env.client.get_workflow_handle_for(CaseWorkflow.run, case_id).start_update(
        CaseWorkflow.act, second, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    (await held.next()).set()  # one is recorded; the other is being recorded, held
    last_append = await held.next()

    retries = case_client.MOVING_ON_RETRIES
    monkeypatch.setattr(case_client, "MOVING_ON_RETRIES", 1)  # the refusal itself, not the front door's retry
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(information(3)))
    assert (refused.value.rule, refused.value.kind) == ("case.continuing_as_new", MOVING_ON)

    last_append.set()
    await asyncio.gather(first, handle.result())
    monkeypatch.setattr(store, "append", held.append)
    monkeypatch.setattr(case_client, "MOVING_ON_RETRIES", retries)
    await cases.act(case_id, parse_command(information(3)))  # sent again: the next run takes it
    assert len(await runs_of(env.client, case_id)) >= 2
    kinds = [e.event_type for e in store.read_stream(case_id)]
    assert kinds.count("case_information_recorded") == 3
