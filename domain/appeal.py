"""The appeal of a decision: klage, genvurdering, Ankestyrelsen.

Retssikkerhedslovens § 67: the citizen appeals within 4 weeks of receiving the
decision, to the municipality; the window is counted from the letter's receipt
to the end of the day, and moved to the next working day past a weekend or
public holiday (``domain.appeal_window``). § 66: the municipality reconsiders
the decision (genvurdering) within 4 weeks; if it upholds it, the appeal with
the case's documents goes on to Ankestyrelsen; if it changes it, a new decision
follows (in the case). Ankestyrelsen's decision (upheld, changed, sent back,
dismissed) is recorded from its letter; a changed or sent-back decision asks
the case for a new one.

An appeal that comes after the window is recorded, flagged as late with the
citizen's reason, and forwarded, never refused: the law sets no outer limit,
and whether lateness is excused ("særlige grunde") is for the reconsideration
and for Ankestyrelsen to decide. An appeal comes from the citizen (lodged), or
is registered by a caseworker when it came by phone or letter: then the day it
was received counts for timeliness. The citizen may withdraw it until it is
decided.

Each decision gets its own appeal, a decider of its own (its own stream in
the event log), run by its own workflow with the windows as timers. The
window lengths are settings (``PhaseDeadlines``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.appeal_window import DANISH_TIME, appeal_window_ends, last_day_of
from domain.errors import DomainError, require
from domain.legal import RSL_66, RSL_67, LegalBasis
from domain.messages import Command, Event, Role, require_declared_role
from domain.personal_data import Personal

ANKESTYRELSEN = "Ankestyrelsen"


def appeal_id(case_id: str, decision_number: int) -> str:
    """The appeal's workflow id and event-log stream: at most 64 characters."""
    suffix = f"-appeal-{decision_number}"
    if len(case_id) + len(suffix) <= 64:
        return case_id + suffix
    digest = hashlib.sha256(case_id.encode()).hexdigest()[:8]
    return f"{case_id[: 64 - len(suffix) - 9]}-{digest}{suffix}"


# -- commands ---------------------------------------------------------------


class OpenAppealWindow(Command):
    """Issued by the appeal workflow when it starts: the decision the citizen may appeal."""

    title = "Open appeal window"
    issued_by_system = True
    type: Literal["open_appeal_window"] = "open_appeal_window"
    label = "Åbn klagefristen"
    case_id: str
    decision_number: int = Field(ge=1)
    outcome: str
    decided_at: datetime
    window: timedelta
    #: When the decision letter was available to the citizen (Digital Post); None
    #: when not known yet: the window runs from the decision until it is recorded.
    letter_available_at: datetime | None = None


class RecordLetterReceipt(Command):
    """The decision letter's availability time in Digital Post, from the delivery
    receipt: the appeal window is counted from it (Rsl § 67)."""

    title = "Record decision letter receipt"
    issued_by_system = True
    type: Literal["record_letter_receipt"] = "record_letter_receipt"
    label = "Registrér modtagelse af afgørelsesbrevet"
    available_at: datetime


class LodgeAppeal(Command):
    title = "Lodge appeal"
    type: Literal["lodge_appeal"] = "lodge_appeal"
    label = "Klag over afgørelsen"
    intro = (
        "Skriv, hvad du er uenig i. Kommunen genvurderer afgørelsen inden 4 uger; fastholder den "
        "afgørelsen, går klagen videre til Ankestyrelsen."
    )
    roles = frozenset({Role.CITIZEN})
    role_reason = "an appeal is lodged by the citizen or their representative (a caseworker registers an appeal received by phone or letter with 'register_appeal')"
    representable = True
    field_texts = {
        "late_reason": (
            "Hvorfor klager du først nu?",
            "Kun hvis klagefristen er udløbet. Begrundelsen sendes med til Ankestyrelsen.",
        ),
    }
    complaint: str = Field(min_length=3, max_length=8000, description="The citizen's complaint, kept verbatim")
    late_reason: str | None = Field(
        default=None,
        max_length=4000,
        description="Why the appeal comes after the window, if it does; told to Ankestyrelsen",
    )


class AppealChannel(StrEnum):
    """How an appeal reached the municipality."""

    DIGITAL = "digital"  # lodged by the citizen through the self-service
    PHONE = "phone"
    LETTER = "letter"
    IN_PERSON = "in_person"
    EMAIL = "email"


class RegisterAppeal(Command):
    """A caseworker registers an appeal the citizen made by phone, letter, e-mail or
    in person; the day it was received counts for timeliness (Rsl § 67)."""

    title = "Register appeal"
    type: Literal["register_appeal"] = "register_appeal"
    label = "Registrér klage modtaget pr. telefon eller brev"
    role_reason = "a caseworker or team lead registers an appeal received by phone or letter"
    example = {
        "channel": "phone",
        "received_on": "2026-02-03",
        "complaint": "Borgeren ringede: er uenig i, at natlig hjælp ikke er bevilget",
    }
    intro = (
        "En klage, borgeren har givet pr. telefon, brev, e-mail eller ved personligt fremmøde. Datoen, "
        "klagen blev modtaget, afgør om den kom i tide (retssikkerhedslovens § 67). En klage efter "
        "fristen registreres og sendes videre med borgerens begrundelse; den afvises ikke."
    )
    field_texts = {
        "channel": ("Hvordan kom klagen ind?", ""),
        "received_on": ("Modtaget den", "Den dag, kommunen modtog klagen. Den afgør, om klagen kom i tide."),
        "complaint": ("Klagen", "Borgerens klage, så tæt på borgerens egne ord som muligt."),
        "late_reason": ("Borgerens begrundelse, hvis klagen kom efter fristen", "Sendes med til Ankestyrelsen."),
    }
    channel: Literal[AppealChannel.PHONE, AppealChannel.LETTER, AppealChannel.IN_PERSON, AppealChannel.EMAIL]
    received_on: date = Field(description="The day the municipality received the appeal (Danish date)")
    complaint: str = Field(min_length=3, max_length=8000, description="The complaint as the citizen gave it")
    late_reason: str | None = Field(
        default=None, max_length=4000, description="Why the appeal came after the window, if it did"
    )


class WithdrawAppeal(Command):
    """The citizen withdraws the appeal, or a caseworker records the citizen's word that they do."""

    title = "Withdraw appeal"
    type: Literal["withdraw_appeal"] = "withdraw_appeal"
    label = "Træk klagen tilbage"
    example = {"channel": "letter", "note": "Borgeren trækker klagen tilbage efter samtalen"}
    intro = (
        "Klagen trækkes tilbage og behandles ikke videre. Registrerer du det for borgeren, så angiv "
        "hvordan borgeren sagde det."
    )
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD})
    role_reason = "an appeal is withdrawn by the citizen (or recorded by a caseworker on their word)"
    representable = True
    field_texts = {
        "channel": ("Hvordan trak borgeren klagen tilbage?", "Kun når du registrerer det for borgeren."),
        "note": ("Bemærkning", ""),
    }
    channel: AppealChannel | None = Field(
        default=None,
        description="How the citizen said so, when a caseworker records it (phone, letter, e-mail, in person)",
    )
    note: str | None = Field(default=None, max_length=4000)


class AnkestyrelsenOutcome(StrEnum):
    """What Ankestyrelsen decides on an appeal."""

    UPHELD = "upheld"  # stadfæstet
    CHANGED = "changed"  # ændret
    SENT_BACK = "sent_back"  # hjemvist: the municipality decides again
    DISMISSED = "dismissed"  # afvist

    @property
    def asks_for_new_decision(self) -> bool:
        return self in (AnkestyrelsenOutcome.CHANGED, AnkestyrelsenOutcome.SENT_BACK)


class RecordAppealOutcome(Command):
    """A caseworker records Ankestyrelsen's decision from its letter."""

    title = "Record Ankestyrelsen's decision"
    type: Literal["record_appeal_outcome"] = "record_appeal_outcome"
    label = "Registrér Ankestyrelsens afgørelse"
    role_reason = "a caseworker or team lead records Ankestyrelsen's decision"
    example = {
        "outcome": "upheld",
        "decided_on": "2026-04-20",
        "reasons": "Ankestyrelsen stadfæster kommunens afgørelse",
    }
    intro = (
        "Ankestyrelsens afgørelse efter dens brev: stadfæstet, ændret, hjemvist eller afvist. Ændret "
        "eller hjemvist betyder, at der skal træffes en ny afgørelse i sagen."
    )
    field_texts = {
        "outcome": ("Ankestyrelsens afgørelse", ""),
        "decided_on": ("Ankestyrelsens afgørelsesdato", "Datoen i Ankestyrelsens brev."),
        "reasons": ("Ankestyrelsens begrundelse", "Kort, efter Ankestyrelsens brev."),
    }
    outcome: AnkestyrelsenOutcome
    decided_on: date = Field(description="The date of Ankestyrelsen's decision")
    reasons: str = Field(min_length=1, max_length=8000, description="Ankestyrelsen's reasons, in short")


class CloseAppealWindow(Command):
    title = "Close appeal window"
    issued_by_system = True
    type: Literal["close_appeal_window"] = "close_appeal_window"
    label = "Luk klagefristen"


class ReconsiderationOutcome(StrEnum):
    UPHELD = "upheld"
    CHANGED = "changed"


class Reconsider(Command):
    title = "Reconsider decision"
    type: Literal["reconsider"] = "reconsider"
    label = "Genvurdér afgørelsen"
    role_reason = "the municipality reconsiders its own decision (retssikkerhedslovens § 66)"
    intro = (
        "Genvurdér afgørelsen inden 4 uger (retssikkerhedslovens § 66). Fastholdes den, sendes klagen til"
        " Ankestyrelsen; ændres den, træffes en ny afgørelse."
    )
    field_texts = {
        "outcome": ("Genvurderingens resultat", ""),
        "reasons": ("Begrundelse for genvurderingen", "Retssikkerhedslovens § 66."),
    }
    outcome: ReconsiderationOutcome
    reasons: str = Field(min_length=1, max_length=8000)


class RecordReconsiderationOverdue(Command):
    title = "Record reconsideration overdue"
    issued_by_system = True
    type: Literal["record_reconsideration_overdue"] = "record_reconsideration_overdue"
    label = "Registrér at genvurderingen ikke er nået til tiden"


AppealCommand = Annotated[
    OpenAppealWindow
    | RecordLetterReceipt
    | LodgeAppeal
    | RegisterAppeal
    | CloseAppealWindow
    | Reconsider
    | RecordReconsiderationOverdue
    | WithdrawAppeal
    | RecordAppealOutcome,
    Field(discriminator="type"),
]


class AppealStatus(StrEnum):
    NOT_OPEN = "not_open"
    WINDOW_OPEN = "window_open"
    WINDOW_CLOSED = "window_closed"  # no appeal in time; a late one is still received
    AWAITING_RECONSIDERATION = "awaiting_reconsideration"
    SENT_TO_ANKESTYRELSEN = "sent_to_ankestyrelsen"  # awaiting Ankestyrelsen's decision
    DECISION_CHANGED = "decision_changed"  # changed on reconsideration
    DECIDED_BY_ANKESTYRELSEN = "decided_by_ankestyrelsen"
    WITHDRAWN = "withdrawn"

    @property
    def settled(self) -> bool:
        """Nothing more can happen to the appeal."""
        return self in (AppealStatus.DECISION_CHANGED, AppealStatus.DECIDED_BY_ANKESTYRELSEN, AppealStatus.WITHDRAWN)

    @property
    def withdrawable(self) -> bool:
        return self in (AppealStatus.AWAITING_RECONSIDERATION, AppealStatus.SENT_TO_ANKESTYRELSEN)


# -- events -----------------------------------------------------------------


class AppealWindowOpened(Event):
    type: Literal["appeal_window_opened"] = "appeal_window_opened"
    label = "Klagefrist løber"
    fixed_basis = LegalBasis.RSL_67
    case_id: str
    decision_number: int
    outcome: str
    decided_at: datetime
    window_ends_at: datetime
    letter_available_at: datetime | None = None


class DecisionLetterReceived(Event):
    """The letter's receipt was recorded; the window is counted from it."""

    type: Literal["decision_letter_received"] = "decision_letter_received"
    label = "Afgørelsesbrevet er modtaget i Digital Post"
    fixed_basis = LegalBasis.RSL_67
    available_at: datetime
    window_ends_at: datetime


class AppealLodged(Event):
    """An appeal received: lodged by the citizen, or registered by a caseworker (``channel``)."""

    type: Literal["appeal_lodged"] = "appeal_lodged"
    label = "Klage modtaget"
    fixed_basis = LegalBasis.RSL_67
    complaint: Annotated[str, Personal]
    late: bool
    late_by: timedelta | None = None
    reconsideration_due_at: datetime
    channel: AppealChannel = AppealChannel.DIGITAL
    received_on: date | None = None
    late_reason: Annotated[str | None, Personal] = None


class AppealWindowClosed(Event):
    type: Literal["appeal_window_closed"] = "appeal_window_closed"
    label = "Klagefrist udløbet"
    window_ends_at: datetime


class DecisionReconsidered(Event):
    type: Literal["decision_reconsidered"] = "decision_reconsidered"
    label = "Afgørelse genvurderet"
    fixed_basis = LegalBasis.RSL_66
    outcome: ReconsiderationOutcome
    reasons: Annotated[str, Personal]


class ReconsiderationOverdue(Event):
    missed_deadline = "reconsideration"  # Rsl § 66: 4 weeks
    type: Literal["reconsideration_overdue"] = "reconsideration_overdue"
    label = "Genvurdering ikke nået til tiden"
    fixed_basis = LegalBasis.RSL_66
    due_at: datetime


class AppealSentToAnkestyrelsen(Event):
    type: Literal["appeal_sent_to_ankestyrelsen"] = "appeal_sent_to_ankestyrelsen"
    label = "Klage sendt til Ankestyrelsen"
    fixed_basis = LegalBasis.RSL_66
    case_id: str
    decision_number: int
    complaint: Annotated[str, Personal]
    reconsideration_reasons: Annotated[str, Personal]
    late: bool
    late_reason: Annotated[str | None, Personal] = None


class AppealWithdrawn(Event):
    type: Literal["appeal_withdrawn"] = "appeal_withdrawn"
    label = "Klage trukket tilbage"
    withdrawn_while: AppealStatus  # at the municipality (reconsideration) or at Ankestyrelsen
    channel: AppealChannel | None = None
    note: Annotated[str | None, Personal] = None


class AppealDecidedByAnkestyrelsen(Event):
    type: Literal["appeal_decided_by_ankestyrelsen"] = "appeal_decided_by_ankestyrelsen"
    label = "Ankestyrelsen har afgjort klagen"
    fixed_basis = LegalBasis.RSL_60
    outcome: AnkestyrelsenOutcome
    decided_on: date
    reasons: Annotated[str, Personal]


AppealEvent = Annotated[
    AppealWindowOpened
    | DecisionLetterReceived
    | AppealLodged
    | AppealWindowClosed
    | DecisionReconsidered
    | ReconsiderationOverdue
    | AppealSentToAnkestyrelsen
    | AppealWithdrawn
    | AppealDecidedByAnkestyrelsen,
    Field(discriminator="type"),
]

appeal_command_adapter: TypeAdapter[AppealCommand] = TypeAdapter(AppealCommand)
appeal_event_adapter: TypeAdapter[AppealEvent] = TypeAdapter(AppealEvent)

# -- state ------------------------------------------------------------------


class AppealOutcomeKind(StrEnum):
    """How an appeal ended, as the case is told (the ``appeal_outcome`` signal)."""

    RECONSIDERATION_CHANGED = "reconsideration_changed"
    ANKESTYRELSEN_UPHELD = "ankestyrelsen_upheld"
    ANKESTYRELSEN_CHANGED = "ankestyrelsen_changed"
    ANKESTYRELSEN_SENT_BACK = "ankestyrelsen_sent_back"
    ANKESTYRELSEN_DISMISSED = "ankestyrelsen_dismissed"
    WITHDRAWN = "withdrawn"
    WINDOW_CLOSED_UNUSED = "window_closed_unused"

    @property
    def asks_for_new_decision(self) -> bool:
        """The case must make a new decision: changed on reconsideration (Rsl § 66), or
        changed or sent back (hjemvist) by Ankestyrelsen."""
        return self in (
            AppealOutcomeKind.RECONSIDERATION_CHANGED,
            AppealOutcomeKind.ANKESTYRELSEN_CHANGED,
            AppealOutcomeKind.ANKESTYRELSEN_SENT_BACK,
        )


class AppealState(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 0
    status: AppealStatus = AppealStatus.NOT_OPEN
    case_id: str | None = None
    decision_number: int = 0
    decided_at: datetime | None = None
    letter_available_at: datetime | None = None
    window_ends_at: datetime | None = None
    complaint: str | None = None
    late: bool = False
    late_reason: str | None = None
    channel: AppealChannel | None = None
    received_on: date | None = None
    lodged_at: datetime | None = None
    reconsideration_due_at: datetime | None = None
    reconsideration_overdue: bool = False
    reconsideration: DecisionReconsidered | None = None
    forwarded_at: datetime | None = None
    withdrawal: AppealWithdrawn | None = None
    ankestyrelsen: AppealDecidedByAnkestyrelsen | None = None

    @property
    def last_day(self) -> date | None:
        """The last day (Danish date) an appeal is in time."""
        return last_day_of(self.window_ends_at) if self.window_ends_at is not None else None

    @property
    def outcome_kind(self) -> AppealOutcomeKind | None:
        """How the appeal ended, or None while something can still happen."""
        if self.status is AppealStatus.DECISION_CHANGED:
            return AppealOutcomeKind.RECONSIDERATION_CHANGED
        if self.status is AppealStatus.DECIDED_BY_ANKESTYRELSEN and self.ankestyrelsen is not None:
            return AppealOutcomeKind(f"ankestyrelsen_{self.ankestyrelsen.outcome.value}")
        if self.status is AppealStatus.WITHDRAWN:
            return AppealOutcomeKind.WITHDRAWN
        if self.status is AppealStatus.WINDOW_CLOSED:
            return AppealOutcomeKind.WINDOW_CLOSED_UNUSED
        return None


def initial_appeal_state() -> AppealState:
    return AppealState()


# -- decide -----------------------------------------------------------------

RECONSIDERATION_PERIOD = timedelta(weeks=4)
#: Who acts for the municipality: registers an appeal, reconsiders, records Ankestyrelsen's decision.
CASE_OFFICERS = (Role.CASEWORKER, Role.TEAM_LEAD)


def _danish_date(moment: datetime) -> date:
    return moment.astimezone(DANISH_TIME).date()


def _window_from(received_at: datetime, window: timedelta) -> datetime:
    return appeal_window_ends(received_at, window)


def _open(state: AppealState, c: OpenAppealWindow) -> list[Event]:
    require(state.status is AppealStatus.NOT_OPEN, "the appeal window is already open", rule="appeal.already_open")
    received = c.letter_available_at or c.decided_at
    require(received >= c.decided_at, "the letter cannot be received before the decision", rule="appeal.receipt_before_decision",
            field="letter_available_at")  # fmt: skip
    return [
        AppealWindowOpened(
            occurred_at=c.now,
            actor=c.actor,
            case_id=c.case_id,
            decision_number=c.decision_number,
            outcome=c.outcome,
            decided_at=c.decided_at,
            window_ends_at=_window_from(received, c.window),
            letter_available_at=c.letter_available_at,
        )
    ]


def _record_receipt(state: AppealState, c: RecordLetterReceipt, window: timedelta) -> list[Event]:
    require(
        state.status in (AppealStatus.WINDOW_OPEN, AppealStatus.AWAITING_RECONSIDERATION),
        f"the letter's receipt counts only while the window or the reconsideration runs; the appeal is {state.status.value}",
        rule="appeal.receipt_too_late",
    )
    require(
        state.letter_available_at is None, "the letter's receipt is already recorded", rule="appeal.receipt_recorded"
    )
    assert state.decided_at is not None  # recorded when the window opened, which the status above requires
    require(c.available_at >= state.decided_at, "the letter cannot be received before the decision was made",
            rule="appeal.receipt_before_decision", field="available_at")  # fmt: skip
    require(
        c.available_at <= c.now,
        "the letter's receipt cannot be in the future",
        rule="appeal.receipt_in_future",
        field="available_at",
    )
    return [
        DecisionLetterReceived(
            occurred_at=c.now,
            actor=c.actor,
            available_at=c.available_at,
            window_ends_at=_window_from(c.available_at, window),
        )
    ]


def _can_receive(state: AppealState) -> None:
    require(
        state.status in (AppealStatus.WINDOW_OPEN, AppealStatus.WINDOW_CLOSED),
        f"this decision's appeal is {state.status.value}; an appeal is received only once"
        if state.status is not AppealStatus.NOT_OPEN
        else "there is no decision to appeal yet",
        rule="appeal.already_lodged" if state.status is not AppealStatus.NOT_OPEN else "appeal.not_open",
    )


def lodge(state: AppealState, c: LodgeAppeal, reconsideration: timedelta = RECONSIDERATION_PERIOD) -> list[Event]:
    """The citizen's own appeal: in time if received before the window closes (Rsl § 67);
    a late one is received all the same, with the citizen's reason."""
    _can_receive(state)
    assert state.window_ends_at is not None  # set when the window opened, which _can_receive requires
    late_by = c.now - state.window_ends_at if c.now >= state.window_ends_at else None
    return [
        AppealLodged(
            occurred_at=c.now,
            actor=c.actor,
            complaint=c.complaint,
            late=late_by is not None,
            late_by=late_by,
            reconsideration_due_at=c.now + reconsideration,
            channel=AppealChannel.DIGITAL,
            received_on=_danish_date(c.now),
            late_reason=(c.late_reason or "").strip() or None if late_by is not None else None,
        )
    ]


def _register(state: AppealState, c: RegisterAppeal, reconsideration: timedelta) -> list[Event]:
    """An appeal received by phone, letter, e-mail or in person, registered by a
    caseworker; the day it was received decides whether it was in time (Rsl § 67)."""
    _can_receive(state)
    assert state.decided_at is not None and state.last_day is not None  # set when the window opened (_can_receive)
    today = _danish_date(c.now)
    require(c.received_on <= today, f"the appeal cannot be received after today ({today.isoformat()})",
            rule="appeal.received_in_future", field="received_on")  # fmt: skip
    decided_on = _danish_date(state.decided_at)
    require(c.received_on >= decided_on, f"an appeal cannot be received before the decision ({decided_on.isoformat()})",
            rule="appeal.received_before_decision", field="received_on")  # fmt: skip
    last_day = state.last_day
    days_late = (c.received_on - last_day).days
    late = days_late > 0
    return [
        AppealLodged(
            occurred_at=c.now,
            actor=c.actor,
            complaint=c.complaint,
            late=late,
            late_by=timedelta(days=days_late) if late else None,
            # Rsl § 66: reconsidered within 4 weeks of receiving the appeal, not of registering it
            reconsideration_due_at=c.now + reconsideration - (today - c.received_on),
            channel=c.channel,
            received_on=c.received_on,
            late_reason=((c.late_reason or "").strip() or None) if late else None,
        )
    ]


def _close_window(state: AppealState, c: CloseAppealWindow) -> list[Event]:
    require(state.status is AppealStatus.WINDOW_OPEN, "the appeal window is not open", rule="appeal.window_not_open")
    assert state.window_ends_at is not None  # set when the window opened
    require(
        c.now >= state.window_ends_at,
        f"the appeal window ends {state.window_ends_at.isoformat()}",
        rule="appeal.window_not_ended",
    )
    return [AppealWindowClosed(occurred_at=c.now, actor=c.actor, window_ends_at=state.window_ends_at)]


def _reconsider(state: AppealState, c: Reconsider) -> list[Event]:
    require(
        state.status is AppealStatus.AWAITING_RECONSIDERATION,
        f"there is no appeal awaiting reconsideration (the appeal is {state.status.value}; {RSL_66})",
        rule="appeal.nothing_to_reconsider",
    )
    require(
        bool(c.reasons.strip()),
        f"the reconsideration gives its reasons ({RSL_66})",
        rule="appeal.reasons_required",
        field="reasons",
    )
    events: list[Event] = [
        DecisionReconsidered(occurred_at=c.now, actor=c.actor, outcome=c.outcome, reasons=c.reasons.strip())
    ]
    if c.outcome is ReconsiderationOutcome.UPHELD:
        events.append(
            AppealSentToAnkestyrelsen(
                occurred_at=c.now,
                actor=c.actor,
                case_id=state.case_id or "",
                decision_number=state.decision_number,
                complaint=state.complaint or "",
                reconsideration_reasons=c.reasons.strip(),
                late=state.late,
                late_reason=state.late_reason if state.late else None,
            )
        )
    return events


def _overdue(state: AppealState, c: RecordReconsiderationOverdue) -> list[Event]:
    require(
        state.status is AppealStatus.AWAITING_RECONSIDERATION,
        "no appeal awaits reconsideration",
        rule="appeal.nothing_to_reconsider",
    )
    require(not state.reconsideration_overdue, "already recorded as overdue", rule="appeal.already_overdue")
    assert state.reconsideration_due_at is not None  # set when the appeal was lodged, which the status above requires
    require(c.now >= state.reconsideration_due_at, "the reconsideration is not yet due", rule="appeal.not_due")
    return [ReconsiderationOverdue(occurred_at=c.now, actor=c.actor, due_at=state.reconsideration_due_at)]


def _withdraw(state: AppealState, c: WithdrawAppeal) -> list[Event]:
    """The appeal is the citizen's: they may withdraw it until it is decided. A
    caseworker records a withdrawal the citizen made by phone or letter (``channel``)."""
    if c.actor.role in CASE_OFFICERS:
        require(
            c.channel is not None and c.channel is not AppealChannel.DIGITAL,
            "a caseworker records a withdrawal on the citizen's word: say how the citizen said so (phone, letter, email, in_person)",
            rule="appeal.withdrawal_channel_required",
            field="channel",
        )
    require(
        state.status.withdrawable,
        f"only an appeal awaiting reconsideration or Ankestyrelsen's decision can be withdrawn; this appeal is {state.status.value}",
        rule="appeal.not_withdrawable",
    )
    return [
        AppealWithdrawn(
            occurred_at=c.now,
            actor=c.actor,
            withdrawn_while=state.status,
            channel=c.channel if c.actor.role in CASE_OFFICERS else AppealChannel.DIGITAL,
            note=(c.note or "").strip() or None,
        )
    ]


def _record_outcome(state: AppealState, c: RecordAppealOutcome) -> list[Event]:
    """Ankestyrelsen's decision, registered by a caseworker from its letter: upheld
    (stadfæstet), changed (ændret), sent back (hjemvist) or dismissed (afvist)."""
    require(
        state.status is AppealStatus.SENT_TO_ANKESTYRELSEN,
        f"Ankestyrelsen's decision is recorded only for an appeal sent on to Ankestyrelsen; this appeal is {state.status.value}",
        rule="appeal.not_sent_on",
    )
    sent_on = _danish_date(state.forwarded_at) if state.forwarded_at else None
    require(sent_on is None or c.decided_on >= sent_on,
            f"Ankestyrelsen cannot decide before the appeal was sent on ({sent_on})", rule="appeal.outcome_before_forwarding",
            field="decided_on")  # fmt: skip
    require(c.decided_on <= _danish_date(c.now), "Ankestyrelsen's decision cannot be dated in the future",
            rule="appeal.outcome_in_future", field="decided_on")  # fmt: skip
    require(bool(c.reasons.strip()), "give Ankestyrelsen's reasons", rule="appeal.reasons_required", field="reasons")
    return [
        AppealDecidedByAnkestyrelsen(
            occurred_at=c.now, actor=c.actor, outcome=c.outcome, decided_on=c.decided_on, reasons=c.reasons.strip()
        )
    ]


#: Every command type a person gives an appeal (the access rules and the routes use it).
PERSON_APPEAL_COMMANDS = frozenset(
    c.model_fields["type"].default for c in get_args(get_args(AppealCommand)[0]) if not c.issued_by_system
)


def decide_appeal(
    state: AppealState,
    command: Command,
    *,
    reconsideration: timedelta = RECONSIDERATION_PERIOD,
    window: timedelta = timedelta(weeks=4),
) -> list[Event]:
    require(
        command.at is not None, "the command has no time; the workflow stamps it", rule="appeal.unstamped", field="at"
    )
    # Who may give it, as the command declares it; a representative gives what a fuldmagt can cover.
    if command.actor.role is not Role.REPRESENTATIVE or not command.representable:
        require_declared_role(command, rule="appeal.role_not_allowed")
    # Each decider takes the one command class it is filed under; a dict's type cannot say so, hence Any.
    deciders: dict[type[Command], Callable[[AppealState, Any], list[Event]]] = {
        OpenAppealWindow: _open,
        RecordLetterReceipt: lambda s, c: _record_receipt(s, c, window),
        LodgeAppeal: lambda s, c: lodge(s, c, reconsideration),
        RegisterAppeal: lambda s, c: _register(s, c, reconsideration),
        CloseAppealWindow: _close_window,
        Reconsider: _reconsider,
        RecordReconsiderationOverdue: _overdue,
        WithdrawAppeal: _withdraw,
        RecordAppealOutcome: _record_outcome,
    }
    decider = deciders.get(type(command))
    if decider is None:
        raise DomainError(
            f"'{command.title}' is not a command for an appeal", rule="appeal.unknown_command", field="type"
        )
    return decider(state, command)


# -- evolve -----------------------------------------------------------------


def evolve_appeal(state: AppealState, event: Event) -> AppealState:
    update: dict = {"version": state.version + 1}
    match event:
        case AppealWindowOpened():
            update |= {
                "status": AppealStatus.WINDOW_OPEN,
                "case_id": event.case_id,
                "decision_number": event.decision_number,
                "decided_at": event.decided_at,
                "letter_available_at": event.letter_available_at,
                "window_ends_at": event.window_ends_at,
            }
        case DecisionLetterReceived():
            update |= {"letter_available_at": event.available_at, "window_ends_at": event.window_ends_at}
            if state.received_on is not None:  # lodged before the receipt was known: in time by the receipt?
                late = state.received_on > last_day_of(event.window_ends_at)
                update |= {"late": late, "late_reason": state.late_reason if late else None}
        case AppealLodged():
            update |= {
                "status": AppealStatus.AWAITING_RECONSIDERATION,
                "complaint": event.complaint,
                "late": event.late,
                "late_reason": event.late_reason,
                "channel": event.channel,
                "received_on": event.received_on or _danish_date(event.occurred_at),
                "lodged_at": event.occurred_at,
                "reconsideration_due_at": event.reconsideration_due_at,
            }
        case AppealWindowClosed():
            update |= {"status": AppealStatus.WINDOW_CLOSED}
        case ReconsiderationOverdue():
            update |= {"reconsideration_overdue": True}
        case DecisionReconsidered():
            changed = event.outcome is ReconsiderationOutcome.CHANGED
            update |= {"reconsideration": event, **({"status": AppealStatus.DECISION_CHANGED} if changed else {})}
        case AppealSentToAnkestyrelsen():
            update |= {"status": AppealStatus.SENT_TO_ANKESTYRELSEN, "forwarded_at": event.occurred_at}
        case AppealWithdrawn():
            update |= {"status": AppealStatus.WITHDRAWN, "withdrawal": event}
        case AppealDecidedByAnkestyrelsen():
            update |= {"status": AppealStatus.DECIDED_BY_ANKESTYRELSEN, "ankestyrelsen": event}
    return state.model_copy(update=update)


def fold_appeal(events: Iterable[Event], state: AppealState | None = None) -> AppealState:
    state = state if state is not None else initial_appeal_state()
    for event in events:
        state = evolve_appeal(state, event)
    return state


#: Which person command the appeal can take in each status (the deciders' status rules,
#: for offering forms; the deciders still decide). Roles: ``domain.access``.
_OPEN_BY_STATUS: dict[AppealStatus, tuple[type[Command], ...]] = {
    AppealStatus.WINDOW_OPEN: (LodgeAppeal, RegisterAppeal),
    AppealStatus.WINDOW_CLOSED: (LodgeAppeal, RegisterAppeal),  # late, never refused
    AppealStatus.AWAITING_RECONSIDERATION: (Reconsider, WithdrawAppeal),
    AppealStatus.SENT_TO_ANKESTYRELSEN: (RecordAppealOutcome, WithdrawAppeal),
}


def commands_open(state: AppealState) -> frozenset[str]:
    """The commands a person may give the appeal in its status now."""
    return frozenset(c.model_fields["type"].default for c in _OPEN_BY_STATUS.get(state.status, ()))


def appeal_view(state: AppealState) -> dict:
    """The appeal as readers get it: its state, with the window's last day and how it ended."""
    last_day, kind = state.last_day, state.outcome_kind
    return {
        **state.model_dump(mode="json"),
        "last_day": last_day.isoformat() if last_day else None,
        "outcome_kind": kind.value if kind else None,
        "settled": state.status.settled,
    }


# -- in the case: a changed decision reopens it for a new decision ----------


class ReopenDecision(Command):
    """Issued by the case workflow when an appeal asks for a new decision: changed on
    reconsideration (Rsl § 66), or changed or sent back by Ankestyrelsen."""

    title = "Reopen decision"
    issued_by_system = True
    type: Literal["reopen_decision"] = "reopen_decision"
    label = "Genåbn afgørelsen efter klage"
    appeal_id: str
    reasons: str = ""
    outcome: AppealOutcomeKind = AppealOutcomeKind.RECONSIDERATION_CHANGED


class DecisionReopened(Event):
    type: Literal["decision_reopened"] = "decision_reopened"
    label = "Afgørelse genåbnet efter klage"
    fixed_basis = LegalBasis.RSL_66
    appeal_id: str
    reasons: Annotated[str, Personal]
    outcome: AppealOutcomeKind = AppealOutcomeKind.RECONSIDERATION_CHANGED


def reopen_decision(state, c: ReopenDecision) -> list[Event]:
    require(state.decision is not None, "there is no decision to reopen", rule="appeal.no_decision")
    return [
        DecisionReopened(occurred_at=c.now, actor=c.actor, appeal_id=c.appeal_id, reasons=c.reasons, outcome=c.outcome)
    ]


__all__ = ["ANKESTYRELSEN", "RSL_66", "RSL_67", "appeal_id"]
