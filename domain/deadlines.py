"""Deadlines that pass: the municipality's processing deadlines are workflow
timers; when one passes in a phase, the miss becomes an event in the case
(Retssikkerhedsloven § 3, stk. 2: published processing times)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.messages import Command, Event


class RecordMissedDeadline(Command):
    """Issued by the workflow itself when a phase's timer fires."""

    title = "Record missed deadline"
    type: Literal["record_missed_deadline"] = "record_missed_deadline"
    phase: str
    due_at: datetime


class DeadlineMissed(Event):
    type: Literal["deadline_missed"] = "deadline_missed"
    phase: str
    due_at: datetime

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 3, stk. 2" if self.phase == "visitation" else None


class PhaseDeadlines(BaseModel):
    """How long a case may stay in each phase before the miss is recorded.

    The municipality publishes its processing times (Rsl § 3, stk. 2); these
    defaults follow common published values and are settings, so tests and the
    demo use short ones. An empty value means: no deadline in that phase."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    visitation: timedelta | None = timedelta(weeks=8)
    team: timedelta | None = timedelta(weeks=4)
    pilot: timedelta | None = timedelta(weeks=26)
    evaluation: timedelta | None = timedelta(weeks=4)

    def for_phase(self, phase: str) -> timedelta | None:
        return getattr(self, phase, None)
