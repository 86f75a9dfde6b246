"""The typed inputs and outputs of the AppealWorkflow."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.appeal import AppealCommand, AppealStatus
from domain.deadlines import PhaseDeadlines
from workflows.issuers import CommandSignature


class AppealInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    decision_number: int
    outcome: str
    decided_at: datetime
    caseworker_id: str = Field(description="Who is told of an appeal")
    team_lead_id: str = Field(default="team_lead", description="Who is told of a late appeal or an overdue reconsideration")
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    #: The version of the workflow code the appeal is started under (its case's;
    #: ``workflows.changes``); appeals started before versions were given read as 1.
    code_version: int = 1


class AppealActRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: AppealCommand
    #: The front door's signature (``workflows.issuers``): a command without one is refused.
    signature: CommandSignature | None = None


class AppealActResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    appeal_id: str
    version: int
    status: AppealStatus
    events: list[str]


class AppealOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    appeal_id: str
    case_id: str
    decision_number: int
    status: AppealStatus
    late: bool
    reasons: str = ""
