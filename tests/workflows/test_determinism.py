"""Determinism: the case workflow replays from its own history, and runs in a
sandbox that refuses any import we did not pass through on purpose."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from app.cases import CaseClient, parse_command
from domain.phases import Phase
from tests import scenario
from tests.workflows.conftest import TrackedCases
from worker import build_worker
from workflows.case import CaseWorkflow


async def run_lifecycle(cases: CaseClient, case_id: str, env) -> None:
    await cases.open_case(parse_command(scenario.register(case_id)))
    for command in scenario.full_lifecycle_after_registration():
        await cases.act(case_id, parse_command(command))
    # a closed case waits while its decision's appeal can still change it
    await env.sleep(timedelta(weeks=57))
    assert (await cases.outcome(case_id)).phase is Phase.CLOSED


async def test_a_whole_case_history_replays_without_nondeterminism(env, cases, case_id):
    await run_lifecycle(cases, case_id, env)
    history = await env.client.get_workflow_handle(case_id).fetch_history()

    replayer = Replayer(workflows=[CaseWorkflow], data_converter=env.client.data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None


async def test_the_workflow_imports_nothing_unintended_in_a_strict_sandbox(env, settings, store, case_id):
    strict = SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_import_notification_policy(
            workflow.SandboxImportNotificationPolicy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH
        )
    )
    async with build_worker(env.client, settings, store, workflow_runner=strict):
        cases = TrackedCases(env.client, settings)
        cases.opened = []
        try:
            await run_lifecycle(cases, case_id, env)
        finally:
            await cases.end_all()
