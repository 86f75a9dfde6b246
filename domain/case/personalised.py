"""Personalised options: BPA, the cash grant, an individual budget, chosen by the citizen.

- Borgerstyret personlig assistance, SEL § 96: the citizen is the work leader
  (arbejdsleder) of their own helpers, and the employer role (arbejdsgiver) is
  held by the citizen or transferred to a relative or to an association or
  private company: both conditions are in § 96, stk. 2. An association or
  company must be approved by socialtilsynet (lov om socialtilsyn; an
  agreement with one that was not approved when it was made does not bind the
  citizen, § 96, stk. 2, as amended by L 56 2019-20), not by the municipality.
  The grant is hours per week.
- Kontant tilskud, SEL § 95: the cash grant for the citizen (or a relative) to
  employ helpers, the alternative to BPA.
- An individual budget: there is no general legal basis for one. Folketinget
  has allowed only time-limited trials (e.g. lov om forsøg med personlige
  borgerstyrede budgetter til socialt udsatte borgere, L 133 2021-22, for
  2022-2024 in the participating municipalities); a municipality offers it
  only under such a trial, and the caseworker names it (``trial``). Whether a
  trial is in force for this municipality today is not something the domain
  can know: it is stated with the choice, never assumed.

The choice is the citizen's (serviceloven § 1 and the aim of self-determination
in § 81): it is recorded by the citizen, and a decision on one of these options
follows the citizen's recorded choice.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import Concept, decides
from domain.errors import require
from domain.legal import SEL_96_2, SOCIALTILSYN_APPROVAL
from domain.messages import Command, Event, Role
from domain.personal_data import Personal
from domain.phases import Phase

BPA_BASIS = "SEL § 96"
CASH_GRANT_BASIS = "SEL § 95"


class PersonalisedOption(StrEnum):
    BPA = "bpa"
    CASH_GRANT = "cash_grant"
    INDIVIDUAL_BUDGET = "individual_budget"

    @property
    def label(self) -> str:
        return {
            PersonalisedOption.BPA: "BPA (SEL § 96)",
            PersonalisedOption.CASH_GRANT: "kontant tilskud (SEL § 95)",
            PersonalisedOption.INDIVIDUAL_BUDGET: "individuelt budget (kun under en tidsbegrænset forsøgsordning)",
        }[self]


class EmployerKind(StrEnum):
    CITIZEN = "citizen"
    RELATIVE = "relative"
    ASSOCIATION = "association"
    COMPANY = "company"


class Employer(BaseModel):
    """Who employs the helpers (arbejdsgiver), SEL § 96, stk. 2."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EmployerKind
    name: Annotated[str, Personal] = Field(default="", max_length=200)
    cvr: str | None = Field(
        default=None, max_length=8, description="CVR number of an association or company (8 digits)"
    )
    approval: str | None = Field(
        default=None, max_length=200, description="Socialtilsynet's approval of the association or company (reference)"
    )


class RecordCitizensChoice(Command):
    title = "Record the citizen's choice"
    type: Literal["record_citizens_choice"] = "record_citizens_choice"
    label = "Registrér borgerens valg"
    roles = frozenset({Role.CITIZEN})
    role_reason = "the choice is the citizen's own"
    representable = True
    option: PersonalisedOption
    employer: Employer | None = None
    citizen_is_work_leader: bool = Field(
        default=True, description="BPA: the citizen leads their helpers (arbejdsleder)"
    )
    provider: str = Field(default="", max_length=200, description="Individual budget: the provider the citizen chose")
    trial: str = Field(
        default="",
        max_length=300,
        description="Individual budget: the time-limited trial (forsøgshjemmel) it is offered under; there is no general legal basis",
    )
    in_own_words: str = Field(default="", max_length=4000)


class CitizensChoiceRecorded(Event):
    type: Literal["citizens_choice_recorded"] = "citizens_choice_recorded"
    label = "Borgerens valg registreret"
    option: PersonalisedOption
    employer: Employer | None
    work_leader: Literal["citizen"] | None
    provider: str
    in_own_words: Annotated[str, Personal]
    chosen_by: str
    trial: str = ""

    def legal_basis(self) -> str | None:
        return {PersonalisedOption.BPA: BPA_BASIS, PersonalisedOption.CASH_GRANT: CASH_GRANT_BASIS}.get(self.option)


class Arrangement(BaseModel):
    """How a granted service is carried out when the citizen chose a personalised option."""

    model_config = ConfigDict(frozen=True)

    option: PersonalisedOption
    employer: Employer | None = None
    work_leader: Literal["citizen"] | None = None
    hours_per_week: float | None = None
    budget_dkk_per_year: int | None = None
    provider: str = ""
    chosen_by: str
    trial: str = ""


_CVR = re.compile(r"^\d{8}$")


def record_choice(state: object, c: RecordCitizensChoice) -> list[Event]:
    employer = c.employer
    if c.option is PersonalisedOption.INDIVIDUAL_BUDGET:
        require(
            bool(c.provider.strip()),
            "an individual budget names the provider the citizen has chosen",
            rule="choice.no_provider",
            field="provider",
        )
        require(
            bool(c.trial.strip()),
            "et individuelt budget har ingen almindelig lovhjemmel; det kan kun tilbydes under en tidsbegrænset "
            "forsøgsordning, som kommunen deltager i. Angiv forsøgshjemlen (trial)",
            rule="choice.individual_budget_no_basis",
            field="trial",
        )
        employer = None
    else:
        require(
            employer is not None,
            f"{c.option.label} needs an employer: the citizen, a relative, or an association or company approved "
            f"by socialtilsynet ({SEL_96_2})",
            rule="choice.no_employer",
            field="employer",
        )
        assert employer is not None  # refused above when missing
        if c.option is PersonalisedOption.BPA:
            require(
                c.citizen_is_work_leader,
                f"BPA kræver, at borgeren selv er arbejdsleder for sine hjælpere ({SEL_96_2}); "
                "overvej kontant tilskud efter servicelovens § 95 i stedet",
                rule="choice.bpa_needs_work_leader",
                field="citizen_is_work_leader",
            )
        if employer.kind is not EmployerKind.CITIZEN:
            require(
                bool(employer.name.strip()),
                f"name the {employer.kind.value} who will be the employer",
                rule="choice.employer_unnamed",
                field="employer.name",
            )
        if employer.kind in (EmployerKind.ASSOCIATION, EmployerKind.COMPANY):
            require(
                employer.cvr is not None and bool(_CVR.match(employer.cvr)),
                f"an {employer.kind.value} as employer is identified by its CVR number (8 digits)",
                rule="choice.employer_cvr",
                field="employer.cvr",
            )
            require(
                bool((employer.approval or "").strip()),
                f"en {'forening' if employer.kind is EmployerKind.ASSOCIATION else 'privat virksomhed'} kan kun "
                f"overtage arbejdsgiveropgaverne, når socialtilsynet har godkendt den ({SOCIALTILSYN_APPROVAL}); "
                "angiv socialtilsynets godkendelse (approval)",
                rule="choice.employer_not_approved",
                field="employer.approval",
            )
    return [
        CitizensChoiceRecorded(
            occurred_at=c.now,
            actor=c.actor,
            option=c.option,
            employer=employer,
            work_leader="citizen" if c.option is PersonalisedOption.BPA else None,
            provider=c.provider.strip(),
            in_own_words=c.in_own_words,
            chosen_by=c.actor.id,
            trial=c.trial.strip(),
        )
    ]


def arrangement_for(
    choice: CitizensChoiceRecorded | None,
    legal_basis: str,
    hours_per_week: float | None,
    budget_dkk_per_year: int | None,
    *,
    field: str,
) -> Arrangement | None:
    """The arrangement a granted service carries, or a DomainError if the decision
    does not follow the citizen's own choice."""
    wanted: PersonalisedOption | None = None
    if legal_basis == BPA_BASIS:
        wanted = PersonalisedOption.BPA
    elif legal_basis == CASH_GRANT_BASIS:
        wanted = PersonalisedOption.CASH_GRANT
    elif budget_dkk_per_year is not None:
        wanted = PersonalisedOption.INDIVIDUAL_BUDGET
    if wanted is None:
        return None
    require(
        choice is not None and choice.option is wanted,
        f"a grant of {wanted.label} follows the citizen's own recorded choice; "
        + (f"the citizen chose {choice.option.label}" if choice else "the citizen has not recorded a choice yet"),
        rule="decision.not_citizens_choice",
        field=field,
    )
    assert choice is not None  # refused above when missing
    if wanted is PersonalisedOption.INDIVIDUAL_BUDGET:
        return Arrangement(
            option=wanted,
            budget_dkk_per_year=budget_dkk_per_year,
            provider=choice.provider,
            chosen_by=choice.chosen_by,
            trial=choice.trial,
        )
    require(
        hours_per_week is not None,
        f"{wanted.label} is granted as hours per week; give hours_per_week",
        rule="decision.hours_required",
        field=field.rsplit(".", 1)[0] + ".hours_per_week",
    )
    return Arrangement(
        option=wanted,
        employer=choice.employer,
        work_leader=choice.work_leader,
        hours_per_week=hours_per_week,
        chosen_by=choice.chosen_by,
    )


CONCEPT = Concept(
    "personalised options",
    commands={RecordCitizensChoice: decides(record_choice, Phase.VISITATION)},
    events={CitizensChoiceRecorded: None},  # kept in the visitation's record
)
