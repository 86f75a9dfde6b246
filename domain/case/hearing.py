"""Information from others, the citizen's consent to collect it, and partshøring.

- Retssikkerhedsloven § 11 a: the municipality collects information about the
  citizen from others (a doctor, another authority) with the citizen's consent,
  and the consent must be concrete: which information, from whom, for which
  case. A blanket consent ("alle oplysninger fra alle relevante steder") is not
  a consent the municipality may act on, and is refused with the reason.
- Information the municipality receives without asking (a call from a
  neighbour, a letter from a relative) or finds itself (a home visit) is
  recorded too: the duty to take notes (notatpligt, offentlighedslovens § 13)
  covers what the decision may rest on, and no consent is needed to note what
  one was told. Information obtained from another authority without consent
  under retssikkerhedslovens § 11 c is recorded with the ground it was
  exchanged on. (The precise conditions of § 11 c were not re-confirmed for this
  revision: the caseworker names the ground, the domain does not judge it.)
- Forvaltningslovens § 19, stk. 1: before a decision, the citizen is heard on
  information about the facts that is to their disadvantage and of essential
  importance, whoever produced it: other people's statements, the
  municipality's own findings and its VUM assessment alike. Information the
  citizen gave themself is known to them and needs no hearing. The decision
  waits until the citizen has answered or the hearing deadline has passed; the
  answer is kept verbatim.
- Forvaltningslovens § 19, stk. 2: no hearing when (nr. 1) deciding on the
  information at hand is unproblematic, (nr. 2) waiting would overrun a
  statutory deadline, (nr. 3) the citizen's interest must give way to weighty
  public or private interests (urgency) or (nr. 4) the citizen has no right of
  access to the information. The exception used is recorded on the decision as
  the reason no hearing was held. (Nr. 1, 2 and 4 confirmed against the
  ministry's guidance on forvaltningsloven; nr. 3's wording is taken as the
  urgency ground and was not confirmed word for word.)
- Forvaltningslovens § 21: the citizen may at any time ask to comment before
  the decision, and the decision then waits for the comment (the municipality
  sets a deadline), except where waiting would overrun a statutory deadline or
  weighty interests speak against it (stk. 2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import CaseContext, Concept, decides
from domain.case.consent import blanket_word as _blanket_word
from domain.errors import require
from domain.legal import FVL_19, FVL_19_2, FVL_21, OFFL_13, RSL_11A, RSL_11C, LegalBasis
from domain.messages import MAX_ITEMS, Command, Event, Role, ShortText
from domain.personal_data import Personal
from domain.phases import Phase

# -- consent to collect information (Rsl § 11 a) ---------------------------


class ConsentToObtainInformation(Command):
    """The citizen's consent for the municipality to obtain named information from named sources."""

    title = "Consent to obtain information"
    type: Literal["consent_to_obtain_information"] = "consent_to_obtain_information"
    label = "Samtykke til at indhente oplysninger"
    roles = frozenset({Role.CITIZEN})
    role_reason = f"the citizen consents to collecting information about them ({RSL_11A})"
    information: list[ShortText] = Field(
        min_length=1, max_length=MAX_ITEMS, description='Which information, e.g. "Lægeerklæring om muskelsvind"'
    )
    from_whom: list[ShortText] = Field(min_length=1, max_length=MAX_ITEMS, description='From whom, e.g. "Egen læge"')
    case_id: str = Field(max_length=64, description="The case the information is for")


class InformationConsentGiven(Event):
    type: Literal["information_consent_given"] = "information_consent_given"
    label = "Samtykke til at indhente oplysninger"
    fixed_basis = LegalBasis.RSL_11A
    number: int
    information: tuple[Annotated[str, Personal], ...]
    from_whom: tuple[Annotated[str, Personal], ...]
    case_id: str


class InformationRoute(StrEnum):
    """How information came into the case; it decides whether a consent is needed."""

    CITIZEN = "citizen"  # the citizen gave it: known to them (FVL § 19, stk. 1)
    CONSENT = "consent"  # obtained from others with the citizen's consent (Rsl § 11 a)
    UNSOLICITED = "unsolicited"  # received without asking: noted (offentlighedslovens § 13)
    OWN_FINDING = "own_finding"  # the municipality's own finding, e.g. a home visit
    WITHOUT_CONSENT = "without_consent"  # exchanged without consent (Rsl § 11 c)


class RecordCaseInformation(Command):
    """Information the decision may rest on, and how it came into the case."""

    title = "Record case information"
    type: Literal["record_case_information"] = "record_case_information"
    label = "Registrér oplysning i sagen"
    source: str = Field(min_length=2, max_length=200, description="Who gave it, as named in the consent")
    summary: str = Field(min_length=3, max_length=4000)
    from_citizen: bool = False
    route: InformationRoute | None = Field(
        default=None, description="How it came in; empty: from the citizen, or else under a consent (Rsl § 11 a)"
    )
    adverse: bool = Field(
        default=True,
        description="To the citizen's disadvantage and of essential importance to the decision (FVL § 19, stk. 1)",
    )
    ground: str = Field(default="", max_length=500, description="Without consent: the rule it was exchanged under")


class CaseInformationRecorded(Event):
    type: Literal["case_information_recorded"] = "case_information_recorded"
    label = "Oplysning registreret i sagen"
    number: int
    # As named in the citizen's consent, whose sources are personal: "Egen læge", or a doctor by name.
    source: Annotated[str, Personal]
    summary: Annotated[str, Personal]
    from_citizen: bool
    consent_number: int | None = None
    route: InformationRoute | None = None
    adverse: bool = True
    ground: str = ""

    def legal_basis(self) -> str | None:
        if self.route is None:
            return None
        return {
            InformationRoute.CONSENT: LegalBasis.RSL_11A.value,
            InformationRoute.UNSOLICITED: LegalBasis.OFFL_13.value,
            InformationRoute.WITHOUT_CONSENT: LegalBasis.RSL_11C.value,
        }.get(self.route)


class StartHearing(Command):
    """Sends the information the citizen has not commented on for partshøring."""

    title = "Start hearing"
    type: Literal["start_hearing"] = "start_hearing"
    label = "Start partshøring"
    intro = (
        "Borgeren får et brev om de oplysninger, der ikke kommer fra borgeren selv, og kan svare inden "
        "fristen (forvaltningslovens § 19)."
    )
    answer_within_days: int = Field(default=14, ge=1, le=90, description="The citizen's deadline to answer")


class HearingStarted(Event):
    type: Literal["hearing_started"] = "hearing_started"
    label = "Partshøring startet"
    fixed_basis = LegalBasis.FVL_19
    number: int
    information: tuple[int, ...]
    due_at: datetime
    letter: Annotated[str, Personal]
    assessment: bool = False  # the municipality's VUM assessment is heard too


class AnswerHearing(Command):
    title = "Answer hearing"
    type: Literal["answer_hearing"] = "answer_hearing"
    label = "Svar på partshøring"
    intro = "Skriv dine bemærkninger til oplysningerne i høringsbrevet. Dit svar gemmes ordret."
    roles = frozenset({Role.CITIZEN})
    role_reason = "the hearing is the citizen's to answer"
    representable = True
    answer: str = Field(min_length=1, max_length=8000, description="The citizen's answer, kept verbatim")


class HearingAnswered(Event):
    type: Literal["hearing_answered"] = "hearing_answered"
    label = "Partshøring besvaret"
    fixed_basis = LegalBasis.FVL_19
    number: int
    answer: Annotated[str, Personal]


class RecordHearingDeadlinePassed(Command):
    """Issued by the workflow when the citizen's hearing deadline passes without an answer."""

    title = "Record hearing deadline passed"
    issued_by_system = True
    type: Literal["record_hearing_deadline_passed"] = "record_hearing_deadline_passed"
    label = "Registrér udløbet høringsfrist"


class HearingDeadlinePassed(Event):
    type: Literal["hearing_deadline_passed"] = "hearing_deadline_passed"
    label = "Høringsfrist udløbet"
    fixed_basis = LegalBasis.FVL_19
    number: int
    due_at: datetime


# -- what the case keeps ---------------------------------------------------


class InformationItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    source: str
    summary: str
    from_citizen: bool
    heard: bool = False  # the citizen has had the chance to comment (their own, answered or deadline passed)
    route: InformationRoute | None = None
    adverse: bool = True

    @property
    def needs_hearing(self) -> bool:
        """FVL § 19, stk. 1: to the citizen's disadvantage, of essential importance, not known to them."""
        return self.adverse and not self.from_citizen and self.route is not InformationRoute.CITIZEN and not self.heard


class Hearing(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    information: tuple[int, ...]
    due_at: datetime
    answer: str | None = None
    deadline_passed: bool = False
    assessment: bool = False

    def is_open(self, at: datetime | None = None) -> bool:
        """Open until answered, or until its deadline has passed (recorded, or by the clock)."""
        if self.answer is not None or self.deadline_passed:
            return False
        return at is None or at < self.due_at


# -- decide ----------------------------------------------------------------


class HearingRecord(Protocol):
    """What the hearing keeps in the visitation's record (``domain/case/visitation.py``)."""

    @property
    def consents(self) -> tuple[InformationConsentGiven, ...]: ...
    @property
    def information(self) -> tuple[InformationItem, ...]: ...
    @property
    def hearing(self) -> Hearing | None: ...
    @property
    def hearings_held(self) -> int: ...
    @property
    def hearing_answers(self) -> tuple[str, ...]: ...
    @property
    def assessment_heard(self) -> bool: ...
    @property
    def comment_request(self) -> CommentRequest | None: ...


class HearingView(CaseContext, Protocol):
    """What the hearing's rules read besides the case's context: whether there is an assessment, the record."""

    @property
    def assessment(self) -> object | None: ...
    @property
    def visitation(self) -> HearingRecord: ...


def consent_to_obtain(state: HearingView, c: ConsentToObtainInformation) -> list[Event]:
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
            occurred_at=c.now,
            actor=c.actor,
            number=len(state.visitation.consents) + 1,
            information=tuple(v.strip() for v in c.information),
            from_whom=tuple(v.strip() for v in c.from_whom),
            case_id=c.case_id,
        )
    ]


def record_information(state: HearingView, c: RecordCaseInformation) -> list[Event]:
    route = c.route or (InformationRoute.CITIZEN if c.from_citizen else InformationRoute.CONSENT)
    consent_number = None
    if route is InformationRoute.CONSENT:
        wanted = c.source.strip().casefold()
        covering = [k for k in state.visitation.consents if wanted in (w.casefold() for w in k.from_whom)]
        named = sorted({w for k in state.visitation.consents for w in k.from_whom})
        require(
            bool(covering),
            f"the citizen has not consented to collecting information from {c.source!r} ({RSL_11A}); "
            + (f"the consents name: {', '.join(named)}" if named else "there is no consent in the case yet")
            + f". Information received unasked is recorded with route 'unsolicited' ({OFFL_13})",
            rule="information.no_consent",
            field="source",
        )
        consent_number = covering[-1].number
    if route is InformationRoute.WITHOUT_CONSENT:
        require(
            len(c.ground.strip()) >= 5,
            f"oplysninger udvekslet uden samtykke skal angive, efter hvilken regel det skete ({RSL_11C})",
            rule="information.ground_required",
            field="ground",
        )
    return [
        CaseInformationRecorded(
            occurred_at=c.now,
            actor=c.actor,
            number=len(state.visitation.information) + 1,
            source=c.source.strip(),
            summary=c.summary.strip(),
            from_citizen=route is InformationRoute.CITIZEN,
            consent_number=consent_number,
            route=route,
            adverse=c.adverse,
            ground=c.ground.strip(),
        )
    ]


ASSESSMENT_LINE = "- Kommunens vurdering af dit funktionsniveau og støttebehov (VUM-udredningen)"


def hearing_letter(citizen_name: str, items: list[InformationItem], due_at: datetime, assessment: bool = False) -> str:
    lines = "\n".join(
        [*(f"- {item.summary} (fra {item.source})" for item in items), *([ASSESSMENT_LINE] if assessment else [])]
    )
    return (
        f"Kære {citizen_name}\n\n"
        f"Før vi træffer afgørelse i din sag, vil vi gerne høre dine bemærkninger til disse oplysninger:\n"
        f"{lines}\n\n"
        f"Vi beder om dit svar senest den {due_at.strftime('%d.%m.%Y')}. Hører vi ikke fra dig, "
        f"træffer vi afgørelse på det foreliggende grundlag ({FVL_19}).\n"
    )


def start_hearing(state: HearingView, c: StartHearing) -> list[Event]:
    record = state.visitation
    require(
        record.hearing is None or not record.hearing.is_open(),
        f"hearing {record.hearing.number if record.hearing else ''} is still open; wait for the answer or its deadline",
        rule="hearing.already_open",
    )
    unheard = [item for item in record.information if item.needs_hearing]
    assessment = state.assessment is not None and not record.assessment_heard
    require(
        bool(unheard) or assessment,
        "there is no information to the citizen's disadvantage that they have not commented on; no hearing is "
        f"needed ({FVL_19})",
        rule="hearing.nothing_to_hear",
    )
    due_at = c.now + timedelta(days=c.answer_within_days)
    name = state.citizen.name if state.citizen else "borger"
    return [
        HearingStarted(
            occurred_at=c.now,
            actor=c.actor,
            number=record.hearings_held + 1,
            information=tuple(item.number for item in unheard),
            due_at=due_at,
            letter=hearing_letter(name, unheard, due_at, assessment),
            assessment=assessment,
        )
    ]


def answer_hearing(state: HearingView, c: AnswerHearing) -> list[Event]:
    hearing = state.visitation.hearing
    require(
        hearing is not None and hearing.is_open(),
        "there is no open hearing to answer"
        + (" (its deadline has passed; send your comments to your caseworker)" if hearing else ""),
        rule="hearing.not_open",
    )
    assert hearing is not None  # refused above when missing
    return [HearingAnswered(occurred_at=c.now, actor=c.actor, number=hearing.number, answer=c.answer)]


def record_hearing_deadline_passed(state: HearingView, c: RecordHearingDeadlinePassed) -> list[Event]:
    hearing = state.visitation.hearing
    require(hearing is not None and hearing.is_open(), "there is no open hearing", rule="hearing.not_open")
    assert hearing is not None  # refused above when missing
    require(c.now >= hearing.due_at, f"the hearing deadline is {hearing.due_at.isoformat()}", rule="hearing.not_due")
    return [HearingDeadlinePassed(occurred_at=c.now, actor=c.actor, number=hearing.number, due_at=hearing.due_at)]


class HearingExceptionGround(StrEnum):
    """Forvaltningslovens § 19, stk. 2, nr. 1-4: when a hearing may be left out."""

    UNPROBLEMATIC = "unproblematic"  # nr. 1: deciding on the information at hand is unproblematic
    STATUTORY_DEADLINE = "statutory_deadline"  # nr. 2: waiting would overrun a statutory deadline
    OVERRIDING_INTERESTS = "overriding_interests"  # nr. 3: urgency; weighty public or private interests
    NO_ACCESS_RIGHT = "no_access_right"  # nr. 4: the citizen has no right of access to the information

    @property
    def paragraph(self) -> str:
        number = list(HearingExceptionGround).index(self) + 1
        return f"forvaltningslovens § 19, stk. 2, nr. {number}"


class HearingException(BaseModel):
    """Why no hearing was held, recorded on the decision."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ground: HearingExceptionGround
    reason: Annotated[str, Personal] = Field(min_length=10, max_length=2000)


#: The § 19, stk. 2 grounds that also let a decision go ahead of a § 21 request (FVL § 21, stk. 2, nr. 1-2).
FVL_21_EXCEPTIONS = frozenset({HearingExceptionGround.STATUTORY_DEADLINE, HearingExceptionGround.OVERRIDING_INTERESTS})


# -- forvaltningslovens § 21: the citizen asks to comment first ---------------------


class RequestToComment(Command):
    """The citizen asks that the decision waits until they have commented (FVL § 21)."""

    title = "Ask to comment before the decision"
    type: Literal["request_to_comment"] = "request_to_comment"
    label = "Bed om at udtale dig før afgørelsen"
    example = {"answer_within_days": 14}
    roles = frozenset({Role.CITIZEN})
    role_reason = f"it is the citizen who may ask to comment before the decision ({FVL_21})"
    representable = True
    answer_within_days: int = Field(default=14, ge=1, le=90, description="The deadline the municipality sets")


class CommentRequested(Event):
    type: Literal["comment_requested"] = "comment_requested"
    label = "Borgeren har bedt om at udtale sig"
    fixed_basis = LegalBasis.FVL_21
    due_at: datetime


class SubmitComment(Command):
    title = "Submit comment"
    type: Literal["submit_comment"] = "submit_comment"
    label = "Giv din udtalelse"
    example = {"comment": "Jeg vil gerne have, at min mor er med til møderne"}
    roles = frozenset({Role.CITIZEN})
    role_reason = f"the comment is the citizen's ({FVL_21})"
    representable = True
    comment: str = Field(min_length=1, max_length=8000, description="Kept verbatim")


class CommentSubmitted(Event):
    type: Literal["comment_submitted"] = "comment_submitted"
    label = "Borgerens udtalelse modtaget"
    fixed_basis = LegalBasis.FVL_21
    comment: Annotated[str, Personal]


class CommentRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    due_at: datetime
    comment: str | None = None

    def is_open(self, at: datetime | None = None) -> bool:
        return self.comment is None and (at is None or at < self.due_at)


def request_to_comment(state: HearingView, c: RequestToComment) -> list[Event]:
    pending = state.visitation.comment_request
    require(pending is None or not pending.is_open(c.now), "you have already asked to comment; the decision waits for it",
            rule="comment.already_requested")  # fmt: skip
    return [CommentRequested(occurred_at=c.now, actor=c.actor, due_at=c.now + timedelta(days=c.answer_within_days))]


def submit_comment(state: HearingView, c: SubmitComment) -> list[Event]:
    pending = state.visitation.comment_request
    require(pending is not None and pending.comment is None, f"ask to comment first (request_to_comment, {FVL_21})",
            rule="comment.not_requested")  # fmt: skip
    return [CommentSubmitted(occurred_at=c.now, actor=c.actor, comment=c.comment)]


def check_heard(
    state: HearingView, *, full_grant: bool, at: datetime, exception: HearingException | None = None
) -> None:
    """FVL §§ 19 and 21: no decision while a hearing is open or the citizen's own
    comment is awaited, and no decision that is not in the citizen's full favour on
    information to their disadvantage they have not had the chance to comment on,
    unless a § 19, stk. 2 exception is recorded."""
    record = state.visitation
    hearing = record.hearing
    require(
        hearing is None or not hearing.is_open(at),
        f"the citizen has until {hearing.due_at.strftime('%d.%m.%Y %H:%M') if hearing else ''} to answer the hearing; "
        f"the decision waits for the answer or the deadline ({FVL_19})",
        rule="decision.hearing_open",
    )
    comment = record.comment_request
    if comment is not None and comment.is_open(at):
        require(
            exception is not None and exception.ground in FVL_21_EXCEPTIONS,
            f"borgeren har bedt om at udtale sig og har frist til {comment.due_at.strftime('%d.%m.%Y')}; afgørelsen "
            f"venter på udtalelsen ({FVL_21}), medmindre en lovbestemt frist eller væsentlige hensyn taler imod",
            rule="decision.comment_awaited",
        )
    if full_grant:
        return
    # a hearing whose deadline has passed by the clock counts, even before the timer has recorded it
    heard_by_clock = set(hearing.information) if hearing is not None else set()
    unheard = [f"{item.summary} (from {item.source})" for item in record.information
               if item.needs_hearing and item.number not in heard_by_clock]  # fmt: skip
    assessment_heard = record.assessment_heard or (hearing is not None and hearing.assessment)
    if state.assessment is not None and not assessment_heard:
        unheard.append("kommunens VUM-vurdering af borgerens funktionsniveau")
    require(
        not unheard or exception is not None,
        "the decision would rest on information to the citizen's disadvantage they have not commented on: "
        + "; ".join(unheard)
        + f". Start a hearing first ({FVL_19}), or record the exception that applies ({FVL_19_2})",
        rule="decision.hearing_required",
    )


#: Where a hearing is held: before the decision in visitation, and before a decision about
#: the help in evaluation or follow-up when it is not wholly in the citizen's favour (FVL § 19).
HEARING_PHASES = frozenset({Phase.VISITATION, Phase.EVALUATION, Phase.FOLLOW_UP})

#: The hearing's events: each is kept in the visitation's record (``domain/case/visitation.py``).
HEARING_EVENTS: tuple[type[Event], ...] = (
    InformationConsentGiven,
    CaseInformationRecorded,
    HearingStarted,
    HearingAnswered,
    HearingDeadlinePassed,
    CommentRequested,
    CommentSubmitted,
)

#: The hearing's events change the visitation's record: that concept folds them.
CONCEPT = Concept(
    "hearing",
    commands={
        ConsentToObtainInformation: decides(consent_to_obtain, Phase.VISITATION),
        RecordCaseInformation: decides(record_information, HEARING_PHASES),
        StartHearing: decides(start_hearing, HEARING_PHASES),
        AnswerHearing: decides(answer_hearing, HEARING_PHASES),
        RecordHearingDeadlinePassed: decides(record_hearing_deadline_passed, HEARING_PHASES),
        RequestToComment: decides(request_to_comment, Phase.VISITATION),
        SubmitComment: decides(submit_comment, Phase.VISITATION),
    },
    events=dict.fromkeys(HEARING_EVENTS),
)
