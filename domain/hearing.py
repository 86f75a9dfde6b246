"""Information from others, the citizen's consent to collect it, and partshøring.

- Retssikkerhedsloven § 11 a: the municipality collects information about the
  citizen from others (a doctor, another authority) with the citizen's consent,
  and the consent must be concrete: which information, from whom, for which
  case. A blanket consent ("alle oplysninger fra alle relevante steder") is not
  a consent the municipality may act on, and is refused with the reason.
- Forvaltningslovens § 19: before a decision that is not in the citizen's full
  favour rests on information the citizen has not had the chance to comment on,
  the citizen is heard. The decision waits until the citizen has answered or
  the hearing deadline has passed; the answer is kept verbatim.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.consent import blanket_word as _blanket_word
from domain.errors import require
from domain.legal import FVL_19, RSL_11A
from domain.messages import Command, Event, Role

if TYPE_CHECKING:
    from domain.case import CaseState

# -- consent to collect information (Rsl § 11 a) ---------------------------


class ConsentToObtainInformation(Command):
    """The citizen's consent for the municipality to obtain named information from named sources."""

    title = "Consent to obtain information"
    type: Literal["consent_to_obtain_information"] = "consent_to_obtain_information"
    information: list[str] = Field(min_length=1, description='Which information, e.g. "Lægeerklæring om muskelsvind"')
    from_whom: list[str] = Field(min_length=1, description='From whom, e.g. "Egen læge"')
    case_id: str = Field(description="The case the information is for")


class InformationConsentGiven(Event):
    type: Literal["information_consent_given"] = "information_consent_given"
    number: int
    information: tuple[str, ...]
    from_whom: tuple[str, ...]
    case_id: str

    def legal_basis(self) -> str | None:
        return "Retssikkerhedsloven § 11 a"


class RecordCaseInformation(Command):
    """Information the decision may rest on: from the citizen, or from someone else under a consent."""

    title = "Record case information"
    type: Literal["record_case_information"] = "record_case_information"
    source: str = Field(min_length=2, max_length=200, description="Who gave it, as named in the consent")
    summary: str = Field(min_length=3, max_length=4000)
    from_citizen: bool = False


class CaseInformationRecorded(Event):
    type: Literal["case_information_recorded"] = "case_information_recorded"
    number: int
    source: str
    summary: str
    from_citizen: bool
    consent_number: int | None = None


class StartHearing(Command):
    """Sends the information the citizen has not commented on for partshøring."""

    title = "Start hearing"
    type: Literal["start_hearing"] = "start_hearing"
    answer_within_days: int = Field(default=14, ge=1, le=90, description="The citizen's deadline to answer")


class HearingStarted(Event):
    type: Literal["hearing_started"] = "hearing_started"
    number: int
    information: tuple[int, ...]
    due_at: datetime
    letter: str

    def legal_basis(self) -> str | None:
        return "Forvaltningsloven § 19"


class AnswerHearing(Command):
    title = "Answer hearing"
    type: Literal["answer_hearing"] = "answer_hearing"
    answer: str = Field(min_length=1, max_length=8000, description="The citizen's answer, kept verbatim")


class HearingAnswered(Event):
    type: Literal["hearing_answered"] = "hearing_answered"
    number: int
    answer: str

    def legal_basis(self) -> str | None:
        return "Forvaltningsloven § 19"


class RecordHearingDeadlinePassed(Command):
    """Issued by the workflow when the citizen's hearing deadline passes without an answer."""

    title = "Record hearing deadline passed"
    issued_by_system = True
    type: Literal["record_hearing_deadline_passed"] = "record_hearing_deadline_passed"


class HearingDeadlinePassed(Event):
    type: Literal["hearing_deadline_passed"] = "hearing_deadline_passed"
    number: int
    due_at: datetime

    def legal_basis(self) -> str | None:
        return "Forvaltningsloven § 19"


# -- what the case keeps ---------------------------------------------------


class InformationItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    source: str
    summary: str
    from_citizen: bool
    heard: bool = False  # the citizen has had the chance to comment (their own, answered or deadline passed)

    @property
    def needs_hearing(self) -> bool:
        return not self.from_citizen and not self.heard


class Hearing(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    information: tuple[int, ...]
    due_at: datetime
    answer: str | None = None
    deadline_passed: bool = False

    def is_open(self, at: datetime | None = None) -> bool:
        """Open until answered, or until its deadline has passed (recorded, or by the clock)."""
        if self.answer is not None or self.deadline_passed:
            return False
        return at is None or at < self.due_at


# -- decide ----------------------------------------------------------------


def consent_to_obtain(state: CaseState, c: ConsentToObtainInformation) -> list[Event]:
    require(
        c.actor.role is Role.CITIZEN,
        f"only the citizen consents to collecting information about them ({RSL_11A}); you act as {c.actor.role.value}",
        rule="consent.not_citizen",
        field="actor.role",
    )
    require(
        c.case_id == state.case_id,
        f"the consent must be for this case ({state.case_id}), not {c.case_id!r}: a consent covers one case ({RSL_11A})",
        rule="consent.other_case",
        field="case_id",
    )
    for name, values in (("information", c.information), ("from_whom", c.from_whom)):
        for i, value in enumerate(values):
            word = _blanket_word(value)
            require(
                word is None and len(value.strip()) >= 3,
                f"{value!r} is a blanket consent ({word or 'too vague'}): a consent must name concretely which "
                f"information is collected and from whom, for this case ({RSL_11A}); name each document or "
                f"kind of information and each source",
                rule="consent.blanket",
                field=f"{name}[{i}]",
            )
    return [
        InformationConsentGiven(
            occurred_at=c.at,
            actor=c.actor,
            number=len(state.visitation.consents) + 1,
            information=tuple(v.strip() for v in c.information),
            from_whom=tuple(v.strip() for v in c.from_whom),
            case_id=c.case_id,
        )
    ]


def record_information(state: CaseState, c: RecordCaseInformation) -> list[Event]:
    consent_number = None
    if not c.from_citizen:
        wanted = c.source.strip().casefold()
        covering = [k for k in state.visitation.consents if wanted in (w.casefold() for w in k.from_whom)]
        named = sorted({w for k in state.visitation.consents for w in k.from_whom})
        require(
            bool(covering),
            f"the citizen has not consented to collecting information from {c.source!r} ({RSL_11A}); "
            + (f"the consents name: {', '.join(named)}" if named else "there is no consent in the case yet"),
            rule="information.no_consent",
            field="source",
        )
        consent_number = covering[-1].number
    return [
        CaseInformationRecorded(
            occurred_at=c.at,
            actor=c.actor,
            number=len(state.visitation.information) + 1,
            source=c.source.strip(),
            summary=c.summary.strip(),
            from_citizen=c.from_citizen,
            consent_number=consent_number,
        )
    ]


def hearing_letter(citizen_name: str, items: list[InformationItem], due_at: datetime) -> str:
    lines = "\n".join(f"- {item.summary} (fra {item.source})" for item in items)
    return (
        f"Kære {citizen_name}\n\n"
        f"Før vi træffer afgørelse i din sag, vil vi gerne høre dine bemærkninger til disse oplysninger:\n"
        f"{lines}\n\n"
        f"Vi beder om dit svar senest den {due_at.strftime('%d.%m.%Y')}. Hører vi ikke fra dig, "
        f"træffer vi afgørelse på det foreliggende grundlag ({FVL_19}).\n"
    )


def start_hearing(state: CaseState, c: StartHearing) -> list[Event]:
    record = state.visitation
    require(
        record.hearing is None or not record.hearing.is_open(),
        f"hearing {record.hearing.number if record.hearing else ''} is still open; wait for the answer or its deadline",
        rule="hearing.already_open",
    )
    unheard = [item for item in record.information if item.needs_hearing]
    require(
        bool(unheard),
        "there is no information from others that the citizen has not commented on; no hearing is needed "
        f"({FVL_19})",
        rule="hearing.nothing_to_hear",
    )
    due_at = c.at + timedelta(days=c.answer_within_days)
    name = state.citizen.name if state.citizen else "borger"
    return [
        HearingStarted(
            occurred_at=c.at,
            actor=c.actor,
            number=record.hearings_held + 1,
            information=tuple(item.number for item in unheard),
            due_at=due_at,
            letter=hearing_letter(name, unheard, due_at),
        )
    ]


def answer_hearing(state: CaseState, c: AnswerHearing) -> list[Event]:
    hearing = state.visitation.hearing
    require(
        c.actor.role is Role.CITIZEN,
        f"the hearing is the citizen's to answer; you act as {c.actor.role.value}",
        rule="hearing.not_citizen",
        field="actor.role",
    )
    require(
        hearing is not None and hearing.is_open(),
        "there is no open hearing to answer"
        + (" (its deadline has passed; send your comments to your caseworker)" if hearing else ""),
        rule="hearing.not_open",
    )
    return [HearingAnswered(occurred_at=c.at, actor=c.actor, number=hearing.number, answer=c.answer)]


def record_hearing_deadline_passed(state: CaseState, c: RecordHearingDeadlinePassed) -> list[Event]:
    hearing = state.visitation.hearing
    require(hearing is not None and hearing.is_open(), "there is no open hearing", rule="hearing.not_open")
    require(c.at >= hearing.due_at, f"the hearing deadline is {hearing.due_at.isoformat()}", rule="hearing.not_due")
    return [HearingDeadlinePassed(occurred_at=c.at, actor=c.actor, number=hearing.number, due_at=hearing.due_at)]


def check_heard(state: CaseState, *, full_grant: bool, at: datetime) -> None:
    """FVL § 19: no decision while a hearing is open, and no decision that is not in
    the citizen's full favour on information they have not had the chance to comment on."""
    record = state.visitation
    hearing = record.hearing
    require(
        hearing is None or not hearing.is_open(at),
        f"the citizen has until {hearing.due_at.strftime('%d.%m.%Y %H:%M') if hearing else ''} to answer the hearing; "
        f"the decision waits for the answer or the deadline ({FVL_19})",
        rule="decision.hearing_open",
    )
    if full_grant:
        return
    # a hearing whose deadline has passed by the clock counts, even before the timer has recorded it
    heard_by_clock = set(hearing.information) if hearing is not None else set()
    unheard = [item for item in record.information if item.needs_hearing and item.number not in heard_by_clock]
    require(
        not unheard,
        "the decision would rest on information the citizen has not commented on: "
        + "; ".join(f"{item.summary} (from {item.source})" for item in unheard)
        + f". Start a hearing first ({FVL_19})",
        rule="decision.hearing_required",
    )
