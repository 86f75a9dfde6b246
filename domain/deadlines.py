"""Deadlines that pass: the municipality's processing deadlines are workflow
timers; when one passes in a phase, the miss becomes an event in the case
(Retssikkerhedsloven § 3, stk. 2: published processing times)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
