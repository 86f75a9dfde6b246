"""The typed inputs and outputs of the ForumWorkflow."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.forum import ForumCommand, ForumState
from domain.messages import Actor
from workflows.issuers import CommandSignature


class ForumInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    target_group: str
    opened_by: Actor
    meeting_interval: timedelta = timedelta(weeks=6)
    history_limit: int = Field(default=5_000, ge=20, description="Continue as new past this many history events")
    carried: ForumState | None = None
    next_meeting_at: datetime | None = None
    #: The front door's signature of the opening (``workflows.issuers``).
    signature: CommandSignature | None = None


class ForumActRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: ForumCommand
    #: The front door's signature (``workflows.issuers``): a command without one is refused.
    signature: CommandSignature | None = None


class ForumActResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    forum_id: str
    version: int
    events: list[str]
