"""Ældreloven: from 1 July 2025 help to citizens of pension age moves out of Serviceloven.

Since ældreloven came into force on 1 July 2025, personal and practical help,
rehabilitation, relief and training for a citizen who has reached the
folkepension age are granted under the Elder Act, not under SEL §§ 83, 83 a,
83 b, 84 and 86. A decision under one of those paragraphs for such a citizen
is refused, and intake routes the need to the Elder Act instead.

Pension age by birth date is data: lov om social pension § 1 a (stk. 1,
nr. 1-7), with the increase to 70 years for people born on or after
1 January 1971 adopted by Folketinget in 2025. The table below is that law,
row by row; when Folketinget regulates the age again (every 5 years, § 1 a,
stk. 2-3), add a row.
"""

from __future__ import annotations

from datetime import date

from domain.citizen import Citizen
from domain.errors import DomainError
from domain.legal import ELDER_ACT, normalise_legal_basis

ELDER_ACT_IN_FORCE = date(2025, 7, 1)

# The SEL paragraphs that, for a citizen of pension age, the Elder Act replaces.
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


def covered_by_elder_act(citizen: Citizen | None, legal_basis: str, on: date) -> bool:
    """True when ``legal_basis`` cannot be used for this citizen on this day."""
    return (
        citizen is not None
        and on >= ELDER_ACT_IN_FORCE
        and normalise_legal_basis(legal_basis) in ELDER_ACT_BASES
        and is_of_pension_age(citizen, on)
    )


def check_not_elder_act(citizen: Citizen | None, legal_basis: str, on: date, *, field: str) -> None:
    """Refuses SEL §§ 83, 83 a, 83 b, 84 and 86 for a citizen of pension age after 1 July 2025."""
    if covered_by_elder_act(citizen, legal_basis, on):
        reached = pension_age_reached_on(citizen.birth_date)
        raise DomainError(
            f"{normalise_legal_basis(legal_basis)} cannot be granted to {citizen.name}: the citizen reached "
            f"folkepension age on {reached.isoformat()}, and since 1 July 2025 this help is granted under "
            f"{ELDER_ACT}, not Serviceloven; route the need to the Elder Act",
            rule="decision.elder_act",
            field=field,
        )
