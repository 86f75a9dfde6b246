"""The baseline workflow: receives updates with empty handlers, then completes.

Its workers use the product's workflow runner (``worker.WORKFLOW_RUNNER``), so
a ratio shows what the case workflow's own work adds, not a runner choice.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow


@workflow.defn
class BareWorkflow:
    """Counts updates; completes after ``expected`` of them. With ``expected``
    0 it never completes on its own (a case waiting for a human)."""

    def __init__(self) -> None:
        self._received = 0

    @workflow.run
    async def run(self, expected: int) -> int:
        if expected <= 0:
            await workflow.wait_condition(lambda: False)
        await workflow.wait_condition(lambda: self._received >= expected)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._received

    @workflow.update
    async def act(self, request: Any) -> None:
        self._received += 1
