"""The typed inputs and outputs of the CaseWorkflow: one request model per handler."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.case import CaseCommand
from domain.deadlines import PhaseDeadlines
from domain.need import RegisterNeed
from domain.phases import Phase
from workflows.issuers import CommandSignature


class CaseInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: None once the running case has recorded it (``let_go_of_registration``).
    registration: RegisterNeed
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    #: The version of the workflow code the case is started under (``workflows.changes``);
    #: cases started before versions were given read as 1.
    code_version: int = 1
    #: The front door's signature of this registration (``workflows.issuers``); None
    #: in cases started before commands were signed, whose histories still replay.
    signature: CommandSignature | None = None
    #: The search attributes the namespace had registered when the case was opened
    #: (``workflows.search_attributes``): the case sets only these. Empty in cases of
    #: code version 2 or older, which set only ``CasePhase``.
    search_attributes: tuple[str, ...] = ()

    @field_validator("deadlines")
    @classmethod
    def _shared_deadlines(cls, deadlines: PhaseDeadlines) -> PhaseDeadlines:
        # Temporal keeps a case's input for as long as the case is open; nearly
        # every case has the same deadlines, so they hold one instance.
        return deadlines.shared()

    def let_go_of_registration(self) -> None:
        """Drops the registration once the case has recorded it in the event log.

        Temporal keeps a workflow's input for as long as the run is open (months
        for a case), and the registration holds the citizen's own account of
        the need: personal data the worker has no further use for. A replay
        decodes the input afresh from history, so this changes nothing there."""
        object.__setattr__(self, "registration", None)


class ActRequest(BaseModel):
    """A person's command; ``expected_version`` guards against acting on a stale view."""

    model_config = ConfigDict(frozen=True)

    command: CaseCommand
    expected_version: int | None = Field(default=None, ge=0)
    #: The front door's signature (``workflows.issuers``): a command without one is refused.
    signature: CommandSignature | None = None


class ActResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    version: int
    phase: Phase
    events: list[str]
    positions: list[int]


class CaseOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    version: int
    phase: Phase
    closed_reason: str | None
