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

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Changes, Concept, decides, with_entry
from domain.case.team import TEAM_PHASES, TeamMember
from domain.errors import require
from domain.information import InformationCategory
from domain.legal import CONSENT_TO_SHARE, FVL_27, LegalBasis
from domain.messages import MAX_ITEMS, Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase

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


class GiveConsent(Command):
    title = "Give consent"
    type: Literal["give_consent"] = "give_consent"
    label = "Giv samtykke"
    intro = "Vælg en person på dit hold og de oplysninger, personen må se. Du kan altid trække samtykket tilbage."
    roles = frozenset({Role.CITIZEN})
    role_reason = f"it is the citizen's information ({CONSENT_TO_SHARE})"
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
    example = {"person_id": "vol-karim", "reason": "Borgeren ønsker ikke længere, at Karim ser sagen"}
    intro = "Personen kan ikke længere se dine oplysninger fra det øjeblik, du trækker samtykket tilbage."
    roles = frozenset({Role.CITIZEN})
    role_reason = "the consent is the citizen's to withdraw"
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


class ConsentView(Protocol):
    """What the consent rules read: the team (consent is given to a named member) and the consents."""

    @property
    def team(self) -> Mapping[str, TeamMember]: ...
    @property
    def consents(self) -> Mapping[str, Consent]: ...
    @property
    def confidentiality_declarations(self) -> Mapping[str, date]: ...


def consent_covers(state: ConsentView, person_id: str, category: InformationCategory, at: datetime) -> bool:
    """Whether the citizen's consent lets ``person_id`` see ``category`` at ``at``."""
    consent = state.consents.get(person_id)
    return consent is not None and consent.covers(category, at)


def give_consent(state: ConsentView, c: GiveConsent) -> list[Event]:
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


def record_confidentiality_declaration(state: ConsentView, c: RecordConfidentialityDeclaration) -> list[Event]:
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


def revoke_consent(state: ConsentView, c: RevokeConsent) -> list[Event]:
    """GDPR art. 7, stk. 3: the citizen may withdraw a consent at any time."""
    consent = state.consents.get(c.person_id)
    require(
        consent is not None and consent.revoked_at is None,
        f"{c.person_id} has no consent in force to revoke",
        rule="consent.none_in_force",
        field="person_id",
    )
    return [ConsentRevoked(occurred_at=c.now, actor=c.actor, person_id=c.person_id, reason=c.reason.strip())]


def _given(state: ConsentView, e: ConsentGiven) -> Changes:
    consent = Consent(person_id=e.person_id, categories=e.categories, purpose=e.purpose, valid_until=e.valid_until,
                      given_at=e.occurred_at)  # fmt: skip
    return {"consents": {**state.consents, e.person_id: consent}}


def _revoked(state: ConsentView, e: ConsentRevoked) -> Changes:
    return {"consents": with_entry(state.consents, e.person_id, revoked_at=e.occurred_at)}


def _declared(state: ConsentView, e: ConfidentialityDeclarationRecorded) -> Changes:
    return {"confidentiality_declarations": {**state.confidentiality_declarations, e.person_id: e.signed_on}}


CONCEPT = Concept(
    "consent",
    commands={
        GiveConsent: decides(give_consent, TEAM_PHASES),
        # a consent may be withdrawn while anyone outside the municipality can still see the case
        RevokeConsent: decides(revoke_consent, TEAM_PHASES, Phase.EVALUATION),
        RecordConfidentialityDeclaration: decides(record_confidentiality_declaration, TEAM_PHASES),
    },
    events={ConsentGiven: _given, ConsentRevoked: _revoked, ConfidentialityDeclarationRecorded: _declared},
)
