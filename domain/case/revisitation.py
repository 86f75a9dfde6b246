"""Revisitation: a changed need opens a new application in the same case.

While the help goes on (team, pilot, evaluation or follow-up), the citizen, a
caseworker, a relative or a volunteer may report that the need has changed
(``ReportChangedNeed``). The case goes back to visitation for it: a new
application is received with its own processing deadline (retssikkerhedsloven
§ 3, stk. 2), a new needs assessment is recorded (the decision is refused on the
old one), the citizen is heard where FVL § 19 requires it, and a new decision is
made with its own number and its own appeal. The decision takes the case back
to where the help was (the phase the report came from): the help goes on under
the new decision.

Each application of the case is kept with its number and status (pending,
decided, withdrawn) in ``VisitationRecord.applications``. A case cannot close
while an application is undecided; the citizen or the caseworker withdraws one
by a recorded command (``WithdrawApplication``). One application is pending at
a time: a second one while one is pending is refused, naming the phase and the
rule (``application.same_kind_pending`` when it asks for the same legal basis).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import CaseContext, Changes, Concept, decides, enter
from domain.errors import require
from domain.legal import LegalBasis
from domain.messages import Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class Application(BaseModel):
    """One application of the case, as the case keeps it."""

    model_config = ConfigDict(frozen=True)

    number: int
    applied_for: tuple[str, ...]
    received_at: datetime
    due_at: datetime | None
    status: ApplicationStatus = ApplicationStatus.PENDING
    decision: int | None = Field(default=None, description="The number of the decision that settled it")


class Reporter(StrEnum):
    """Who may report a changed need (the four the issue names)."""

    CITIZEN = "citizen"
    CASEWORKER = "caseworker"
    RELATIVE = "relative"
    VOLUNTEER = "volunteer"


#: Who reports in which role: a volunteer reports what they observed, a relative what they see.
REPORTER_ROLES: dict[Reporter, tuple[Role, ...]] = {
    Reporter.CITIZEN: (Role.CITIZEN, Role.REPRESENTATIVE),
    Reporter.CASEWORKER: (Role.CASEWORKER, Role.TEAM_LEAD),
    Reporter.RELATIVE: (Role.RELATIVE,),
    Reporter.VOLUNTEER: (Role.VOLUNTEER,),
}

#: Where a changed need may be reported: wherever a help is in force.
REVISITABLE = (Phase.TEAM, Phase.PILOT, Phase.EVALUATION, Phase.FOLLOW_UP)


class ReportChangedNeed(Command):
    title = "Report changed need"
    type: Literal["report_changed_need"] = "report_changed_need"
    label = "Meld ændret behov"
    example = {"reported_by": "citizen", "description": "Jeg har fået det værre og har brug for mere hjælp"}
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD, Role.VOLUNTEER, Role.RELATIVE})
    reported_by: Reporter
    description: str = Field(min_length=3, max_length=4000, description="What has changed, in the reporter's words")


class ChangedNeedReported(Event):
    type: Literal["changed_need_reported"] = "changed_need_reported"
    label = "Ændret behov meldt (ny visitation)"
    fixed_basis = LegalBasis.SEL_148_2
    number: int
    reported_by: Reporter
    description: Annotated[str, Personal]
    #: The phase the help was in; the new decision takes the case back there.
    from_phase: Phase


class WithdrawApplication(Command):
    title = "Withdraw application"
    type: Literal["withdraw_application"] = "withdraw_application"
    label = "Træk ansøgning tilbage"
    example = {"number": 1, "reason": "Borgeren har fundet en anden løsning"}
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD})
    role_reason = "the citizen (or their representative) withdraws an application, or the caseworker records it"
    number: int = Field(ge=1, description="The application's number in the case")
    reason: str = Field(default="", max_length=2000)


class ApplicationWithdrawn(Event):
    type: Literal["application_withdrawn"] = "application_withdrawn"
    label = "Ansøgning trukket tilbage"
    number: int
    reason: Annotated[str, Personal] = ""


class Revisitation(BaseModel):
    """The revisitation under way, if any."""

    model_config = ConfigDict(frozen=True)

    number: int
    since: datetime
    from_phase: Phase


class _Record(Protocol):
    @property
    def applications(self) -> tuple[Application, ...]: ...


class ApplicationsView(CaseContext, Protocol):
    """What the rules about applications read besides the case's context (its phase): the
    visitation's record of applications."""

    @property
    def visitation(self) -> _Record: ...


class RevisitationView(ApplicationsView, Protocol):
    """What a report of a changed need reads besides: the team and the revisitations so far."""

    @property
    def team(self) -> Mapping[str, object]: ...
    @property
    def revisitation(self) -> Revisitation | None: ...
    @property
    def revisitations(self) -> int: ...


def pending_application(state: ApplicationsView) -> Application | None:
    return next((a for a in state.visitation.applications if a.status is ApplicationStatus.PENDING), None)


def report_changed_need(state: RevisitationView, c: ReportChangedNeed) -> list[Event]:
    require(
        c.actor.role in REPORTER_ROLES[c.reported_by],
        f"a changed need reported as {c.reported_by.value} is given by that person "
        f"({', '.join(r.value for r in REPORTER_ROLES[c.reported_by])}), not by {c.actor.role.value}",
        rule="revisitation.reporter_role",
        field="reported_by",
    )
    if c.actor.role in (Role.VOLUNTEER, Role.RELATIVE):
        require(
            c.actor.id in state.team,
            f"{c.actor.id} is not on the citizen's team; a volunteer or relative reports through the team",
            rule="revisitation.not_on_team",
            field="actor.id",
        )
    return [
        ChangedNeedReported(
            occurred_at=c.now,
            actor=c.actor,
            number=state.revisitations + 1,
            reported_by=c.reported_by,
            description=c.description.strip(),
            from_phase=state.phase,
        )
    ]


def withdraw_application(state: ApplicationsView, c: WithdrawApplication) -> list[Event]:
    application = next((a for a in state.visitation.applications if a.number == c.number), None)
    require(
        application is not None,
        f"the case has no application number {c.number}",
        rule="application.unknown",
        field="number",
    )
    assert application is not None  # refused above when missing
    require(
        application.status is ApplicationStatus.PENDING,
        f"application {c.number} is {application.status.value}; only a pending one is withdrawn",
        rule="application.not_pending",
        field="number",
    )
    return [ApplicationWithdrawn(occurred_at=c.now, actor=c.actor, number=c.number, reason=c.reason.strip())]


def check_no_pending_application(state: ApplicationsView, applied_for: tuple[str, ...] | list[str]) -> None:
    """One application is pending at a time (Rsl § 3, stk. 2: its own deadline runs)."""
    pending = pending_application(state)
    if pending is None:
        return
    same = sorted(set(pending.applied_for) & set(applied_for))
    require(
        not same,
        f"application {pending.number} for {', '.join(same)} is pending in the {state.phase.value} phase "
        f"({state.phase.label}); a second application of the same kind waits for its decision or its withdrawal",
        rule="application.same_kind_pending",
        field="applied_for",
    )
    require(
        False,
        f"application {pending.number} ({', '.join(pending.applied_for)}) is pending in the {state.phase.value} phase "
        f"({state.phase.label}); it is decided or withdrawn before the next is received",
        rule="application.one_pending",
        field="applied_for",
    )


def check_can_close(state: ApplicationsView) -> None:
    pending = pending_application(state)
    require(
        pending is None,
        f"application {pending.number if pending else ''} is undecided; the case closes after its decision or its "
        "withdrawal (withdraw_application)",
        rule="case.application_undecided",
    )


def _reported(state: RevisitationView, e: ChangedNeedReported) -> Changes:
    revisiting = Revisitation(number=e.number, since=e.occurred_at, from_phase=e.from_phase)
    return enter(Phase.VISITATION, e.occurred_at, revisitation=revisiting, revisitations=e.number)


def _withdrawn(state: RevisitationView, e: ApplicationWithdrawn) -> Changes:
    """The revisitation's application withdrawn: the help goes on as it was. (The
    visitation's record has settled the application already: its concept comes first.)"""
    if state.revisitation is None or pending_application(state) is not None:
        return {}
    return enter(state.revisitation.from_phase, e.occurred_at, revisitation=None)


CONCEPT = Concept(
    "revisitation",
    commands={
        ReportChangedNeed: decides(report_changed_need, *REVISITABLE),
        WithdrawApplication: decides(withdraw_application, Phase.NEED, Phase.VISITATION),
    },
    events={ChangedNeedReported: _reported, ApplicationWithdrawn: _withdrawn},
)
