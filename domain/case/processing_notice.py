"""Telling the citizen that the processing deadline cannot be kept (retssikkerhedsloven § 3, stk. 2).

Rsl § 3, stk. 2: when the published deadline cannot be kept in a case, the
municipality tells the applicant in writing when a decision can be expected.
So:

- as soon as the caseworker knows the deadline cannot be met, they record it
  with the expected date and the reason (``NotifyProcessingDelay``); the citizen
  gets the letter at once;
- at the latest when the deadline passes without a decision, the case records
  it (``RecordProcessingDeadlinePassed``, by the workflow's timer) and tells the
  citizen that the deadline has passed and that a date follows; no date is
  made up: the caseworker is asked for the expected date (a work item,
  ``ProcessingDelay.expected_date_needed``) unless they gave one already;
- when the expected date passes too, the citizen is told again
  (``RecordExpectedDatePassed``) and the caseworker is asked for a new date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Concept, decides
from domain.case.revisitation import Application, ApplicationsView, pending_application
from domain.errors import DomainError, require
from domain.legal import RSL_3_2, LegalBasis
from domain.messages import Command, Event
from domain.personal_data import Personal
from domain.phases import Phase


class ProcessingDelay(BaseModel):
    """Where the current application's notices stand."""

    model_config = ConfigDict(frozen=True)

    expected_by: date | None = None
    notices: int = 0
    deadline_passed: bool = False
    #: The expected date given has passed and the citizen was told (once per date).
    expected_passed: bool = False
    #: A work item: the caseworker is to set the date a decision can be expected.
    expected_date_needed: bool = False


class NotifyProcessingDelay(Command):
    title = "Notify processing delay"
    type: Literal["notify_processing_delay"] = "notify_processing_delay"
    label = "Skriv til borgeren om forsinkelse"
    example = {"expected_by": "2026-03-16", "reason": "Vi venter på en lægeerklæring"}
    role_reason = "the caseworker tells the citizen of a delay"
    expected_by: date = Field(description="The day a decision can be expected")
    reason: str = Field(min_length=3, max_length=2000, description="Why the deadline cannot be kept")


class ProcessingDelayNotified(Event):
    type: Literal["processing_delay_notified"] = "processing_delay_notified"
    label = "Borgeren har fået besked om forsinkelse"
    fixed_basis = LegalBasis.RSL_3_2
    due_at: datetime
    expected_by: date
    reason: Annotated[str, Personal]
    notice: Annotated[str, Personal] = Field(description="The letter to the citizen (Danish)")


class RecordProcessingDeadlinePassed(Command):
    """Issued by the workflow when the processing deadline passes without a decision."""

    title = "Record processing deadline passed"
    issued_by_system = True
    type: Literal["record_processing_deadline_passed"] = "record_processing_deadline_passed"
    label = "Registrér overskredet sagsbehandlingsfrist"


class ProcessingDeadlinePassed(Event):
    missed_deadline = "processing"  # Rsl § 3, stk. 2
    type: Literal["processing_deadline_passed"] = "processing_deadline_passed"
    label = "Sagsbehandlingsfrist overskredet"
    fixed_basis = LegalBasis.RSL_3_2
    due_at: datetime
    #: The date the caseworker gave before the deadline passed, if any.
    expected_by: date | None = None
    notice: Annotated[str, Personal] = Field(description="The letter to the citizen (Danish)")


class RecordExpectedDatePassed(Command):
    """Issued by the workflow when the date the citizen was given passes without a decision."""

    title = "Record expected date passed"
    issued_by_system = True
    type: Literal["record_expected_date_passed"] = "record_expected_date_passed"
    label = "Registrér overskredet forventet dato"
    expected_by: date


class ExpectedDatePassed(Event):
    missed_deadline = "expected_date"  # the date the citizen was told (Rsl § 3, stk. 2)
    type: Literal["expected_date_passed"] = "expected_date_passed"
    label = "Forventet dato for afgørelse overskredet"
    fixed_basis = LegalBasis.RSL_3_2
    expected_by: date
    notice: Annotated[str, Personal] = Field(description="The letter to the citizen (Danish)")


class _Record(Protocol):
    @property
    def applications(self) -> tuple[Application, ...]: ...
    @property
    def delay(self) -> ProcessingDelay: ...


class NoticeView(ApplicationsView, Protocol):
    """What the notices read besides the case's context: the pending application and the notices so far."""

    @property
    def visitation(self) -> _Record: ...


def _pending_with_deadline(state: NoticeView) -> tuple[Application, datetime]:
    """The application awaiting a decision, and its processing deadline."""
    application = pending_application(state)
    if application is None:
        raise DomainError("no application awaits a decision in this case", rule="deadline.no_pending_application")
    if application.due_at is None:
        raise DomainError("no processing deadline runs for this application", rule="deadline.no_processing_deadline")
    return application, application.due_at


def _name(state: NoticeView) -> str:
    return state.citizen.name if state.citizen else "borger"


def notify_processing_delay(state: NoticeView, c: NotifyProcessingDelay) -> list[Event]:
    application, due_at = _pending_with_deadline(state)
    today = c.now.date()
    require(
        c.expected_by > today, "the expected date lies ahead", rule="deadline.expected_in_past", field="expected_by"
    )
    delay = state.visitation.delay
    if delay.expected_by is None:
        require(
            c.expected_by > due_at.date(),
            f"the deadline is {due_at:%d.%m.%Y}; a notice names a later date",
            rule="deadline.expected_not_after_deadline",
            field="expected_by",
        )
    notice = (
        f"Kære {_name(state)}\n\n"
        f"Vi kan ikke nå at træffe afgørelse i din sag ({state.case_id}) om {', '.join(application.applied_for)} "
        f"inden for kommunens sagsbehandlingsfrist den {due_at:%d.%m.%Y}.\n"
        f"Årsagen er: {c.reason.strip()}\n"
        f"Du kan forvente en afgørelse senest den {c.expected_by:%d.%m.%Y}.\n\n"
        f"Vi skriver til dig efter {RSL_3_2}. Du er velkommen til at kontakte din sagsbehandler.\n"
    )
    return [
        ProcessingDelayNotified(
            occurred_at=c.now,
            actor=c.actor,
            due_at=due_at,
            expected_by=c.expected_by,
            reason=c.reason.strip(),
            notice=notice,
        )
    ]


def record_processing_deadline_passed(state: NoticeView, c: RecordProcessingDeadlinePassed) -> list[Event]:
    application, due_at = _pending_with_deadline(state)
    delay = state.visitation.delay
    require(not delay.deadline_passed, "the passed deadline is already recorded", rule="deadline.already_recorded")
    require(
        c.now >= due_at,
        f"the processing deadline is {due_at.isoformat()}; it has not passed",
        rule="deadline.not_passed",
    )
    if delay.expected_by is not None:
        when = f"Som vi har skrevet til dig, kan du forvente en afgørelse senest den {delay.expected_by:%d.%m.%Y}.\n"
    else:
        when = "Din sagsbehandler skriver til dig hurtigst muligt med den dato, du kan forvente en afgørelse.\n"
    notice = (
        f"Kære {_name(state)}\n\n"
        f"Kommunens sagsbehandlingsfrist i din sag ({state.case_id}) om {', '.join(application.applied_for)} "
        f"udløb den {due_at:%d.%m.%Y}, uden at vi har truffet afgørelse.\n{when}\n"
        f"Vi skriver til dig efter {RSL_3_2}.\n"
    )
    return [
        ProcessingDeadlinePassed(
            occurred_at=c.now, actor=c.actor, due_at=due_at, expected_by=delay.expected_by, notice=notice
        )
    ]


def record_expected_date_passed(state: NoticeView, c: RecordExpectedDatePassed) -> list[Event]:
    _pending_with_deadline(state)
    delay = state.visitation.delay
    require(
        delay.expected_by == c.expected_by and c.now.date() > c.expected_by and not delay.expected_passed,
        "the expected date given to the citizen has not passed (or has changed)",
        rule="deadline.expected_not_passed",
        field="expected_by",
    )
    notice = (
        f"Kære {_name(state)}\n\n"
        f"Vi skrev til dig, at du kunne forvente en afgørelse i din sag ({state.case_id}) senest den "
        f"{c.expected_by:%d.%m.%Y}. Det har vi desværre ikke nået.\n"
        "Din sagsbehandler skriver til dig hurtigst muligt med en ny dato.\n\n"
        f"Vi skriver til dig efter {RSL_3_2}.\n"
    )
    return [ExpectedDatePassed(occurred_at=c.now, actor=c.actor, expected_by=c.expected_by, notice=notice)]


def evolve_delay(delay: ProcessingDelay, event: Event) -> ProcessingDelay:
    match event:
        case ProcessingDelayNotified():
            return delay.model_copy(
                update={
                    "expected_by": event.expected_by,
                    "notices": delay.notices + 1,
                    "expected_date_needed": False,
                    "expected_passed": False,
                }
            )
        case ProcessingDeadlinePassed():
            return delay.model_copy(
                update={
                    "deadline_passed": True,
                    "notices": delay.notices + 1,
                    "expected_date_needed": event.expected_by is None,
                }
            )
        case ExpectedDatePassed():
            return delay.model_copy(
                update={"notices": delay.notices + 1, "expected_date_needed": True, "expected_passed": True}
            )
    return delay


PROCESSING_NOTICE_EVENTS = (ProcessingDelayNotified, ProcessingDeadlinePassed, ExpectedDatePassed)


#: Rsl § 3, stk. 2: the notices run while an application awaits its decision.
CONCEPT = Concept(
    "processing notice",
    commands={
        NotifyProcessingDelay: decides(notify_processing_delay, Phase.NEED, Phase.VISITATION),
        RecordProcessingDeadlinePassed: decides(record_processing_deadline_passed, Phase.NEED, Phase.VISITATION),
        RecordExpectedDatePassed: decides(record_expected_date_passed, Phase.NEED, Phase.VISITATION),
    },
    events=dict.fromkeys(PROCESSING_NOTICE_EVENTS),  # kept in the visitation's record
)
