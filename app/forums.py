"""The forum's side for callers: open the forum for a target group, act in it, read it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from app.cases import CommandRejected, rejected_from
from app.command_signing import CommandSigner
from app.settings import Settings
from domain import terminology
from domain.errors import DomainError
from domain.forum import ForumState, forum_command_adapter, forum_id
from domain.messages import Actor
from workflows.forum import ForumWorkflow
from workflows.forum_messages import ForumActRequest, ForumActResult, ForumInput


class ForumClient:
    def __init__(self, client: Client, settings: Settings, signer: CommandSigner | None = None) -> None:
        self.client = client
        self.settings = settings
        if signer is None:
            from app.keys import command_signer  # this front door's command-signing key

            signer = command_signer(settings)
        self.signer = signer

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
        forum_input = ForumInput(
            target_group=target_group,
            opened_by=opened_by,
            meeting_interval=meeting_interval,
            history_limit=history_limit,
        )
        signature = self.signer.sign(
            "forum.open", forum_id(target_group), forum_input, f"open/{forum_id(target_group)}"
        )
        await self.client.start_workflow(
            ForumWorkflow.run,
            forum_input.model_copy(update={"signature": signature}),
            id=forum_id(target_group),
            task_queue=self.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return forum_id(target_group)

    async def act(self, target_group: str, data: dict) -> ForumActResult:
        command = forum_command_adapter.validate_python(data)
        target = forum_id(target_group)
        handle = self.client.get_workflow_handle_for(ForumWorkflow.run, target)
        update_id = str(uuid.uuid4())
        request = ForumActRequest(command=command)
        request = request.model_copy(update={"signature": self.signer.sign("forum.act", target, request, update_id)})
        try:
            return await handle.execute_update(ForumWorkflow.act, request, id=update_id)
        except WorkflowUpdateFailedError as error:
            raise rejected_from(error) from None

    async def state(self, target_group: str) -> ForumState:
        return await self.client.get_workflow_handle_for(ForumWorkflow.run, forum_id(target_group)).query(
            ForumWorkflow.state
        )
