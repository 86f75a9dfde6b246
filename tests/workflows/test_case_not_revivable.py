"""A late appeal on a case whose workflow ended without closing it: refused (case.not_revivable).

A late appeal revives a completed case (``test_case_goes_on``); a case whose last run did
not complete (it failed, or was terminated) holds no closed state to start again from, so
the appeal is refused with a message for the operator instead of starting from a guess."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy

from app.cases import CommandRejected, parse_appeal_command
from domain.phases import Phase
from tests import scenario
from tests.workflows.test_appeal_workflow import SkippedClock, SkippedClockSigner
from tests.workflows.test_case_goes_on import settled
from tests.workflows.test_case_workflow import open_case, run_commands
from workflows.case import CaseWorkflow
from workflows.case_messages import CarriedCase, CaseInput


async def test_a_late_appeal_on_a_case_whose_last_run_failed_is_refused(env, cases, case_id, settings):
    await open_case(cases, case_id)
    await run_commands(cases, case_id, scenario.full_lifecycle_after_registration())
    await env.sleep(timedelta(weeks=57))  # the appeal window closes unused; the closed case completes
    await settled(env.client, case_id)
    handle = env.client.get_workflow_handle(case_id)
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    # its last run now is one that failed: a start no front door signed
    state = await cases.state(case_id)
    forged = CaseInput(
        registration=None, carried=CarriedCase(state=state.model_copy(update={"phase": Phase.VISITATION}))
    )
    started = await env.client.start_workflow(CaseWorkflow.run, forged, id=case_id, task_queue=settings.task_queue,
                                              id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE)  # fmt: skip
    with pytest.raises(WorkflowFailureError):
        await started.result()

    clock = SkippedClock()
    cases.signer = SkippedClockSigner(cases.signer.private_key, clock)
    clock.now = await env.get_current_time()
    late = {**scenario.lodge_appeal("Jeg fik først brevet nu"), "late_reason": "Jeg var indlagt i et år"}
    with pytest.raises(CommandRejected) as refused:
        await cases.act_on_appeal(case_id, parse_appeal_command(late))
    assert refused.value.rule == "case.not_revivable" and "failed" in refused.value.message
    assert (await env.client.get_workflow_handle(case_id).describe()).status is WorkflowExecutionStatus.FAILED
