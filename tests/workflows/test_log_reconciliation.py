"""A case appends through a local activity, so a worker that dies after the
append but before its workflow task completes leaves the event log ahead of
the workflow. The next attempt must fold what the log holds, never write the
command twice or fold a second, different decision. These tests put the log
in that state by hand (as the lost attempt would have) and then drive the case
(or its appeal, which appends the same way)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from activities.readmodels import rebuild_case
from app.cases import CommandRejected, parse_appeal_command, parse_command
from domain.appeal import AppealStatus, appeal_id, decide_appeal
from domain.case.decider import decide
from domain.phases import Phase
from tests import scenario
from workflows.appeal import AppealWorkflow
from workflows.appeal_messages import AppealActRequest
from workflows.recording import command_event_ids


async def _lost_attempt(store, keys, case_id: str, state, command, ids: list[str], earlier: timedelta) -> list:
    """Writes what a lost workflow task would have written for ``command``, decided a while ago."""
    events = decide(state, command.model_copy(update={"at": state.phase_since + earlier}))
    assert len(ids) >= len(events)
    recorded = [RecordedEvent(event_id=event_id, event=event) for event_id, event in zip(ids, events, strict=False)]
    store.append(case_id, state.version, [to_new_event(r, keys, case_id) for r in recorded])
    return events


async def test_a_command_delivered_again_adopts_its_first_recording(env, cases, case_id, store, keys):
    await cases.open_case(parse_command(scenario.register(case_id)))
    state = await cases.state(case_id)
    run_id = (await env.client.get_workflow_handle(case_id).describe()).run_id
    command = parse_command(scenario.full_lifecycle_after_registration()[0])
    request_id = "request-lost-once"
    first = await _lost_attempt(
        store, keys, case_id, state, command, command_event_ids(case_id, run_id, request_id, 5), timedelta(seconds=1)
    )

    answer = await cases.act(case_id, command, request_id=request_id)

    stored = store.read_stream(case_id)
    assert [e.event_type for e in stored] == ["need_registered", *[e.type for e in first]]  # written once
    assert answer.events == [e.type for e in first] and answer.version == len(stored)
    after = await cases.state(case_id)
    assert after.phase is Phase.VISITATION
    assert rebuild_case(store, case_id, keys) == after  # the first recording's times, not a second decision's


async def test_events_a_lost_attempt_left_in_the_log_are_folded_before_the_next_command(
    env, cases, case_id, store, keys
):
    await cases.open_case(parse_command(scenario.register(case_id)))
    state = await cases.state(case_id)
    opening = parse_command(scenario.full_lifecycle_after_registration()[0])
    # An id the workflow would not give any command again (as a lost timer's would be).
    await _lost_attempt(store, keys, case_id, state, opening, ["3f2b8c1e-0000-4000-8000-000000000001"], timedelta(0))
    closing = parse_command(scenario.close())  # the validator passes it: it sees the case as registered

    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, closing)

    # Decided again on what the log holds, the case is in visitation, where closing is not allowed.
    assert "visitation phase" in str(refused.value)
    after = await cases.state(case_id)
    assert after.phase is Phase.VISITATION and after.version == 2
    assert rebuild_case(store, case_id, keys) == after
    answer = await cases.act(case_id, parse_command(scenario.assessment()))
    assert answer.events == ["assessment_recorded"] and answer.version == 3
    assert [e.event_type for e in store.read_stream(case_id)] == [
        "need_registered",
        "visitation_opened",
        "assessment_recorded",
    ]
    assert store.verify().ok


async def test_an_appeal_command_delivered_again_adopts_its_first_recording(env, cases, case_id, store, keys):
    """An appeal appends through a local activity too: a lodged appeal whose first
    workflow task was lost is recorded once, with the first recording's time."""
    await cases.open_case(parse_command(scenario.register(case_id)))
    for command in scenario.full_lifecycle_after_registration()[:3]:  # up to the decision
        await cases.act(case_id, parse_command(command))
    appeal = appeal_id(case_id, 1)
    handle = env.client.get_workflow_handle_for(AppealWorkflow.run, appeal)
    state = await _until_window_open(cases, case_id)
    run_id = (await handle.describe()).run_id
    request_id = "appeal-request-lost-once"
    lodge = parse_appeal_command(scenario.lodge_appeal())
    first = decide_appeal(state, lodge.model_copy(update={"at": state.window_ends_at - timedelta(days=20)}))
    ids = command_event_ids(appeal, run_id, request_id, len(first))
    store.append(
        appeal,
        state.version,
        [to_new_event(RecordedEvent(event_id=i, event=e), keys, appeal) for i, e in zip(ids, first, strict=True)],
    )

    request = AppealActRequest(command=lodge)
    request = request.model_copy(update={"signature": cases.signer.sign("appeal.act", appeal, request, request_id)})
    answer = await handle.execute_update(AppealWorkflow.act, request, id=request_id)

    stored = store.read_stream(appeal)
    assert [e.event_type for e in stored] == ["appeal_window_opened", *[e.type for e in first]]  # written once
    assert answer.events == [e.type for e in first] and answer.version == len(stored)
    after = await cases.appeal_state(case_id)
    assert after.status is AppealStatus.AWAITING_RECONSIDERATION
    assert after.lodged_at == first[0].occurred_at  # the first recording's time, not a second decision's
    assert store.verify().ok


async def _until_window_open(cases, case_id: str):
    for _ in range(100):
        try:
            state = await cases.appeal_state(case_id)
            if state.status is AppealStatus.WINDOW_OPEN:
                return state
        except Exception:  # noqa: BLE001 - the appeal workflow starts just after the decision
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the appeal window never opened")
