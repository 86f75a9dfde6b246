"""Where a case stands, in the few facts a work list needs: derived from the
case's state alone, so the list, the case page and the reports can never
disagree about a phase, a deadline or whose turn it is.

    summarise(state, deadlines, appeal) -> CaseSummary
    work_items(state, deadlines, appeal) -> list[WorkItem]

Both are pure: the read side (``projections/``) keeps them up to date as
events arrive, and a case folded from its events at any moment gives the same
answer (tests hold the two equal).

The deadlines a case can be waiting for:

- the phase deadline (how long a case may stay in a phase, ``PhaseDeadlines``);
- the processing deadline of an application (retssikkerhedsloven § 3, stk. 2),
  until the decision is made;
- a hearing's answer deadline (forvaltningsloven § 19);
- the deadline for a comment the citizen asked to give first (forvaltningsloven § 21);
- an invitation's reply deadline;
- a scheduled joint meeting;
- an appeal's window (retssikkerhedsloven § 67) and the municipality's
  reconsideration of a lodged appeal (§ 66);
- the date a decision was promised the citizen after a delay notice (Rsl § 3, stk. 2);
- the next follow-up of a help in follow-up (serviceloven § 148, stk. 2).

A missed deadline that was recorded in the case's current phase keeps the
case overdue (with that deadline's date) until the case moves on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from domain.appeal import AppealState, AppealStatus
from domain.case.deadlines import PhaseDeadlines
from domain.case.decision import RecommendationStatus
from domain.case.follow_up import FollowUpResult, help_decision_open, next_follow_up_at
from domain.case.revisitation import pending_application
from domain.case.team import InvitationStatus, MemberKind
from domain.phases import Phase

#: Who a work item waits for when it is no single person's: any team lead, or the citizen.
TEAM_LEADS = "team_lead"
CASEWORKERS = "caseworker"
CITIZEN = "citizen"


@dataclass(frozen=True, slots=True)
class Deadline:
    """One date the case is waiting for, and what for (Danish, as a caseworker reads it)."""

    due_at: datetime
    what: str
    kind: str


@dataclass(frozen=True, slots=True)
class WorkItem:
    """What someone must do next in a case, and by when.

    ``person_id`` names the one person it waits for; when it is a group's turn
    (any team lead, the case's caseworker before one is assigned, the citizen)
    ``person_id`` is None and ``role`` names the group."""

    kind: str
    what: str
    role: str
    person_id: str | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class TeamEntry:
    person_id: str
    kind: MemberKind
    status: InvitationStatus


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One row of the caseworker's list: no CPR number, no name, no free text."""

    case_id: str
    phase: Phase
    phase_since: datetime | None
    caseworker_id: str | None
    target_group: str | None  # the FFB "Målgruppe" code of the assessment
    target_group_display: str | None
    #: The earliest date the case waits for (a missed one in this phase first), and what for.
    due_at: datetime | None
    due_what: str | None
    #: A deadline of the current phase was recorded as missed.
    missed: bool
    appeal_status: str | None
    version: int
    last_changed_at: datetime | None
    team: tuple[TeamEntry, ...] = field(default=())
    #: The unit the case belongs to (need-to-know); None until assigned.
    unit: str | None = None

    @property
    def is_open(self) -> bool:
        return self.phase.is_open

    def overdue(self, now: datetime) -> bool:
        """Open, and a deadline has passed (or was recorded as missed in this phase)."""
        return self.is_open and (self.missed or (self.due_at is not None and self.due_at < now))


def _phase_deadline(state, deadlines: PhaseDeadlines) -> Deadline | None:
    limit = deadlines.for_phase(state.phase.value)
    if limit is None or state.phase_since is None or not state.phase.is_open:
        return None
    return Deadline(state.phase_since + limit, f"fasefrist: {state.phase.label}", "phase")


def _missed_in_phase(state) -> Deadline | None:
    missed = [m for m in state.missed_deadlines if m.phase == state.phase.value]
    if not missed or not state.phase.is_open:
        return None
    return Deadline(missed[-1].due_at, f"fasefrist overskredet: {state.phase.label}", "phase_missed")


def upcoming_deadlines(state, deadlines: PhaseDeadlines, appeal: AppealState | None = None) -> list[Deadline]:
    """Every date the case waits for now, earliest first."""
    found: list[Deadline] = []
    if not state.phase.is_open:
        return found
    for deadline in (_missed_in_phase(state) or _phase_deadline(state, deadlines),):
        if deadline is not None:
            found.append(deadline)
    record = state.visitation
    application = record.application
    pending = pending_application(state) if record.applications else None
    if (
        application is not None
        and application.due_at is not None
        and (pending is not None or (not record.applications and state.decision is None))
    ):
        if record.delay.expected_by is not None:
            found.append(Deadline(datetime.combine(record.delay.expected_by, datetime.min.time(), tzinfo=application.due_at.tzinfo),
                                  "afgørelse lovet borgeren (frist overskredet)", "processing_expected"))  # fmt: skip
        else:
            found.append(Deadline(application.due_at, "sagsbehandlingsfrist: afgørelse", "processing"))
    follow_up_at = next_follow_up_at(state, deadlines.follow_up_interval)
    if follow_up_at is not None and state.follow_up.due <= state.follow_up.recorded:
        found.append(Deadline(follow_up_at, "opfølgning på hjælpen (SEL § 148)", "follow_up"))
    hearing = record.hearing
    if hearing is not None and hearing.is_open():
        found.append(Deadline(hearing.due_at, "partshøring: borgerens svar", "hearing"))
    comment = record.comment_request
    if comment is not None and comment.is_open() and state.phase is Phase.VISITATION:
        found.append(Deadline(comment.due_at, "borgerens udtalelse før afgørelsen (FVL § 21)", "comment"))
    for request in getattr(state, "file_access_requests", {}).values():
        if request.answered is None:
            found.append(Deadline(request.due_at, f"aktindsigt {request.number}: afgørelse eller underretning (FVL § 16)",
                                  "file_access"))  # fmt: skip
    for member in state.team.values():
        if member.status is InvitationStatus.INVITED and member.invited_at is not None:
            found.append(Deadline(member.invited_at + deadlines.invitation_reply, "svar på invitation", "invitation"))
    for meeting in state.meetings.values():
        if not meeting.held:
            found.append(Deadline(meeting.planned_for, f"fællesmøde {meeting.meeting_no}", "meeting"))
    if (
        appeal is not None
        and appeal.status is AppealStatus.AWAITING_RECONSIDERATION
        and appeal.reconsideration_due_at is not None
    ):
        found.append(Deadline(appeal.reconsideration_due_at, "genvurdering af klage", "reconsideration"))
    return sorted(found, key=lambda d: d.due_at)


def summarise(state, deadlines: PhaseDeadlines, appeal: AppealState | None = None) -> CaseSummary:
    """The case's row in the work list. ``state`` is a ``domain.case.CaseState``."""
    upcoming = upcoming_deadlines(state, deadlines, appeal)
    missed = _missed_in_phase(state)
    first = missed or (upcoming[0] if upcoming else None)
    assessment = state.assessment
    return CaseSummary(
        case_id=state.case_id or "",
        phase=state.phase,
        phase_since=state.phase_since,
        caseworker_id=state.caseworker_id,
        target_group=assessment.target_group.code if assessment is not None else None,
        target_group_display=assessment.target_group.display if assessment is not None else None,
        due_at=first.due_at if first else None,
        due_what=first.what if first else None,
        missed=missed is not None,
        appeal_status=appeal.status.value
        if appeal is not None and appeal.status is not AppealStatus.NOT_OPEN
        else None,
        version=state.version,
        last_changed_at=None,
        team=tuple(TeamEntry(m.person_id, m.kind, m.status) for m in state.team.values()),
        unit=state.unit,
    )


def work_items(state, deadlines: PhaseDeadlines, appeal: AppealState | None = None) -> list[WorkItem]:
    """What each person (or group) must do next in this case, and by when."""
    items: list[WorkItem] = []
    if not state.phase.is_open and not (appeal is not None and appeal.status is AppealStatus.AWAITING_RECONSIDERATION):
        return items
    phase_due = _missed_in_phase(state) or _phase_deadline(state, deadlines)
    phase_due_at = phase_due.due_at if phase_due else None
    caseworker = state.caseworker_id

    def for_caseworker(kind: str, what: str, due_at: datetime | None) -> None:
        items.append(WorkItem(kind, what, CASEWORKERS, caseworker, due_at))

    for request in getattr(state, "file_access_requests", {}).values():
        if request.answered is None:
            items.append(WorkItem("answer_file_access", f"besvar anmodning om aktindsigt {request.number}", CASEWORKERS,
                                  caseworker, request.due_at))  # fmt: skip
    record = state.visitation
    if record.delay.expected_date_needed:
        # Rsl § 3, stk. 2: the deadline (or the date given) passed; the citizen waits for a date
        for_caseworker(
            "set_expected_date", "skriv til borgeren, hvornår afgørelsen kan forventes (Rsl § 3, stk. 2)", None
        )
    match state.phase:
        case Phase.NEED:
            items.append(WorkItem("open_visitation", "åbn visitationen", CASEWORKERS, None, phase_due_at))
        case Phase.VISITATION:
            hearing = record.hearing
            recommendation = record.recommendation
            application = record.application
            processing_due = None
            if application is not None and application.due_at is not None:
                processing_due = application.due_at
            decision_due = min((d for d in (processing_due, phase_due_at) if d is not None), default=None)
            comment = record.comment_request
            if hearing is not None and hearing.is_open():
                items.append(WorkItem("answer_hearing", "svar på partshøring", CITIZEN, None, hearing.due_at))
            elif comment is not None and comment.is_open():
                items.append(WorkItem("submit_comment", "giv din udtalelse før afgørelsen (FVL § 21)", CITIZEN, None,
                                      comment.due_at))  # fmt: skip
            elif recommendation is not None and recommendation.status is RecommendationStatus.PENDING:
                items.append(WorkItem("review_recommendation", "godkend eller returnér indstillingen", TEAM_LEADS, None,
                                      decision_due))  # fmt: skip
            elif state.assessment is None:
                for_caseworker("record_assessment", "udred borgerens behov (VUM-vurdering)", decision_due)
            else:
                for_caseworker("make_decision", "træf afgørelse", decision_due)
        case Phase.TEAM:
            invited = [m for m in state.team.values() if m.status is InvitationStatus.INVITED]
            for member in invited:
                due = member.invited_at + deadlines.invitation_reply if member.invited_at else None
                items.append(WorkItem("answer_invitation", "svar på invitation til holdet", member.kind.value,
                                      member.person_id, due))  # fmt: skip
            if not state.team:
                for_caseworker("invite_team", "sammensæt holdet om borgeren", phase_due_at)
            elif not invited and not state.team_approved:
                items.append(WorkItem("approve_team", "godkend holdet", CITIZEN, None, phase_due_at))
            elif state.team_approved and state.proposed_plan is None:
                for_caseworker("propose_plan", "foreslå handleplan (SEL § 141)", phase_due_at)
            elif state.proposed_plan is not None and not state.plan_accepted:
                items.append(WorkItem("answer_plan", "svar på handleplanen", CITIZEN, None, phase_due_at))
            elif state.plan_accepted:
                for_caseworker("start_pilot", "start piloten", phase_due_at)
        case Phase.PILOT:
            for meeting in sorted(state.meetings.values(), key=lambda m: m.meeting_no):
                if not meeting.held:
                    for_caseworker("record_meeting", f"hold fællesmøde {meeting.meeting_no}", meeting.planned_for)
            for_caseworker("complete_pilot", "afslut piloten", phase_due_at)
        case Phase.EVALUATION:
            if state.evaluation is None:
                for_caseworker("record_evaluation", "evaluér forløbet", phase_due_at)
            elif help_decision_open(state):
                for_caseworker(
                    "decide_on_help", "træf afgørelse om hjælpen: fortsæt, justér, stop eller udbred", phase_due_at
                )
            else:
                for_caseworker("close_case", "afslut sagen", phase_due_at)
        case Phase.FOLLOW_UP:
            record_ = state.follow_up
            if record_.due > record_.recorded:
                for_caseworker(
                    "record_follow_up", f"følg op på hjælpen med borgeren (opfølgning {record_.due}, SEL § 148)", None
                )
            elif record_.help_ended:
                for_caseworker("close_case", "afslut sagen: hjælpen er ophørt", None)
            elif record_.last_result in (FollowUpResult.ADJUST, FollowUpResult.STOP) or help_decision_open(state):
                for_caseworker("decide_on_help", "træf afgørelse om hjælpen efter opfølgningen", None)
        case Phase.REFUSED:
            for_caseworker("close_case", "afslut sagen efter afslaget", None)
    if appeal is not None and appeal.status is AppealStatus.AWAITING_RECONSIDERATION:
        items.append(
            WorkItem("reconsider", "genvurdér afgørelsen (klage)", TEAM_LEADS, None, appeal.reconsideration_due_at)
        )
    return items


def name_tokens(name: str) -> set[str]:
    """The words of a name as a search matches them: case-folded, accents kept
    (Danish æ, ø, å are letters of their own), split on anything not a letter
    or digit; single letters (initials) are left out."""
    text = unicodedata.normalize("NFKC", name).casefold()
    words, current = [], []
    for char in text:
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return {w for w in words if len(w) > 1}
