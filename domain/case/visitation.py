"""Phase 2, visitation: the application, and the visitation's record.

The visitation is the assessment (``domain/case/assessment.py``), the hearing
(``domain/case/hearing.py``), the citizen's choice (``domain/case/personalised.py``),
ældreloven (``domain/case/elder_act.py``), the recommendation and the decision
(``domain/case/decision.py``). This module holds the application and its processing
deadline (retssikkerhedslovens § 3, stk. 2, ``domain/case/deadlines.py``), and the
record the case keeps of the whole visitation: each of those concepts' events is kept
in it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.appeal import DecisionReopened
from domain.case.assessment import AssessmentRecorded
from domain.case.concept import Changes, Concept, decides
from domain.case.deadlines import (
    ApplicationReceived,
    PhaseDeadlines,
    ReceiveApplication,
)
from domain.case.decision import (
    DecisionMade,
    Recommendation,
    RecommendationApproved,
    RecommendationMade,
    RecommendationReturned,
    RecommendationStatus,
)
from domain.case.elder_act import ElderActAssessed, ElderActView, covered_by_elder_act
from domain.case.hearing import (
    HEARING_EVENTS,
    CaseInformationRecorded,
    CommentRequest,
    CommentRequested,
    CommentSubmitted,
    Hearing,
    HearingAnswered,
    HearingDeadlinePassed,
    HearingStarted,
    InformationConsentGiven,
    InformationItem,
)
from domain.case.personalised import CitizensChoiceRecorded
from domain.case.processing_notice import (
    PROCESSING_NOTICE_EVENTS,
    ExpectedDatePassed,
    ProcessingDeadlinePassed,
    ProcessingDelay,
    ProcessingDelayNotified,
    evolve_delay,
)
from domain.case.revisitation import (
    Application,
    ApplicationStatus,
    ApplicationsView,
    ApplicationWithdrawn,
    Revisitation,
    check_no_pending_application,
)
from domain.errors import require
from domain.legal import check_legal_basis
from domain.messages import Event
from domain.phases import Phase

# -- the application (Rsl § 3, stk. 2) -------------------------------------


def receive_application(state: VisitationView, c: ReceiveApplication) -> list[Event]:
    check_no_pending_application(state, c.applied_for)
    # A withdrawn application leaves the citizen's right to apply whole (Rsl § 3, stk. 2): a new one is
    # received as the first was. One that was decided is changed through a reported changed need.
    latest = state.visitation.applications[-1] if state.visitation.applications else None
    require(
        state.visitation.application is None
        or state.revisitation is not None
        or (latest is not None and latest.status is ApplicationStatus.WITHDRAWN),
        "the application is already received and decided; a changed need is reported first (report_changed_need), "
        "and its new application is received in the revisitation",
        rule="application.already_received",
    )
    today = c.now.date()
    received_on = c.received_on or today
    require(
        received_on <= today,
        "an application cannot be received in the future",
        rule="application.future",
        field="received_on",
    )
    bases = tuple(dict.fromkeys(check_legal_basis(b, field=f"applied_for[{i}]") for i, b in enumerate(c.applied_for)))
    routed = tuple(b for b in bases if covered_by_elder_act(state, b, today))
    remaining = tuple(b for b in bases if b not in routed)
    hours = {check_legal_basis(b, field=f"applied_hours[{b!r}]"): h for b, h in c.applied_hours.items()}
    received_at = c.now if c.received_on is None else datetime.combine(received_on, time(0), tzinfo=UTC)
    limit = (c.published or PhaseDeadlines()).processing_deadline(remaining)
    return [
        ApplicationReceived(
            occurred_at=c.now,
            actor=c.actor,
            applied_for=remaining,
            routed_to_elder_act=routed,
            applied_hours={b: h for b, h in hours.items() if b in remaining},
            received_at=received_at,
            due_at=received_at + limit if remaining else None,
        )
    ]


class VisitationRecord(BaseModel):
    """The visitation's own facts, beside the assessment and decision the case already holds."""

    model_config = ConfigDict(frozen=True)

    application: ApplicationReceived | None = None
    consents: tuple[InformationConsentGiven, ...] = ()
    information: tuple[InformationItem, ...] = ()
    hearing: Hearing | None = None
    hearings_held: int = 0
    hearing_answers: tuple[str, ...] = ()
    choice: CitizensChoiceRecorded | None = None
    recommendation: Recommendation | None = None
    recommendations_made: int = 0
    decisions: int = 0
    #: Every application of the case by number, with its status (domain/case/revisitation.py).
    applications: tuple[Application, ...] = ()
    #: The notices to the citizen about the pending application's deadline (domain/case/processing_notice.py).
    delay: ProcessingDelay = Field(default_factory=ProcessingDelay)
    reopened_by: str | None = None  # the appeal whose reconsideration changed the decision
    elder_act: ElderActAssessed | None = None  # the municipality's assessment under ældrelovens § 2, stk. 3
    assessment_heard: bool = False  # the citizen has had the chance to comment on the current VUM assessment
    comment_request: CommentRequest | None = None  # FVL § 21


def _mark_heard(record: VisitationRecord, numbers: tuple[int, ...]) -> tuple[InformationItem, ...]:
    return tuple(i.model_copy(update={"heard": True}) if i.number in numbers else i for i in record.information)


def _settle(
    applications: tuple[Application, ...], number: int | None, status: ApplicationStatus, decision: int | None = None
):
    return tuple(
        a.model_copy(update={"status": status, "decision": decision})
        if a.number == number and a.status is ApplicationStatus.PENDING
        else a
        for a in applications
    )


def evolve_visitation(record: VisitationRecord, event: Event) -> VisitationRecord:
    """Folds a visitation event into the record; total, no checks."""
    update: dict = {}
    match event:
        case ApplicationReceived():
            entry = Application(
                number=len(record.applications) + 1,
                applied_for=event.applied_for,
                received_at=event.received_at,
                due_at=event.due_at,
            )
            update = {
                "application": event,
                "applications": (*record.applications, entry),
                "delay": ProcessingDelay(),
            }
        case ApplicationWithdrawn():
            update = {
                "applications": _settle(record.applications, event.number, ApplicationStatus.WITHDRAWN),
                "delay": ProcessingDelay(),
            }
        case ProcessingDelayNotified() | ProcessingDeadlinePassed() | ExpectedDatePassed():
            update = {"delay": evolve_delay(record.delay, event)}
        case InformationConsentGiven():
            update = {"consents": (*record.consents, event)}
        case CaseInformationRecorded():
            item = InformationItem(number=event.number, source=event.source, summary=event.summary, from_citizen=event.from_citizen,
                                   route=event.route, adverse=event.adverse)  # fmt: skip
            update = {"information": (*record.information, item)}
        case HearingStarted():
            hearing: Hearing | None = Hearing(
                number=event.number, information=event.information, due_at=event.due_at, assessment=event.assessment
            )
            update = {"hearing": hearing, "hearings_held": record.hearings_held + 1}
        case HearingAnswered():
            hearing = record.hearing.model_copy(update={"answer": event.answer}) if record.hearing else None
            update = {
                "hearing": hearing,
                "hearing_answers": (*record.hearing_answers, event.answer),
                "information": _mark_heard(record, hearing.information if hearing else ()),
                "assessment_heard": record.assessment_heard or (hearing is not None and hearing.assessment),
            }
        case HearingDeadlinePassed():
            hearing = record.hearing.model_copy(update={"deadline_passed": True}) if record.hearing else None
            update = {
                "hearing": hearing,
                "information": _mark_heard(record, hearing.information if hearing else ()),
                "assessment_heard": record.assessment_heard or (hearing is not None and hearing.assessment),
            }
        case CitizensChoiceRecorded():
            update = {"choice": event}
        case RecommendationMade():
            recommendation = Recommendation(
                number=event.number,
                by=event.actor.id,
                outcome=event.outcome,
                services=event.services,
                reasons=event.reasons,
            )
            update = {"recommendation": recommendation, "recommendations_made": record.recommendations_made + 1}
        case RecommendationApproved() | RecommendationReturned():
            status = (
                RecommendationStatus.APPROVED
                if isinstance(event, RecommendationApproved)
                else RecommendationStatus.RETURNED
            )
            if record.recommendation is not None:
                update = {
                    "recommendation": record.recommendation.model_copy(
                        update={"status": status, "comment": event.comment}
                    )
                }
        case DecisionMade():
            pending = next((a.number for a in record.applications if a.status is ApplicationStatus.PENDING), None)
            update = {
                "decisions": record.decisions + 1,
                "recommendation": None,
                "reopened_by": None,
                "applications": _settle(record.applications, pending, ApplicationStatus.DECIDED, decision=event.number),
                "delay": ProcessingDelay(),  # decided: no notice is due any more
            }
        case DecisionReopened():
            update = {"reopened_by": event.appeal_id}
        case ElderActAssessed():
            update = {"elder_act": event}
        case AssessmentRecorded():
            update = {"assessment_heard": False}  # a new assessment is heard anew
        case CommentRequested():
            update = {"comment_request": CommentRequest(due_at=event.due_at)}
        case CommentSubmitted():
            if record.comment_request is not None:
                update = {"comment_request": record.comment_request.model_copy(update={"comment": event.comment})}
    return record.model_copy(update=update) if update else record


# -- the decider ------------------------------------------------------------------


class VisitationView(ElderActView, ApplicationsView, Protocol):
    """What the application's rules read: the revisitation under way, the visitation's
    record, and what ældreloven and the applications read."""

    @property
    def revisitation(self) -> Revisitation | None: ...
    @property
    def visitation(self) -> VisitationRecord: ...


def _record(state: VisitationView, e: Event) -> Changes:
    """The event kept in the visitation's record."""
    return {"visitation": evolve_visitation(state.visitation, e)}


CONCEPT = Concept(
    "visitation",
    commands={
        ReceiveApplication: decides(receive_application, Phase.NEED, Phase.VISITATION),
    },
    events={ApplicationReceived: _record},
    # what the visitation's other concepts keep in its record
    reacts_to=dict.fromkeys(
        (
            AssessmentRecorded,
            RecommendationMade,
            RecommendationApproved,
            RecommendationReturned,
            DecisionMade,
            DecisionReopened,
            *HEARING_EVENTS,
            CitizensChoiceRecorded,
            ElderActAssessed,
            ApplicationWithdrawn,
            *PROCESSING_NOTICE_EVENTS,
        ),
        _record,
    ),
)
