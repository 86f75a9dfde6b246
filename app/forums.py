"""The forum's side for callers: open the forum for a target group, act in it, read it."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from app.cases import CommandRejected, rejected_from
from app.settings import Settings
from domain import terminology
from domain.errors import DomainError
from domain.forum import ForumState, forum_command_adapter, forum_id
from domain.messages import Actor
from workflows.forum import ForumWorkflow
from workflows.forum_messages import ForumActRequest, ForumActResult, ForumInput


class ForumClient:
    def __init__(self, client: Client, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def open_forum(
        self,
        target_group: str,
        opened_by: Actor,
        meeting_interval: timedelta = timedelta(weeks=6),
        history_limit: int = 5_000,
    ) -> str:
        """Starts the forum for the target group, or finds the one already running."""
        try:
            terminology.target_groups().check(target_group, field="target_group")
        except DomainError as error:
            raise CommandRejected(error.message, rule=error.rule, field=error.field) from None
        await self.client.start_workflow(
            ForumWorkflow.run,
            ForumInput(
                target_group=target_group,
                opened_by=opened_by,
                meeting_interval=meeting_interval,
                history_limit=history_limit,
            ),
            id=forum_id(target_group),
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return forum_id(target_group)

    async def act(self, target_group: str, data: dict) -> ForumActResult:
        command = forum_command_adapter.validate_python(data)
        handle = self.client.get_workflow_handle_for(ForumWorkflow.run, forum_id(target_group))
        try:
            return await handle.execute_update(ForumWorkflow.act, ForumActRequest(command=command))
        except WorkflowUpdateFailedError as error:
            raise rejected_from(error) from None

    async def state(self, target_group: str) -> ForumState:
        return await self.client.get_workflow_handle_for(ForumWorkflow.run, forum_id(target_group)).query(ForumWorkflow.state)
