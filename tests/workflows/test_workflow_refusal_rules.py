"""The workflows' own refusals, given in an update's validator before anything is recorded: when a
command reaches a running case or forum through the front door, then the rule code (and field)."""

from __future__ import annotations

import pytest

from app.cases import CommandRejected, parse_command
from domain.messages import Actor
from tests import scenario
from tests.workflows.test_case_workflow import open_case
from tests.workflows.test_forum import CHAIR, forums, target_group  # noqa: F401 - a forum client, a fresh forum

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
        await cases.act(case_id, parse_command({"type": "open_visitation", "actor": scenario.CASEWORKER}), expected_version=0)
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
    await forums.open_forum(target_group, Actor(id="tl-bo", role="team_lead"))
    with pytest.raises(CommandRejected) as refused:
        await forums.act(target_group, command if command["type"] != "open_forum" else {**command, "target_group": target_group})
    assert (refused.value.rule, refused.value.field) == ("forum.not_for_callers", "type")
    assert (await forums.state(target_group)).version == 1
