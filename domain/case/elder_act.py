"""Ældreloven: who is covered is the municipality's assessment, not the citizen's age.

From 1 July 2025 ældreloven (LOV nr. 1651 af 30/12/2024) covers, by its § 2:

- stk. 1: people who have reached folkepension age and need care because of
  reduced function that arose with their ageing;
- stk. 2: older people below pension age whose need for care, after an overall
  assessment of their life situation, matches that of people of pension age;
- stk. 3: the assessment is made by the municipality (handlekommunen);
- stk. 4: it does not apply to people covered by SEL § 95 or § 96 (cash grant,
  BPA).

For the people it covers, Serviceloven's §§ 83, 83 a, 83 b, 84 and 86 no longer
apply (SEL § 2, stk. 5, inserted by LOV nr. 1703 af 30/12/2024). So a decision
under those paragraphs is refused when the caseworker has recorded that the
citizen is covered (``assess_elder_act``), and intake routes those paragraphs to
the Elder Act only then. The citizen's age is a hint, not the rule: for a citizen
of pension age a decision under those paragraphs waits until the assessment is
recorded (the assessment may well be that the need does not stem from ageing),
and for a younger citizen the assessment may still find age-like needs.

Pension age by birth date is data: lov om social pension § 1 a (stk. 1,
nr. 1-7), with the increase to 70 years for people born on or after
1 January 1971 adopted by Folketinget in 2025. The table below is that law,
row by row; when Folketinget regulates the age again (every 5 years, § 1 a,
stk. 2-3), add a row. (The 70-year row was not re-confirmed against the
consolidated lov om social pension for this revision.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal, Protocol

from pydantic import Field

from domain.case.concept import CaseContext, Concept, decides
from domain.case.deadlines import ApplicationReceived
from domain.citizen import Citizen
from domain.errors import require
from domain.legal import ELDER_ACT, ELDER_ACT_2, ELDER_ACT_2_4, SEL_2_5, LegalBasis, normalise_legal_basis
from domain.messages import Command, Event
from domain.personal_data import Personal
from domain.phases import Phase

ELDER_ACT_IN_FORCE = date(2025, 7, 1)

# The SEL paragraphs that, for the people ældreloven covers, it replaces (SEL § 2, stk. 5).
ELDER_ACT_BASES: frozenset[str] = frozenset({"SEL § 83", "SEL § 83a", "SEL § 83b", "SEL § 84", "SEL § 86"})

# (born from, born to, years, months): lov om social pension § 1 a, stk. 1.
PENSION_AGE_BY_BIRTH_DATE: tuple[tuple[date, date, int, int], ...] = (
    (date.min, date(1953, 12, 31), 65, 0),
    (date(1954, 1, 1), date(1954, 6, 30), 65, 6),
    (date(1954, 7, 1), date(1954, 12, 31), 66, 0),
    (date(1955, 1, 1), date(1955, 6, 30), 66, 6),
    (date(1955, 7, 1), date(1962, 12, 31), 67, 0),
    (date(1963, 1, 1), date(1966, 12, 31), 68, 0),
    (date(1967, 1, 1), date(1970, 12, 31), 69, 0),
    (date(1971, 1, 1), date.max, 70, 0),
)


def pension_age(born: date) -> tuple[int, int]:
    """Folkepensionsalder (years, months) for a birth date."""
    for start, end, years, months in PENSION_AGE_BY_BIRTH_DATE:
        if start <= born <= end:
            return years, months
    raise ValueError(f"no pension age for birth date {born}")  # unreachable: the table covers every date


def pension_age_reached_on(born: date) -> date:
    """The day a person born on ``born`` reaches folkepension age (a 29 February
    birthday falls on 28 February in other years)."""
    years, months = pension_age(born)
    month_index = born.month - 1 + months
    year = born.year + years + month_index // 12
    month = month_index % 12 + 1
    day = born.day
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def is_of_pension_age(citizen: Citizen, on: date) -> bool:
    return on >= pension_age_reached_on(citizen.birth_date)


#: SEL §§ 95 and 96: their users stay under Serviceloven (ældrelovens § 2, stk. 4).
SERVICELOVEN_KEEPS: frozenset[str] = frozenset({"SEL § 95", "SEL § 96"})


class AssessElderAct(Command):
    """The caseworker's assessment of whether the citizen is covered by ældreloven (§ 2, stk. 3)."""

    title = "Assess whether the Elder Act applies"
    type: Literal["assess_elder_act"] = "assess_elder_act"
    label = "Vurdér om ældreloven gælder"
    example = {"covered": False, "reasons": "Borgeren er 34 år og har ikke aldersbetingede behov"}
    role_reason = f"the municipality assesses whether ældreloven applies ({ELDER_ACT_2})"
    covered: bool = Field(description="Whether the citizen's need stems from ageing (ældrelovens § 2, stk. 1 or 2)")
    ground: Literal["pension_age", "age_like_needs"] | None = Field(
        default=None,
        description="When covered: stk. 1 (pension age, needs from ageing) or stk. 2 (age-like needs below it)",
    )
    reasons: str = Field(min_length=10, max_length=4000, description="Why, from the overall view of the life situation")


class ElderActAssessed(Event):
    type: Literal["elder_act_assessed"] = "elder_act_assessed"
    label = "Vurderet efter ældreloven"
    fixed_basis = LegalBasis.ELDER_ACT_2
    covered: bool
    ground: Literal["pension_age", "age_like_needs"] | None = None
    reasons: Annotated[str, Personal]


class _Service(Protocol):
    @property
    def legal_basis(self) -> str: ...


class _Decision(Protocol):
    @property
    def services(self) -> Iterable[_Service]: ...


class _Record(Protocol):
    @property
    def application(self) -> ApplicationReceived | None: ...
    @property
    def elder_act(self) -> ElderActAssessed | None: ...


class ElderActView(CaseContext, Protocol):
    """What the ældrelov's rules read besides the case's context (its citizen): what was
    applied for and granted, and the assessment."""

    @property
    def decision(self) -> _Decision | None: ...
    @property
    def visitation(self) -> _Record: ...


def _seeks_bpa_or_cash_grant(state: ElderActView) -> bool:
    application = state.visitation.application
    applied = set(application.applied_for) if application is not None else set()
    granted = {s.legal_basis for s in state.decision.services} if state.decision is not None else set()
    return bool((applied | granted) & SERVICELOVEN_KEEPS)


def assess_elder_act(state: ElderActView, c: AssessElderAct) -> list[Event]:
    if c.covered:
        require(
            c.ground is not None,
            f"angiv grundlaget: pension_age (§ 2, stk. 1) eller age_like_needs (§ 2, stk. 2) ({ELDER_ACT_2})",
            rule="elder_act.ground_required",
            field="ground",
        )
        require(
            not _seeks_bpa_or_cash_grant(state),
            f"borgeren søger eller har BPA eller kontant tilskud og forbliver efter serviceloven ({ELDER_ACT_2_4})",
            rule="elder_act.bpa_stays_under_serviceloven",
            field="covered",
        )
        if c.ground == "pension_age" and state.citizen is not None and c.now is not None:
            reached = pension_age_reached_on(state.citizen.birth_date)
            require(
                c.now.date() >= reached,
                f"{state.citizen.name} når folkepensionsalderen {reached.isoformat()}; før da kan borgeren kun være "
                f"omfattet efter § 2, stk. 2 (age_like_needs) ({ELDER_ACT_2})",
                rule="elder_act.not_pension_age",
                field="ground",
            )
    return [
        ElderActAssessed(
            occurred_at=c.now,
            actor=c.actor,
            covered=c.covered,
            ground=c.ground if c.covered else None,
            reasons=c.reasons.strip(),
        )
    ]


def _moved(legal_basis: str, on: date) -> bool:
    return on >= ELDER_ACT_IN_FORCE and normalise_legal_basis(legal_basis) in ELDER_ACT_BASES


def covered_by_elder_act(state: ElderActView | None, legal_basis: str, on: date) -> bool:
    """True when the caseworker has assessed the citizen as covered and ``legal_basis``
    is one of the paragraphs ældreloven takes over (SEL § 2, stk. 5)."""
    assessed = state.visitation.elder_act if state is not None else None
    return _moved(legal_basis, on) and assessed is not None and assessed.covered


def check_not_elder_act(state: ElderActView | None, legal_basis: str, on: date, *, field: str) -> None:
    """Refuses SEL §§ 83, 83 a, 83 b, 84 and 86 (from 1 July 2025) for a citizen the
    municipality has assessed as covered by ældreloven; for a citizen of pension age,
    until that assessment is recorded."""
    if state is None or not _moved(legal_basis, on):
        return
    basis = normalise_legal_basis(legal_basis)
    citizen = state.citizen
    assessed = state.visitation.elder_act
    name = citizen.name if citizen is not None else "borgeren"
    require(
        assessed is None or not assessed.covered,
        f"{basis} kan ikke bevilges til {name}: kommunen har vurderet, at borgeren er omfattet af {ELDER_ACT}, "
        f"og hjælpen gives derfor efter ældreloven ({SEL_2_5})",
        rule="decision.elder_act",
        field=field,
    )
    if assessed is None and citizen is not None and is_of_pension_age(citizen, on):
        reached = pension_age_reached_on(citizen.birth_date)
        require(
            False,
            f"{name} nåede folkepensionsalderen {reached.isoformat()}. Alderen afgør det ikke alene: vurdér først, "
            f"om behovet skyldes aldring (assess_elder_act, {ELDER_ACT_2}), før der træffes afgørelse efter {basis}",
            rule="decision.elder_act_not_assessed",
            field=field,
        )


CONCEPT = Concept(
    "ældreloven",
    commands={AssessElderAct: decides(assess_elder_act, Phase.VISITATION)},
    events={ElderActAssessed: None},  # kept in the visitation's record
)
