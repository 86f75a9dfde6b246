"""A case that goes on: the decision about the help, follow-ups, a bounded history,
and a closed case reopened by its appeal (time-skipping server, real event log)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import timedelta

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.common import WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.readmodels import rebuild_case
from app.cases import CaseClient, CommandRejected, parse_command
from app.devstack import find_binary
from app.settings import Settings
from app.temporal import ensure_search_attributes
from domain.appeal import AppealOutcomeKind, AppealStatus, appeal_id
from domain.case.deadlines import PhaseDeadlines
from domain.case.decider import OBSERVATIONS_KEPT
from domain.messages import Role
from domain.phases import Phase
from eventlog import EventStore
from tests import scenario
from tests.workflows.test_case_workflow import open_case, run_commands
from tests.workflows.test_replay_histories import HISTORIES
from worker import build_worker
from workflows.appeal import AppealWorkflow
from workflows.appeal_messages import AppealOutcome
from workflows.case import CaseWorkflow
from workflows.case_messages import RunBound

YEAR = timedelta(days=366)
#: The time-skipping test server stops skipping time once a child workflow completes
#: after its parent's run has continued as new (a real server drops the completion,
#: as it should for parent close policy ABANDON). Tests that skip years keep the
#: appeals' windows open past their end, so no appeal ends during the test.
APPEALS_OUTLAST_THE_TEST = PhaseDeadlines(appeal_window=timedelta(weeks=52 * 30))


def hearing() -> list[dict]:
    """FVL § 19: a decision not wholly in the citizen's favour is made after hearing them."""
    return [
        {"type": "start_hearing", "actor": scenario.CASEWORKER, "answer_within_days": 14},
        {"type": "answer_hearing", "actor": scenario.CITIZEN, "answer": "Jeg vil gerne prøve igen med en ny plan"},
    ]


def decide_on_help(choice: str, **extra) -> dict:
    reasons = "" if choice == "continue" else f"Evalueringen viser, at hjælpen bør {choice}"
    return {"type": "decide_on_help", "actor": scenario.TEAM_LEAD, "choice": choice, "reasons": reasons, **extra}


def follow_up(result: str) -> dict:
    return {
        "type": "record_follow_up",
        "actor": scenario.CASEWORKER,
        "result": result,
        "notes": "Opfølgning hjemme hos Jonas sammen med Karim",
        "citizen_took_part": True,
    }


@pytest.fixture
def settings(tmp_path) -> Settings:
    """As the shared fixture, but a signed command stays valid for ten years: the
    test server's clock runs years ahead of the signing client's."""
    return Settings(
        task_queue=f"cases-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'eventlog.db'}",
        command_max_age=timedelta(days=3650),
    )


#: The commands after which a case continues as new (a cycle's boundary).
CYCLE_BOUNDARIES = ("decide_on_help", "record_follow_up")


async def next_run(client: Client, case_id: str, run_before: str) -> None:
    for _ in range(200):
        if (await client.get_workflow_handle(case_id).describe()).run_id != run_before:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the case did not continue as new at the cycle's boundary")


async def settled(client: Client, case_id: str) -> None:
    """Waits until no workflow task of the case is in flight. The time-skipping test
    server leaves a query unanswered that reaches a run in the instant it continues
    as new, and holds its clock still while it waits."""
    for _ in range(200):
        description = await client.get_workflow_handle(case_id).describe()
        if not description.raw_description.HasField("pending_workflow_task"):
            return
        await asyncio.sleep(0.02)


async def runs_of(client: Client, case_id: str) -> list[WorkflowHistory]:
    """Every run of the case, first to last, as its history."""
    handle = client.get_workflow_handle(case_id)
    runs: list[WorkflowHistory] = []
    run_id = (await handle.describe()).run_id
    while run_id:
        history = await client.get_workflow_handle(case_id, run_id=run_id).fetch_history()
        runs.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id
    return list(reversed(runs))


async def test_a_tight_loop_of_commands_across_the_run_bound_sees_none_fail(env, cases, case_id, store, keys):
    bound = RunBound(updates=20)
    # The check-in below is four weeks and a day away: the decision's appeal window closes in that
    # time when the test starts late in the day, so the window outlasts the test (see the constant).
    await open_case(cases, case_id, bound=bound, deadlines=APPEALS_OUTLAST_THE_TEST)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:12])  # the pilot runs

    for n in range(70):  # tight: each command as soon as the last is answered
        result = await cases.act(case_id, parse_command(scenario.observation(scenario.VOLUNTEER, f"Observation {n}")))
        assert "observation_recorded" in result.events
    # and a few at once, as a busy team would
    await asyncio.gather(
        *(
            cases.act(case_id, parse_command(scenario.observation(scenario.VOLUNTEER, f"Samtidig {n}")))
            for n in range(8)
        )
    )

    state = await cases.state(case_id)
    assert state.observations_recorded == 78 and len(state.observations) == OBSERVATIONS_KEPT
    assert rebuild_case(store, case_id, keys) == state  # the carried state is the log's
    runs = await runs_of(env.client, case_id)
    assert len(runs) >= 4, f"{len(runs)} runs for 90 commands at a bound of 20"
    for history in runs:
        accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
        assert len(accepted) <= bound.updates
    # the pilot's check-in timer was armed again in the new run: the next falls due and is recorded once
    await env.sleep(timedelta(weeks=4, days=1))
    assert (await cases.state(case_id)).check_ins == 1
    assert [e.event_type for e in store.read_stream(case_id)].count("pilot_check_in_due") == 1


async def test_two_cycles_then_yearly_follow_ups_then_stop_and_close(env, cases, case_id, store, keys, settings):
    await open_case(cases, case_id, deadlines=APPEALS_OUTLAST_THE_TEST)
    steps = scenario.full_lifecycle_after_registration()[:15]  # through the first evaluation

    async def act(command: dict) -> None:
        run_before = (await env.client.get_workflow_handle(case_id).describe()).run_id
        await cases.act(case_id, parse_command(command))
        if command["type"] in CYCLE_BOUNDARIES:  # the run continues as new right after
            await next_run(env.client, case_id, run_before)
        await settled(env.client, case_id)
        state = await cases.state(case_id)
        assert rebuild_case(store, case_id, keys) == state, command["type"]

    for command in steps:
        await act(command)
    assert (await cases.state(case_id)).phase is Phase.EVALUATION

    # adjust: not wholly in the citizen's favour, so the citizen is heard first
    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(decide_on_help("adjust", plan=scenario.propose_plan()["plan"])))
    assert refused.value.rule == "decision.hearing_required"
    for command in hearing():
        await act(command)
    await act(decide_on_help("adjust", plan=scenario.propose_plan()["plan"]))
    state = await cases.state(case_id)
    assert state.phase is Phase.PILOT and state.follow_up.cycles == 1 and state.evaluation is None
    assert state.visitation.decisions == 2  # the help decision is the case's decision no. 2

    for command in (scenario.observation(scenario.VOLUNTEER), scenario.complete_pilot(), scenario.evaluation()):
        await act(command)
    await act(decide_on_help("continue"))
    state = await cases.state(case_id)
    assert state.phase is Phase.FOLLOW_UP and state.phase.label == "opfølgning"

    with pytest.raises(CommandRejected) as refused:
        await cases.act(case_id, parse_command(scenario.close()))
    assert refused.value.rule == "case.close_while_help_goes_on"

    for year in (1, 2, 3):
        await env.sleep(YEAR)
        state = await cases.state(case_id)
        assert state.follow_up.due == year, f"follow-up {year} not due after {year} year(s)"
        await act(follow_up("continue"))
    assert [e.event_type for e in store.read_stream(case_id)].count("follow_up_due") == 3

    # the third follow-up's visit showed more: a changed need, reported by the volunteer, is revisited
    await act(follow_up("revisit"))
    await act(
        {
            "type": "report_changed_need",
            "actor": scenario.VOLUNTEER,
            "reported_by": "volunteer",
            "description": "Jonas har mistet sit praktiksted og isolerer sig igen",
        }
    )
    assert (await cases.state(case_id)).phase is Phase.VISITATION
    await act({"type": "receive_application", "actor": scenario.CASEWORKER, "applied_for": ["SEL § 85"]})
    with pytest.raises(CommandRejected) as refused:
        await cases.act(
            case_id,
            parse_command({"type": "receive_application", "actor": scenario.CASEWORKER, "applied_for": ["SEL § 85"]}),
        )
    assert refused.value.rule == "application.same_kind_pending"
    await act(scenario.assessment())
    await act({**scenario.decision(), "actor": scenario.TEAM_LEAD})
    state = await cases.state(case_id)
    assert state.phase is Phase.FOLLOW_UP and state.decision.number == 4  # its own decision, with its own appeal
    assert [a.status.value for a in state.visitation.applications] == ["decided"]

    await act(follow_up("stop"))
    await act(decide_on_help("stop"))
    await act(scenario.close())
    state = await cases.state(case_id)
    assert state.phase is Phase.CLOSED and state.follow_up.help_ended
    assert rebuild_case(store, case_id, keys) == state

    runs = await runs_of(env.client, case_id)
    assert len(runs) >= 6  # a run per cycle boundary: two help decisions, the follow-ups, the stop
    assert all(len(history.events) < RunBound().events for history in runs)
    kinds = [m.kind for m in _outbox(settings, case_id)]
    assert kinds.count("follow_up_due") == 3 and kinds.count("decision") == 5  # decisions 1-5, each with its letter
    children = {appeal_id(case_id, n) for n in range(1, 6)}
    for child in children:  # and each its own appeal, outliving the runs that started it
        assert (await env.client.get_workflow_handle(child).describe()).id == child


async def test_a_changed_decision_after_the_case_closed_reopens_it(env, cases, case_id, store, keys):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())
    assert (await cases.state(case_id)).phase is Phase.CLOSED

    handle = env.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
    await handle.signal(
        "appeal_outcome",
        AppealOutcome(
            appeal_id=appeal_id(case_id, 1),
            case_id=case_id,
            decision_number=1,
            status=AppealStatus.DECISION_CHANGED,
            kind=AppealOutcomeKind.RECONSIDERATION_CHANGED,
            late=False,
            reasons="Genvurderingen ændrede afgørelsen",
        ),
    )
    state = await _eventually(cases, case_id, lambda s: s.phase is Phase.VISITATION)
    assert state.visitation.reopened_by == appeal_id(case_id, 1) and state.closed_reason is None
    assert [e.event_type for e in store.read_stream(case_id)][-1] == "decision_reopened"

    result = await cases.act(case_id, parse_command({**scenario.decision(), "actor": scenario.TEAM_LEAD}))
    assert result.phase is Phase.TEAM
    state = await cases.state(case_id)
    assert state.decision.number == 2 and rebuild_case(store, case_id, keys) == state


async def test_a_closed_case_waits_while_its_appeal_can_change_a_decision_and_then_completes(env, cases, case_id):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())
    assert (await cases.outcome(case_id)).phase is Phase.CLOSED  # closed: what a caller waits for
    handle = env.client.get_workflow_handle(case_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING  # the appeal of decision 1 is open
    await env.sleep(timedelta(weeks=57))  # past the window and the time late appeals are received
    await settled(env.client, case_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED


async def test_the_same_outcome_twice_reopens_once(env, cases, case_id, store):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:3])  # decided
    handle = env.client.get_workflow_handle_for(CaseWorkflow.run, case_id)
    outcome = AppealOutcome(
        appeal_id=appeal_id(case_id, 1),
        case_id=case_id,
        decision_number=1,
        status=AppealStatus.DECISION_CHANGED,
        kind=AppealOutcomeKind.RECONSIDERATION_CHANGED,
        late=False,
        reasons="Ændret",
    )
    await handle.signal("appeal_outcome", outcome)
    await handle.signal("appeal_outcome", outcome)
    await _eventually(cases, case_id, lambda s: s.visitation.reopened_by is not None)
    await asyncio.sleep(0.5)
    assert [e.event_type for e in store.read_stream(case_id)].count("decision_reopened") == 1


async def test_a_cold_replay_of_a_continued_run_is_fast(env, cases, case_id):
    await open_case(cases, case_id, bound=RunBound(updates=30))
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:12])
    for n in range(45):
        await cases.act(case_id, parse_command(scenario.observation(scenario.VOLUNTEER, f"Observation {n}")))
    history = (await runs_of(env.client, case_id))[-1]
    replayer = Replayer(workflows=[CaseWorkflow, AppealWorkflow], data_converter=env.client.data_converter)
    started = time.perf_counter()
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    took = time.perf_counter() - started
    assert result.replay_failure is None, result.replay_failure
    assert took < 2.0


async def _eventually(cases: CaseClient, case_id: str, check, tries: int = 100):
    for _ in range(tries):
        state = await cases.state(case_id)
        if check(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached; last state phase {state.phase}")


def _outbox(settings, stream_id):
    from tests.workflows.test_visitation_timers import outbox_for

    return outbox_for(settings, stream_id)


@pytest.mark.slow
async def test_five_thousand_observations_over_five_years_stay_bounded(env, cases, case_id, store, keys):
    """Every command accepted; every run under the bound; a cold replay of the current
    run under two seconds; the carried state is the log's. Prints the figures."""
    bound = RunBound()
    await open_case(cases, case_id, deadlines=APPEALS_OUTLAST_THE_TEST)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:15])
    await cases.act(case_id, parse_command(decide_on_help("continue")))
    started = time.perf_counter()
    for year in range(5):
        for n in range(1_000):
            text = f"År {year + 1}, observation {n + 1}: Jonas var med til fællesspisning"
            result = await cases.act(case_id, parse_command(scenario.observation(scenario.VOLUNTEER, text)))
            assert result.events == ["observation_recorded"]
        await env.sleep(YEAR)
        await settled(env.client, case_id)
        await cases.act(case_id, parse_command(follow_up("continue")))
    took = time.perf_counter() - started

    await settled(env.client, case_id)
    state = await cases.state(case_id)
    assert state.observations_recorded == 5_001  # the pilot's one and the 5,000
    assert state.follow_up.recorded == 5
    assert rebuild_case(store, case_id, keys) == state
    runs = await runs_of(env.client, case_id)
    lengths = [len(history.events) for history in runs]
    updates = [sum(e.HasField("workflow_execution_update_accepted_event_attributes") for e in h.events) for h in runs]
    # a run moves on as the command that reaches the bound is answered: a few events past it at most
    assert max(lengths) <= bound.events + 20 and max(updates) <= bound.updates
    current, longest = runs[-1], max(runs, key=lambda h: len(h.events))
    carried = max(len(h.events[0].workflow_execution_started_event_attributes.input.payloads[0].data) for h in runs)
    assert carried < 256 * 1024  # the carried state stays small: the latest observations, not all
    replayer = Replayer(workflows=[CaseWorkflow, AppealWorkflow], data_converter=env.client.data_converter)
    took_replay = {}
    for name, history in (("current", current), ("longest", longest)):
        times = []
        for _ in range(3):  # each replay is cold (a new replaying worker); the best of three leaves out other load
            replay_started = time.perf_counter()
            result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
            times.append(time.perf_counter() - replay_started)
            assert result.replay_failure is None, result.replay_failure
        took_replay[name] = min(times)
        assert took_replay[name] < 2.0, f"cold replay of the {name} run took {times}"
    print(
        f"\n5,005 commands in {took:.0f} s; {len(runs)} runs; events per run {lengths}; updates per run {updates}; "
        f"largest carried input {carried / 1024:.0f} KiB; cold replay of the current run ({len(current.events)} events) "
        f"{took_replay['current'] * 1000:.0f} ms, of the longest ({len(longest.events)} events) {took_replay['longest'] * 1000:.0f} ms"
    )


# -- the committed histories of these shapes (replayed by test_replay_histories.py) -----------

NEW_SHAPES = ("case_continued_as_new", "case_carried_run", "case_follow_up_run", "case_reopened_after_close")


@pytest.mark.skipif(os.environ.get("SAMSKAB_RECORD_HISTORIES") != "1", reason="records histories only when asked to")
async def test_record_the_histories_of_a_case_that_goes_on(tmp_path):
    """Records, with the plain pydantic converter as the other committed histories: a run
    that continued as new at the bound, the run it carried its state to, a run in
    follow-up (a yearly timer, a follow-up recorded, continued as new at the cycle's
    boundary) and a closed case reopened by its appeal's outcome."""
    settings = Settings(
        task_queue=f"record-{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'e.db'}",
        command_max_age=timedelta(days=3650),
    )
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(find_binary("temporal-test-server"))
    ) as env:
        await ensure_search_attributes(env.client)
        async with build_worker(env.client, settings, store):
            cases = CaseClient(env.client, settings)

            bounded = "history-bounded"
            await cases.open_case(
                parse_command(scenario.register(bounded)),
                deadlines=APPEALS_OUTLAST_THE_TEST,
                bound=RunBound(updates=20),
            )
            await run_commands(cases, bounded, scenario.full_lifecycle_after_registration()[:12])
            for n in range(12):
                await cases.act(bounded, parse_command(scenario.observation(scenario.VOLUNTEER, f"Observation {n}")))
            await env.sleep(timedelta(weeks=4, days=1))  # a check-in timer armed again in the carried run
            await settled(env.client, bounded)
            runs = await runs_of(env.client, bounded)
            _save(runs[0], "case_continued_as_new")
            _save(runs[-1], "case_carried_run")

            followed = "history-follow-up"
            await cases.open_case(parse_command(scenario.register(followed)), deadlines=APPEALS_OUTLAST_THE_TEST)
            await run_commands(cases, followed, scenario.full_lifecycle_after_registration()[:15])
            await cases.act(followed, parse_command(decide_on_help("continue")))
            await settled(env.client, followed)
            await env.sleep(YEAR)
            await settled(env.client, followed)
            run_before = (await env.client.get_workflow_handle(followed).describe()).run_id
            await cases.act(followed, parse_command(follow_up("continue")))
            await next_run(env.client, followed, run_before)
            _save(
                await env.client.get_workflow_handle(followed, run_id=run_before).fetch_history(), "case_follow_up_run"
            )

            reopened = "history-reopened"
            await cases.open_case(parse_command(scenario.register(reopened)), deadlines=APPEALS_OUTLAST_THE_TEST)
            await run_commands(cases, reopened, scenario.full_lifecycle_after_registration())
            await env.client.get_workflow_handle(reopened).signal(
                "appeal_outcome",
                AppealOutcome(
                    appeal_id=appeal_id(reopened, 1),
                    case_id=reopened,
                    decision_number=1,
                    status=AppealStatus.DECISION_CHANGED,
                    kind=AppealOutcomeKind.RECONSIDERATION_CHANGED,
                    late=False,
                    reasons="Ændret ved genvurdering",
                ),
            )
            await _eventually(cases, reopened, lambda s: s.phase is Phase.VISITATION)
            await cases.act(reopened, parse_command({**scenario.decision(), "actor": scenario.TEAM_LEAD}))
            await settled(env.client, reopened)
            _save(await env.client.get_workflow_handle(reopened).fetch_history(), "case_reopened_after_close")
            for workflow_id in (bounded, followed, reopened):
                await env.client.get_workflow_handle(workflow_id).terminate("recorded")
    store.dispose()


def _save(history, name: str) -> None:
    (HISTORIES / f"{name}.json").write_text(history.to_json())


def test_the_histories_of_a_case_that_goes_on_are_committed():
    assert {p.stem for p in HISTORIES.glob("*.json")} >= set(NEW_SHAPES), (
        "record them: SAMSKAB_RECORD_HISTORIES=1 python -m pytest tests/workflows/test_case_goes_on.py -k record"
    )


async def _forum_of(env, settings, target_group: str):
    from app.forums import ForumClient
    from domain.messages import Actor

    forums = ForumClient(env.client, settings)
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD))
    return forums


async def test_scaling_the_help_brings_the_proposal_to_the_target_groups_forum_and_the_help_goes_on(
    env, cases, case_id, settings
):
    from domain.forum import forum_id

    await open_case(cases, case_id, deadlines=APPEALS_OUTLAST_THE_TEST)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:15])
    target_group = (await cases.state(case_id)).assessment.target_group.code
    forums = await _forum_of(env, settings, target_group)
    try:
        named = decide_on_help("scale", forum_proposal="Mentorforløb som det Jonas fik kan tilbydes flere")
        with pytest.raises(CommandRejected) as refused:
            await cases.act(case_id, parse_command(named))
        assert refused.value.rule == "help.proposal_names_a_person" and refused.value.field == "forum_proposal"

        proposal = "Mentorforløb med en frivillig kan tilbydes flere unge med autisme"
        await cases.act(case_id, parse_command(decide_on_help("scale", forum_proposal=proposal)))
        state = await cases.state(case_id)
        assert state.phase is Phase.FOLLOW_UP and state.follow_up.help.value == "scale"
        for _ in range(100):
            observations = (await forums.state(target_group)).observations
            if observations:
                break
            await asyncio.sleep(0.05)
        [taken] = observations.values()
        assert taken.text == proposal and taken.from_pilot and taken.by_role.value == "system"
        assert case_id not in (await forums.state(target_group)).model_dump_json()  # the forum holds no case id

        # a signal no case sent (this case made no second decision) brings nothing
        from activities.messages import PilotProposal

        await env.client.get_workflow_handle(forum_id(target_group)).signal(
            "pilot_proposal", PilotProposal(case_id=case_id, decision_number=7, forum_id=forum_id(target_group))
        )
        await env.client.get_workflow_handle(forum_id(target_group)).signal(
            "pilot_proposal", PilotProposal(case_id=case_id, decision_number=2, forum_id=forum_id(target_group))
        )
        await asyncio.sleep(0.5)
        assert len((await forums.state(target_group)).observations) == 1  # and the real one once
    finally:
        await env.client.get_workflow_handle(forum_id(target_group)).terminate("test finished")


async def test_scaling_with_no_forum_open_tells_the_caseworker(env, cases, case_id, settings):
    await open_case(cases, case_id, deadlines=APPEALS_OUTLAST_THE_TEST)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration()[:15])
    await cases.act(case_id, parse_command(decide_on_help("scale", forum_proposal="Mentorforløb kan tilbydes flere")))
    for _ in range(100):
        sent = [(m.recipient, m.kind) for m in _outbox(settings, case_id)]
        if ("cw-anne", "forum_not_open") in sent:
            break
        await asyncio.sleep(0.05)
    assert ("cw-anne", "forum_not_open") in sent, sent


async def test_the_processing_deadline_and_a_hearing_are_armed_again_in_a_continued_run(
    env, cases, case_id, store, settings
):
    await open_case(cases, case_id, bound=RunBound(updates=5))
    await run_commands(
        cases,
        case_id,
        [
            {"type": "open_visitation", "actor": scenario.CASEWORKER},
            {"type": "receive_application", "actor": scenario.CASEWORKER, "applied_for": ["SEL § 85"]},
            scenario.assessment(),
            {"type": "start_hearing", "actor": scenario.CASEWORKER, "answer_within_days": 14},
        ],
    )
    for n in range(6):  # past the bound: the case continues as new with its timers pending
        await cases.act(
            case_id,
            parse_command(
                {
                    "type": "record_case_information",
                    "actor": scenario.CASEWORKER,
                    "source": f"Kilde {n}",
                    "summary": "Oplysning om borgerens hverdag",
                    "route": "unsolicited",
                }
            ),
        )
    assert len(await runs_of(env.client, case_id)) >= 2
    await env.sleep(timedelta(days=15))  # the hearing's deadline, in a run that did not start the hearing
    await settled(env.client, case_id)
    types = [e.event_type for e in store.read_stream(case_id)]
    assert types.count("hearing_deadline_passed") == 1 and types.count("hearing_started") == 1
    await env.sleep(timedelta(weeks=8))  # and the processing deadline's reminder and notice, each once
    await settled(env.client, case_id)
    types = [e.event_type for e in store.read_stream(case_id)]
    assert types.count("processing_deadline_passed") == 1
    kinds = [m.kind for m in _outbox(settings, case_id)]
    assert kinds.count("hearing") == 1 and kinds.count("reminder") == 1 and kinds.count("deadline_notice") == 1


async def test_a_late_appeal_revives_a_completed_case_and_a_changed_decision_reopens_it(env, cases, case_id, store):
    """Closed is not the end: the case's workflow completed (closed, its appeal window closed
    unused), then a late appeal comes (Rsl § 67 sets no outer limit). The case is started
    again from the state its last run ended with, signed by the front door, waits for the
    appeal, and the decision changed on reconsideration reopens it."""
    from app.cases import parse_appeal_command
    from tests.workflows.test_appeal_workflow import SkippedClock, SkippedClockSigner

    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())
    handle = env.client.get_workflow_handle(case_id)
    await env.sleep(timedelta(weeks=57))
    await settled(env.client, case_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    version_before = (await cases.state(case_id)).version  # the closed run still answers queries

    clock = SkippedClock()
    cases.signer = SkippedClockSigner(cases.signer.private_key, clock)
    clock.now = await env.get_current_time()
    late = {**scenario.lodge_appeal("Jeg fik først brevet nu"), "late_reason": "Jeg var indlagt i et år"}
    await cases.act_on_appeal(case_id, parse_appeal_command(late))
    assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING  # revived, waiting for the appeal
    clock.now = await env.get_current_time()
    await cases.act_on_appeal(case_id, parse_appeal_command(scenario.reconsider("changed", "Borgeren får flere timer")))
    state = await _eventually(cases, case_id, lambda s: s.phase is Phase.VISITATION)
    assert state.visitation.reopened_by == appeal_id(case_id, 1)
    types = [e.event_type for e in store.read_stream(case_id)]
    assert types[version_before:] == ["decision_reopened"]


async def test_a_revival_no_front_door_signed_is_refused(env, cases, case_id, settings):
    """A plain client with the codec key but no signing key cannot start a case from a state of its choosing."""
    from temporalio.client import WorkflowFailureError

    from workflows.case_messages import CarriedCase, CaseInput

    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())
    state = await cases.state(case_id)
    await env.client.get_workflow_handle(case_id).terminate("make room for the forged start")
    forged = CaseInput(
        registration=None, carried=CarriedCase(state=state.model_copy(update={"phase": Phase.VISITATION}))
    )
    started = await env.client.start_workflow(CaseWorkflow.run, forged, id=case_id, task_queue=settings.task_queue,
                                              id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)  # fmt: skip
    with pytest.raises(WorkflowFailureError) as refused:
        await started.result()
    assert "not signed" in str(refused.value.cause)
