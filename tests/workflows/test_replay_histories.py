"""Determinism across code changes: committed histories replay against the
current workflow code, and a change made without ``workflow.patched`` fails
replay while the patched one passes.

The histories in ``tests/histories/*.json`` come from the test scenarios
(a whole lifecycle, a missed deadline, an appeal sent back by Ankestyrelsen,
an appeal window closed unused and a late appeal withdrawn in a second run, a
forum that continued as new). They
are recorded with the plain pydantic data converter, without the encrypting
payload codec, so they stay readable and replay whatever codec key a run
has; the codec changes payload bytes only, never the order of commands a
workflow gives, which is what replay checks.

Re-record them (only after a deliberate, patched or compatible change):

    SAMSKAB_RECORD_HISTORIES=1 python -m pytest tests/workflows/test_replay_histories.py
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from app.cases import CaseClient, parse_appeal_command, parse_command
from app.devstack import find_binary
from app.forums import ForumClient
from app.settings import Settings
from app.temporal import ensure_search_attributes
from domain import terminology
from domain.appeal import appeal_id
from domain.case.deadlines import PhaseDeadlines
from domain.forum import forum_id
from domain.messages import Actor, Role
from eventlog import EventStore
from tests import scenario
from worker import build_worker
from workflows.appeal import AppealWorkflow
from workflows.case import CaseWorkflow
from workflows.forum import ForumWorkflow

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
RECORD = os.environ.get("SAMSKAB_RECORD_HISTORIES") == "1"
#: ``SAMSKAB_RECORD_HISTORIES=appeals``: only the appeal's histories.
RECORD_APPEALS = os.environ.get("SAMSKAB_RECORD_HISTORIES") == "appeals"
RERECORD_HINT = (
    "If the workflow change is deliberate and running workflows may not meet it (or it is guarded "
    "with workflow.patched), re-record: SAMSKAB_RECORD_HISTORIES=1 python -m pytest "
    "tests/workflows/test_replay_histories.py, and commit tests/histories/*.json with the change."
)


# -- recording (only with SAMSKAB_RECORD_HISTORIES=1) ----------------------------------


async def _record_all(tmp_path: Path) -> None:
    HISTORIES.mkdir(exist_ok=True)
    settings = Settings(
        task_queue=f"record-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'e.db'}"
    )
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(find_binary("temporal-test-server"))
    ) as env:
        await ensure_search_attributes(env.client)
        async with build_worker(env.client, settings, store):
            cases = CaseClient(env.client, settings)

            lifecycle = "history-lifecycle"
            await cases.open_case(parse_command(scenario.register(lifecycle)))
            for command in scenario.full_lifecycle_after_registration():
                await cases.act(lifecycle, parse_command(command))
            await cases.outcome(lifecycle)
            await _save(env, lifecycle, "case_full_lifecycle")

            await _record_appeals(env, cases)

            missed = "history-missed-deadline"
            await cases.open_case(
                parse_command(scenario.register(missed)), deadlines=PhaseDeadlines(visitation=timedelta(days=56))
            )
            await cases.act(missed, parse_command(scenario.full_lifecycle_after_registration()[0]))
            await env.sleep(timedelta(days=57))
            for command in scenario.full_lifecycle_after_registration()[1:]:
                await cases.act(missed, parse_command(command))
            await cases.outcome(missed)
            await _save(env, missed, "case_missed_deadline")

            forums = ForumClient(env.client, settings)
            group = sorted(terminology.target_groups().codes)[0]
            await forums.open_forum(group, Actor(id="tl-bo", role=Role.TEAM_LEAD), history_limit=40)
            handle = env.client.get_workflow_handle(forum_id(group))
            first_run = (await handle.describe()).run_id
            for n in range(8):
                await forums.act(
                    group,
                    {
                        "type": "submit_forum_observation",
                        "actor": {"id": "vol-maria", "role": "volunteer"},
                        "text": f"Observation nummer {n + 1} om behov for samvær i weekenden",
                        "life_area": "relations",
                    },
                )
            assert (await handle.describe()).run_id != first_run, "the forum did not continue as new"
            history = await env.client.get_workflow_handle(forum_id(group), run_id=first_run).fetch_history()
            (HISTORIES / "forum_continued_as_new.json").write_text(history.to_json())
            await handle.terminate("recorded")
    store.dispose()


async def _record_appeals(env: WorkflowEnvironment, cases: CaseClient) -> None:
    """The appeal's shapes: sent back by Ankestyrelsen; a window closed unused; a late
    appeal after that (a second run, from the log) withdrawn by the citizen."""
    sent_back = "history-appeal"
    await cases.open_case(parse_command(scenario.register(sent_back)))
    for command in scenario.full_lifecycle_after_registration()[:3]:  # up to the decision
        await cases.act(sent_back, parse_command(command))
    await cases.act_on_appeal(sent_back, parse_appeal_command(scenario.lodge_appeal()))
    await cases.act_on_appeal(sent_back, parse_appeal_command(scenario.reconsider("upheld")))
    today = (await env.get_current_time()).date().isoformat()
    await cases.act_on_appeal(sent_back, parse_appeal_command(
        {"type": "record_appeal_outcome", "actor": scenario.CASEWORKER, "outcome": "sent_back", "decided_on": today,
         "reasons": "Sagen er ikke tilstrækkeligt oplyst"}))  # fmt: skip
    appeal = env.client.get_workflow_handle(appeal_id(sent_back, 1))
    await appeal.result()
    (HISTORIES / "appeal_sent_back.json").write_text((await appeal.fetch_history()).to_json())

    unused = "history-appeal-unused"
    await cases.open_case(parse_command(scenario.register(unused)))
    for command in scenario.full_lifecycle_after_registration()[:3]:
        await cases.act(unused, parse_command(command))
    appeal = env.client.get_workflow_handle(appeal_id(unused, 1))
    first_run = (await appeal.describe()).run_id
    await env.sleep(timedelta(weeks=5))
    await appeal.result()
    (HISTORIES / "appeal_window_closed.json").write_text((await appeal.fetch_history()).to_json())
    late = {**scenario.lodge_appeal(), "late_reason": "Brevet var gået tabt"}
    await cases.act_on_appeal(unused, parse_appeal_command(late))
    await cases.act_on_appeal(unused, parse_appeal_command({"type": "withdraw_appeal", "actor": scenario.CITIZEN}))
    resumed = env.client.get_workflow_handle(appeal_id(unused, 1))
    assert (await resumed.describe()).run_id != first_run, "the late appeal did not start a new run"
    await resumed.result()
    (HISTORIES / "appeal_late_withdrawn.json").write_text((await resumed.fetch_history()).to_json())


async def _record_appeals_only(tmp_path: Path) -> None:
    settings = Settings(
        task_queue=f"record-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'e.db'}"
    )
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(find_binary("temporal-test-server"))
    ) as env:
        await ensure_search_attributes(env.client)
        async with build_worker(env.client, settings, store):
            await _record_appeals(env, CaseClient(env.client, settings))
    store.dispose()


async def _save(env: WorkflowEnvironment, workflow_id: str, name: str) -> None:
    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
    (HISTORIES / f"{name}.json").write_text(history.to_json())


@pytest.fixture(scope="module")
def histories(tmp_path_factory) -> list[Path]:
    if RECORD:
        import asyncio

        asyncio.run(_record_all(tmp_path_factory.mktemp("record")))
    elif RECORD_APPEALS:
        import asyncio

        asyncio.run(_record_appeals_only(tmp_path_factory.mktemp("record")))
    found = sorted(HISTORIES.glob("*.json"))
    assert found, f"no histories in {HISTORIES}. {RERECORD_HINT}"
    return found


def test_the_recorded_histories_cover_the_scenarios(histories):
    scenarios = {"case_full_lifecycle", "case_missed_deadline", "forum_continued_as_new"}
    # The appeal's shapes since it ends when nothing more can happen (the appeal histories
    # before that were replaced, not kept: no appeal of that shape ever ran in production).
    appeals = {"appeal_sent_back", "appeal_window_closed", "appeal_late_withdrawn"}
    # 1.0 is the baseline (workflows/changes.py): its histories only. A change after it keeps
    # these and records its own beside them.
    assert {p.stem for p in histories} >= scenarios | appeals
    # A case that goes on (recorded by tests/workflows/test_case_goes_on.py): a run that continued
    # as new at its bound, the run its state was carried to, a run in follow-up, a closed case reopened.
    assert {p.stem for p in histories} >= {
        "case_continued_as_new",
        "case_carried_run",
        "case_follow_up_run",
        "case_reopened_after_close",
    }


async def test_every_recorded_history_replays_against_the_current_workflow_code(histories):
    replayer = Replayer(workflows=[CaseWorkflow, ForumWorkflow, AppealWorkflow], data_converter=pydantic_data_converter)
    failures = []
    for path in histories:
        data = json.loads(path.read_text())
        history = WorkflowHistory.from_json(path.stem, data)
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append(f"{path.name}: {result.replay_failure}")
    assert not failures, (
        "replay failed (a non-deterministic workflow change?):\n" + "\n".join(failures) + "\n" + RERECORD_HINT
    )


# -- what workflow.patched is for: a test-only workflow in three versions -------------------


@activity.defn(name="greet")
async def greet(name: str) -> str:
    return f"hej {name}"


@workflow.defn(name="PatchDemo", sandboxed=False)
class PatchDemoV1:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(hours=1))
        return f"hej {name}"


@workflow.defn(name="PatchDemo", sandboxed=False)
class PatchDemoV2Unpatched:
    """v1 with its sleep turned into an activity call, without a patch."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="PatchDemo", sandboxed=False)
class PatchDemoV3Patched:
    """The same change behind ``workflow.patched``: old histories take the old path."""

    @workflow.run
    async def run(self, name: str) -> str:
        if workflow.patched("greet-by-activity"):
            return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))
        await workflow.sleep(timedelta(hours=1))
        return f"hej {name}"


async def test_an_unpatched_change_fails_replay_and_workflow_patched_fixes_it(env):
    queue = f"patch-demo-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=queue, workflows=[PatchDemoV1]):
        handle = await env.client.start_workflow(
            PatchDemoV1.run, "Jonas", id=f"patch-demo-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        assert await handle.result() == "hej Jonas"
    history = await handle.fetch_history()

    unpatched = await Replayer(
        workflows=[PatchDemoV2Unpatched], data_converter=env.client.data_converter
    ).replay_workflow(history, raise_on_replay_failure=False)
    assert unpatched.replay_failure is not None
    assert "nondetermin" in str(unpatched.replay_failure).lower()

    patched = await Replayer(workflows=[PatchDemoV3Patched], data_converter=env.client.data_converter).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert patched.replay_failure is None

    async with Worker(env.client, task_queue=queue, workflows=[PatchDemoV3Patched], activities=[greet]):
        new = await env.client.start_workflow(
            PatchDemoV3Patched.run, "Karim", id=f"patch-demo-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        assert await new.result() == "hej Karim"
