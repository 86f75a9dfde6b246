"""The typed inputs and outputs of the AppealWorkflow, and what it tells its case."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from domain.appeal import AppealCommand, AppealOutcomeKind, AppealStatus
from domain.case.deadlines import PhaseDeadlines
from workflows.issuers import CommandSignature

#: The signal the appeal sends its case (by the case's workflow id) when it ends,
#: carrying an ``AppealOutcome``: a changed decision, a case sent back, a
#: withdrawal, a window closed unused.
APPEAL_OUTCOME_SIGNAL = "appeal_outcome"
#: The signal that records the decision letter's availability in Digital Post
#: (``LetterReceipt``): the appeal window is counted from it (Rsl § 67).
LETTER_DELIVERED_SIGNAL = "letter_delivered"


class AppealInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    decision_number: int
    outcome: str
    decided_at: datetime
    caseworker_id: str = Field(description="Who is told of an appeal")
    team_lead_id: str = Field(
        default="team_lead", description="Who is told of a late appeal or an overdue reconsideration"
    )
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    #: The version of the workflow code the appeal is started under (its case's;
    #: ``workflows.changes``); appeals started before versions were given read as 1.
    code_version: int = 1
    #: When the decision letter was available in the citizen's Digital Post, if the
    #: case knows it when it starts the appeal; else the window runs from the
    #: decision (a letter in Digital Post counts as received the day it is sent)
    #: until a ``letter_delivered`` signal records the receipt.
    letter_available_at: datetime | None = None
    #: A run started again for an appeal whose window closed unused (a late appeal,
    #: or one registered late by a caseworker): it finds its appeal in the event log.
    resume: bool = False
    #: The case's widest spread of its timers after their moments: the window's close and the
    #: reconsideration's deadline fire a share of it later, fixed per appeal.
    timer_spread: timedelta = timedelta(0)


class LetterReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    available_at: datetime


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
    """How an appeal ended: the workflow's result, and the ``appeal_outcome`` signal to its case."""

    model_config = ConfigDict(frozen=True)

    appeal_id: str
    case_id: str
    decision_number: int
    status: AppealStatus
    late: bool
    kind: AppealOutcomeKind
    #: The reasons of whoever ended it: the reconsideration's, Ankestyrelsen's, the withdrawal's note.
    reasons: str = ""
    #: The date of Ankestyrelsen's decision, when it made one.
    decided_on: date | None = None

    @property
    def asks_for_new_decision(self) -> bool:
        return self.kind.asks_for_new_decision
