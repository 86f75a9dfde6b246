"""Deadlines that pass: the municipality's processing deadlines are workflow
timers; when one passes, the miss becomes an event in the case.

- Phase deadlines: how long a case may stay in a phase (a miss is recorded once).
- Processing deadlines (retssikkerhedsloven § 3, stk. 2): the municipality's
  published time from the receipt of an application to the decision, per
  legal basis. Defaults are package data (``domain/data/processing_deadlines.json``)
  that the settings override. When one passes without a decision, the case
  records the miss with a written notice to the citizen that names the date a
  decision can be expected, and the team lead is told.
- Appeal windows (retssikkerhedsloven §§ 66-67): 4 weeks for the citizen to
  appeal, 4 weeks for the municipality to reconsider (see ``domain/appeal.py``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Concept, decides
from domain.legal import LegalBasis, check_legal_basis
from domain.messages import MAX_ITEMS, Code, Command, Event
from domain.phases import Phase


class RecordMissedDeadline(Command):
    """Issued by the workflow itself when a phase's timer fires."""

    title = "Record missed deadline"
    issued_by_system = True
    type: Literal["record_missed_deadline"] = "record_missed_deadline"
    label = "Registrér overskredet frist"
    phase: str
    due_at: datetime


class DeadlineMissed(Event):
    missed_deadline = "phase"
    type: Literal["deadline_missed"] = "deadline_missed"
    label = "Frist overskredet"
    phase: str
    due_at: datetime

    def legal_basis(self) -> str | None:
        return LegalBasis.RSL_3_2.value if self.phase == "visitation" else None


@cache
def default_processing_deadlines() -> tuple[timedelta, dict[str, timedelta]]:
    """The package's default processing deadlines: (for any other basis, per legal basis)."""
    raw = json.loads(
        resources.files("domain").joinpath("data", "processing_deadlines.json").read_text(encoding="utf-8")
    )
    per_basis = {
        check_legal_basis(k, field="per_legal_basis"): timedelta(weeks=v) for k, v in raw["per_legal_basis"].items()
    }
    return timedelta(weeks=raw["default"]), per_basis


class PhaseDeadlines(BaseModel):
    """Every duration a case's timers use, as settings.

    Phase fields (visitation, team, pilot, evaluation): how long a case may stay
    in each phase before the miss is recorded; empty means no deadline. The
    others are the processing deadlines (Rsl § 3, stk. 2) and the appeal windows
    (Rsl §§ 66-67). Tests and the demo use short ones."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    visitation: timedelta | None = timedelta(weeks=8)
    team: timedelta | None = timedelta(weeks=4)
    pilot: timedelta | None = timedelta(weeks=26)
    evaluation: timedelta | None = timedelta(weeks=4)

    processing: dict[str, timedelta] = Field(
        default_factory=lambda: dict(default_processing_deadlines()[1]),
        description="Published processing deadline per legal basis, from receipt of the application to the decision",
    )
    processing_default: timedelta = Field(default_factory=lambda: default_processing_deadlines()[0])
    processing_reminder: timedelta = Field(
        default=timedelta(weeks=1), description="Remind the caseworker this long before"
    )
    notice_extension: timedelta = Field(
        default=timedelta(weeks=4), description="After a miss, the citizen is told to expect a decision this much later"
    )
    appeal_window: timedelta = Field(default=timedelta(weeks=4), description="Klagefrist, Rsl § 67")
    reconsideration: timedelta = Field(default=timedelta(weeks=4), description="Genvurdering, Rsl § 66")
    late_appeals_open: timedelta = Field(
        default=timedelta(weeks=52),
        description="Not used: a late appeal is received whenever it comes (Rsl § 67 sets no outer limit); "
        "kept so the inputs of cases started with it still load",
        deprecated=True,
    )
    invitation_reply: timedelta = Field(
        default=timedelta(days=14),
        description="An invitee answers within this; a reminder goes halfway, then it expires",
    )
    pilot_check_in: timedelta = Field(default=timedelta(weeks=4), description="How often the pilot is checked in on")
    follow_up_interval: timedelta = Field(
        default=timedelta(days=365),
        description="How often a help in follow-up is followed up (SEL § 148, stk. 2 says 'løbende' and sets no "
        "interval; yearly is this system's default, a municipality may set a shorter one)",
    )

    def shared(self) -> PhaseDeadlines:
        """One instance per distinct set of deadlines: every open case holds its
        deadlines for as long as it waits, and nearly all hold the same ones."""
        key = self.model_dump_json()
        if len(_SHARED_DEADLINES) >= _SHARED_DEADLINES_LIMIT and key not in _SHARED_DEADLINES:
            return self
        return _SHARED_DEADLINES.setdefault(key, self)

    def for_phase(self, phase: str) -> timedelta | None:
        return getattr(self, phase, None) if phase in ("visitation", "team", "pilot", "evaluation") else None

    def processing_deadline(self, applied_for: tuple[str, ...] | list[str]) -> timedelta:
        """The shortest published deadline among what was applied for: the decision
        covers the whole application, so the strictest deadline governs it."""
        limits = [self.processing.get(basis, self.processing_default) for basis in applied_for]
        return min(limits) if limits else self.processing_default


def spread_offset(case_id: str, spread: timedelta) -> timedelta:
    """How long after a phase deadline this case's timer fires: a fixed share of ``spread``
    from a hash of the case id (the same in every run and replay), whole milliseconds. Cases
    whose deadlines pass in the same instant then wake over the spread, not all at once."""
    millis = int(spread.total_seconds() * 1000)
    if millis <= 0:
        return timedelta(0)
    share = int.from_bytes(hashlib.sha256(case_id.encode()).digest()[:8], "big")
    return timedelta(milliseconds=share % (millis + 1))


_SHARED_DEADLINES: dict[str, PhaseDeadlines] = {}
_SHARED_DEADLINES_LIMIT = 64  # a handful of municipalities' settings, not one per case


# -- the application and its processing deadline ---------------------------


class ReceiveApplication(Command):
    """The citizen's application as received: what is applied for, and when it came in.

    ``published`` is stamped by the workflow with the municipality's published
    deadlines (the settings); the decider falls back on the package defaults
    when it is empty."""

    title = "Receive application"
    type: Literal["receive_application"] = "receive_application"
    label = "Modtag ansøgning"
    applied_for: list[Code] = Field(
        min_length=1, max_length=MAX_ITEMS, description='Legal bases applied for, e.g. ["SEL § 96"]'
    )
    applied_hours: dict[str, float] = Field(
        default_factory=dict, description='Hours per week applied for, per legal basis, e.g. {"SEL § 96": 60}'
    )
    received_on: date | None = Field(default=None, description="The day the application came in; empty: today")
    published: PhaseDeadlines | None = None


class ApplicationReceived(Event):
    type: Literal["application_received"] = "application_received"
    label = "Ansøgning modtaget"
    applied_for: tuple[str, ...]
    routed_to_elder_act: tuple[str, ...] = ()
    applied_hours: dict[str, float] = Field(default_factory=dict)
    received_at: datetime
    due_at: datetime | None = Field(
        description="The published processing deadline; empty when all was routed to the Elder Act"
    )

    def legal_basis(self) -> str | None:
        return ", ".join(self.applied_for) or None


def _record_missed_deadline(state: object, c: RecordMissedDeadline) -> list[Event]:
    """A phase's deadline passed: the workflow records it (it reads nothing of the case)."""
    return [DeadlineMissed(occurred_at=c.now, actor=c.actor, phase=c.phase, due_at=c.due_at)]


CONCEPT = Concept(
    "deadlines",
    commands={
        RecordMissedDeadline: decides(
            _record_missed_deadline, Phase.VISITATION, Phase.TEAM, Phase.PILOT, Phase.EVALUATION
        ),
    },
    events={DeadlineMissed: lambda s, e: {"missed_deadlines": (*s.missed_deadlines, e)}},
)
