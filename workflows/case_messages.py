"""The typed inputs and outputs of the CaseWorkflow: one request model per handler."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.case.deadlines import PhaseDeadlines
from domain.case.decider import CaseCommand, CaseState
from domain.case.need import RegisterNeed
from domain.phases import Phase
from workflows.issuers import CommandSignature


class RunBound(BaseModel):
    """How long one run of a case may grow before it continues as new.

    Temporal refuses the 2,001st update of a run and warns at 10,240 history
    events (and 10 MB), and a case out of the worker's cache replays its whole
    run before it answers (measured on a loaded two-core machine: 1.1-2 ms an
    event; a run of 4,104 events took 4.5 s cold, one of 1,506 took 3 s). A run
    continues as new at whichever of these comes first, or when Temporal
    suggests it: 1,000 events keep a cold replay of a full run under two seconds
    (about 165 commands a run, each about six events), and 1,000 updates stay
    half of Temporal's limit. The bound is looked
    at as each command is answered, so a run ends a few events past it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    updates: int = Field(default=1_000, ge=1, description="Commands (updates) one run accepts")
    events: int = Field(default=1_000, ge=50, description="History events of one run")


class CarriedCase(BaseModel):
    """What a run hands to the next when it continues as new: the case's folded
    state (its version is the position in the event log), not its events, and
    the workflow's own bookkeeping. Timers are not carried: the new run arms
    them again from the state (``CaseWorkflow._rearm``)."""

    model_config = ConfigDict(frozen=True)

    state: CaseState
    #: Decision numbers whose appeals may still change a decision (their workflows
    #: outlive the run: parent close policy ABANDON).
    open_appeals: tuple[int, ...] = ()
    #: Appeal outcomes already acted on (appeal id and outcome), so an outcome that
    #: arrives twice (as a signal and as the appeal's result) reopens once.
    outcomes_seen: tuple[str, ...] = ()
    #: How many runs the case has had before this one.
    runs: int = 1


class CaseInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    #: The registration a front door's ``case.open`` signature covers together with the rest of
    #: this input. It travels in the ``open`` update sent with the start (``OpenRequest``), not in
    #: the start input, so the caller hears at once whether the case took it: a run's input holds None.
    registration: RegisterNeed | None
    deadlines: PhaseDeadlines = Field(default_factory=PhaseDeadlines)
    #: The version of the workflow code the case is started under (``workflows.changes``;
    #: 1 is 1.0, the baseline).
    code_version: int = 1
    #: The front door's signature of this registration (``workflows.issuers``); a run
    #: verifies it before it records anything.
    signature: CommandSignature | None = None
    #: The search attributes the namespace had registered when the case was opened
    #: (``workflows.search_attributes``): the case sets only these.
    search_attributes: tuple[str, ...] = ()
    #: The case as the previous run left it, when this run continues it as new.
    carried: CarriedCase | None = None
    bound: RunBound = Field(default_factory=RunBound)
    #: The widest spread of a shared timer after its moment (``SAMSKAB_DEADLINE_SPREAD``): the
    #: case's timers fire a share of it later, fixed per case (``domain.case.deadlines.spread_offset``).
    timer_spread: timedelta = timedelta(0)

    @field_validator("deadlines")
    @classmethod
    def _shared_deadlines(cls, deadlines: PhaseDeadlines) -> PhaseDeadlines:
        # Temporal keeps a case's input for as long as the case is open; nearly
        # every case has the same deadlines, so they hold one instance.
        return deadlines.shared()

    def opening(self, request: OpenRequest) -> CaseInput:
        """What the front door signed when it opened the case: this start input with the
        ``open`` update's registration and signature (``workflows.issuers``: ``case.open``)."""
        return self.model_copy(update={"registration": request.registration, "signature": request.signature})


class OpenRequest(BaseModel):
    """The case's registration, sent as the ``open`` update together with the case's start
    (update-with-start). Its signature is the front door's ``case.open`` signature of the
    whole opening (``CaseInput.opening``), made for this update's id."""

    model_config = ConfigDict(frozen=True)

    registration: RegisterNeed
    signature: CommandSignature | None = None


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
