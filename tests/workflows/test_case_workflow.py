"""The CaseWorkflow on a real (time-skipping) Temporal server with a real event log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType

from activities.readmodels import rebuild_case
from app.cases import CaseClient, CommandRejected, parse_command
from domain.case.deadlines import PhaseDeadlines
from domain.phases import Phase
from tests import scenario
from workflows.case import CASE_PHASE


async def open_case(cases: CaseClient, case_id: str, **kw) -> None:
    await cases.open_case(parse_command(scenario.register(case_id)), **kw)


async def until_registered(cases: CaseClient, case_id: str) -> None:
    for _ in range(200):
        if (await cases.state(case_id)).version >= 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the registration was never recorded")


WORKFLOW_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


async def history_apart_from_workflow_tasks(handle) -> list[str]:
    history = await handle.fetch_history()
    return [EventType.Name(e.event_type) for e in history.events if e.event_type not in WORKFLOW_TASK_EVENTS]


async def run_commands(cases: CaseClient, case_id: str, commands: list[dict]) -> None:
    for command in commands:
        await cases.act(case_id, parse_command(command))


#: Past every appeal window (4 weeks) and the time late appeals are received
#: (52 weeks): a closed case's workflow waits while an appeal can change its decision.
PAST_EVERY_APPEAL = timedelta(weeks=57)


async def test_one_citizen_goes_through_all_five_phases(env, cases, case_id, store):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())

    assert (await cases.state(case_id)).phase is Phase.CLOSED
    await env.sleep(PAST_EVERY_APPEAL)
    outcome = await cases.outcome(case_id)

    assert outcome.phase is Phase.CLOSED
    assert [e.event_type for e in store.read_stream(case_id)][:3] == [
        "need_registered",
        "visitation_opened",
        "assessment_recorded",
    ]
    assert store.verify().ok


async def test_the_case_phase_search_attribute_follows_the_case_with_one_upsert_per_new_phase(env, cases, case_id):
    await open_case(cases, case_id)  # started showing its first phase
    handle = env.client.get_workflow_handle(case_id)
    await until_registered(cases, case_id)
    assert (await handle.describe()).typed_search_attributes.get(CASE_PHASE) == Phase.NEED.value

    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:3])  # visitation, then team

    assert (await handle.describe()).typed_search_attributes.get(CASE_PHASE) == Phase.TEAM.value
    upserts = [
        e
        for e in (await handle.fetch_history()).events
        if e.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    phases = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields["CasePhase"].data
        for e in upserts
        if "CasePhase" in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert phases == [b'"visitation"', b'"team"']  # not the phase the case was started showing


def _markers_and_change_versions(history) -> tuple[list[str], int]:
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    upserts = [e for e in history.events if e.HasField("upsert_workflow_search_attributes_event_attributes")]
    versions = sum(
        "TemporalChangeVersion" in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in upserts
    )
    return markers, versions


async def test_a_case_runs_todays_code_with_no_patch_markers(env, cases, case_id, settings, worker):
    """1.0 is the baseline (workflows/changes.py): a case takes no patch markers and no change
    versions (each would be a marker event and a visibility write), only local activities."""
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:3])  # through the decision letter

    markers, change_versions = _markers_and_change_versions(
        await env.client.get_workflow_handle(case_id).fetch_history()
    )

    assert set(markers) == {"core_local_activity"} and change_versions == 0  # local appends and letters, no patches


async def test_case_rebuilt_from_the_event_log_equals_the_workflow_state(cases, case_id, store, keys):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:13])

    state = await cases.state(case_id)

    assert rebuild_case(store, case_id, keys) == state
    assert state.phase is Phase.PILOT and state.version == 14


async def test_a_command_out_of_phase_is_refused_with_the_phase_and_leaves_no_trace(env, cases, case_id, store):
    await open_case(cases, case_id)
    await until_registered(cases, case_id)
    handle = env.client.get_workflow_handle(case_id)
    before = await history_apart_from_workflow_tasks(handle)

    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.start_pilot()))

    assert "need phase" in refused.value.message and "Open visitation" in refused.value.message
    assert refused.value.rule == "case.wrong_phase"
    # The test server may record the workflow task that ran the validator, but
    # nothing of the update itself: no acceptance, no outcome, no activity.
    assert await history_apart_from_workflow_tasks(handle) == before
    assert len(store.read_stream(case_id)) == 1
    # and the workflow keeps running: the next valid command is accepted
    result = await cases.act(case_id, parse_command(scenario.full_lifecycle_after_registration()[0]))
    assert result.phase is Phase.VISITATION


async def test_a_decision_without_reasons_that_is_not_a_full_grant_is_refused_naming_the_field(cases, case_id, store):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:2])

    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.decision("partly_granted", reasons="")))

    assert refused.value.field == "reasons"
    assert "forvaltningsloven § 22" in refused.value.message
    assert [e.event_type for e in store.read_stream(case_id)][-1] == "assessment_recorded"


async def test_a_stale_expected_version_is_refused(cases, case_id):
    await open_case(cases, case_id)
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.full_lifecycle_after_registration()[0]), expected_version=0)
    assert refused.value.kind == "StaleVersion" and refused.value.field == "expected_version"
    result = await cases.act(
        case_id, parse_command(scenario.full_lifecycle_after_registration()[0]), expected_version=1
    )
    assert result.version == 2


async def test_a_missed_visitation_deadline_is_recorded_once(env, cases, case_id, store):
    deadlines = PhaseDeadlines(visitation=timedelta(days=56))
    await open_case(cases, case_id, deadlines=deadlines)
    await cases.act(case_id, parse_command(scenario.full_lifecycle_after_registration()[0]))

    await env.sleep(timedelta(days=57))

    state = await cases.state(case_id)
    assert [m.phase for m in state.missed_deadlines] == ["visitation"]
    assert store.read_stream(case_id)[-1].event_type == "deadline_missed"
    assert store.read_stream(case_id)[-1].legal_basis == "Retssikkerhedsloven § 3, stk. 2"
    # the case goes on after the miss, all the way to the end
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[1:])
    await env.sleep(PAST_EVERY_APPEAL)
    assert (await cases.outcome(case_id)).phase is Phase.CLOSED


async def test_opening_a_case_twice_is_refused(cases, case_id):
    await open_case(cases, case_id)
    with pytest.raises(CommandRejected) as refused:
        await open_case(cases, case_id)
    assert refused.value.field == "case_id"
