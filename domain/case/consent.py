"""The citizen's consent for people outside the municipality to see their information.

Volunteers and relatives on the team are private persons: the municipality may
disclose the citizen's information to them only on the citizen's consent
(``legal.CONSENT_TO_SHARE``: GDPR art. 6(1)(a) and 9(2)(a), databeskyttelseslovens
§ 7, § 11, stk. 2, nr. 2 for the CPR number, and § 8, stk. 2 for information
about criminal offences), and the consent is what lifts the municipality's
duty of confidentiality (forvaltningslovens § 27) towards that person. It is
not forvaltningslovens § 28, which is about disclosure between authorities.

A consent is concrete: a named recipient (a person on the citizen's team), a
stated purpose, the categories and an end date. It is blanket, and refused,
when the recipient or the purpose is unspecified ("alle formål", "relevante
personer"), not because it names many categories: a citizen may well let a
trusted relative see all of them. It may be withdrawn at any time (art. 7,
stk. 3); revocation takes effect at once for every later read.

Before a volunteer or relative sees anything under a consent, the municipality
records their signed declaration of confidentiality (tavshedserklæring): they
are not bound by the public-sector duty of confidentiality, so the declaration
is how they take it on. The declaration is checked where access is decided
(``domain/access.py``). (That a tavshedserklæring is required is the
municipality's own safeguard as practised for volunteers; no statute naming it
as a condition was confirmed for this revision.)
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import require
from domain.legal import CONSENT_TO_SHARE, FVL_27, LegalBasis
from domain.messages import MAX_ITEMS, Command, Event, Role
from domain.personal_data import Personal

if TYPE_CHECKING:
    from domain.case import CaseState

# Words that make a consent a blanket one: it must name what, from or to whom, and why.
BLANKET_WORDS: tuple[str, ...] = (
    "alle oplysninger",
    "alle relevante",
    "relevante oplysninger",
    "relevante steder",
    "relevante myndigheder",
    "relevante personer",
    "alle myndigheder",
    "alle læger",
    "alle steder",
    "alle formål",
    "ethvert formål",
    "andre formål",
    "enhver",
    "hvem som helst",
    "alt om",
    "diverse",
    "osv",
    "m.fl",
    "etc",
    "all information",
    "any information",
    "any purpose",
    "all purposes",
    "anyone",
    "everyone",
    "all authorities",
)


def blanket_word(text: str) -> str | None:
    """The first word or phrase in ``text`` that makes it unspecified, if any."""
    folded = text.casefold()
    for word in BLANKET_WORDS:
        if word in folded:
            return word
    return None


class InformationCategory(StrEnum):
    """What a person may be allowed to see about the citizen."""

    NEED = "need"  # the need as registered
    GOALS = "goals"  # the citizen's own goals
    ASSESSMENT = "assessment"  # function levels and the citizen's words on each condition
    HEALTH = "health"  # health conditions (FFB Sundhedsforhold, Funktioner og forhold)
    DECISION = "decision"  # the decision and its services
    PLAN = "plan"  # the action plan
    MEETING_NOTES = "meeting_notes"  # minutes of joint meetings
    OBSERVATIONS = "observations"  # observations by team members
    EVALUATION = "evaluation"  # the evaluation


class GiveConsent(Command):
    title = "Give consent"
    type: Literal["give_consent"] = "give_consent"
    label = "Giv samtykke"
    intro = "Vælg en person på dit hold og de oplysninger, personen må se. Du kan altid trække samtykket tilbage."
    roles = frozenset({Role.CITIZEN})
    person_id: str = Field(min_length=1, max_length=64)
    categories: list[InformationCategory] = Field(min_length=1, max_length=MAX_ITEMS)
    purpose: str = Field(min_length=10, max_length=1000, description="What the person may use it for")
    valid_until: date


class ConsentGiven(Event):
    type: Literal["consent_given"] = "consent_given"
    label = "Samtykke givet"
    fixed_basis = LegalBasis.GDPR_CONSENT
    person_id: str
    categories: tuple[InformationCategory, ...]
    purpose: Annotated[str, Personal]
    valid_until: date


class RevokeConsent(Command):
    title = "Revoke consent"
    type: Literal["revoke_consent"] = "revoke_consent"
    label = "Tilbagekald samtykke"
    intro = "Personen kan ikke længere se dine oplysninger fra det øjeblik, du trækker samtykket tilbage."
    roles = frozenset({Role.CITIZEN})
    person_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=1000)


class ConsentRevoked(Event):
    type: Literal["consent_revoked"] = "consent_revoked"
    label = "Samtykke tilbagekaldt"
    person_id: str
    reason: Annotated[str, Personal]


class Consent(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    categories: tuple[InformationCategory, ...]
    purpose: str
    valid_until: date
    given_at: datetime
    revoked_at: datetime | None = None

    def covers(self, category: InformationCategory, at: datetime) -> bool:
        """True while the consent is in force at ``at`` and names the category."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return at.date() <= self.valid_until and category in self.categories


class RecordConfidentialityDeclaration(Command):
    """The volunteer's or relative's signed declaration of confidentiality (tavshedserklæring)."""

    title = "Record confidentiality declaration"
    type: Literal["record_confidentiality_declaration"] = "record_confidentiality_declaration"
    label = "Registrér tavshedserklæring"
    person_id: str = Field(min_length=1, max_length=64)
    signed_on: date
    reference: str = Field(min_length=3, max_length=200, description="Where the signed declaration is filed")


class ConfidentialityDeclarationRecorded(Event):
    type: Literal["confidentiality_declaration_recorded"] = "confidentiality_declaration_recorded"
    label = "Tavshedserklæring registreret"
    person_id: str
    signed_on: date
    reference: str


# -- decide ----------------------------------------------------------------------


def give_consent(state: CaseState, c: GiveConsent) -> list[Event]:
    require(
        c.actor.role is Role.CITIZEN,
        f"only citizen may give consent: it is the citizen's information; you act as {c.actor.role.value}",
        rule="case.role_not_allowed",
        field="actor.role",
    )
    member = state.team.get(c.person_id)
    require(
        member is not None,
        f"{c.person_id} is not on the team; consent is given to a named person on the citizen's team",
        rule="consent.not_on_team",
        field="person_id",
    )
    assert member is not None  # refused above when missing
    require(
        member.kind.outside_municipality,
        f"{member.name} is municipal staff and works under the municipality's duty of confidentiality; "
        "consent is for volunteers and relatives",
        rule="consent.not_needed_for_staff",
        field="person_id",
    )
    require(
        # ``Consent.covers`` counts the last day in, so a consent for today alone (one meeting) is whole.
        c.valid_until >= c.now.date(),
        "a consent cannot end before the day it is given",
        rule="consent.expired",
        field="valid_until",
    )
    word = blanket_word(c.purpose)
    require(
        word is None,
        f"formålet {c.purpose!r} er ikke afgrænset ({word}): et samtykke til at videregive oplysninger til "
        f"{member.name} skal angive et konkret formål ({CONSENT_TO_SHARE})",
        rule="consent.blanket",
        field="purpose",
    )
    return [
        ConsentGiven(
            occurred_at=c.now,
            actor=c.actor,
            person_id=c.person_id,
            categories=tuple(dict.fromkeys(c.categories)),
            purpose=c.purpose,
            valid_until=c.valid_until,
        )
    ]


def record_confidentiality_declaration(state: CaseState, c: RecordConfidentialityDeclaration) -> list[Event]:
    require(
        c.actor.role in (Role.CASEWORKER, Role.TEAM_LEAD),
        f"only caseworker or team_lead may record a confidentiality declaration; you act as {c.actor.role.value}",
        rule="case.role_not_allowed",
        field="actor.role",
    )
    member = state.team.get(c.person_id)
    require(
        member is not None and member.kind.outside_municipality,
        f"{c.person_id} is not a volunteer or relative on the team; municipal staff are bound by {FVL_27} already",
        rule="confidentiality.not_outsider",
        field="person_id",
    )
    require(
        c.signed_on <= c.now.date(),
        "a declaration is recorded once it is signed",
        rule="confidentiality.future",
        field="signed_on",
    )
    return [
        ConfidentialityDeclarationRecorded(
            occurred_at=c.now,
            actor=c.actor,
            person_id=c.person_id,
            signed_on=c.signed_on,
            reference=c.reference.strip(),
        )
    ]
