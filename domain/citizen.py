"""The citizen a case is about, identified by CPR number (CPR-loven § 3)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.personal_data import Personal

#: ASCII digits only (``\d`` would take Arabic-Indic or fullwidth digits), the whole
#: text and nothing after it (``$`` would let a trailing newline through).
_CPR = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})-?([0-9])([0-9]{3})")


def birth_date_from_cpr(cpr: str) -> date:
    """The birth date a CPR number encodes; the century follows from the 7th digit
    (the CPR office's rule), since the number holds only two digits of the year."""
    match = _CPR.fullmatch(cpr) if isinstance(cpr, str) else None
    if not match:
        raise ValueError("a CPR number is 10 digits, DDMMYY-SSSS")
    day, month, year2, century_digit = (int(g) for g in match.groups()[:4])
    if century_digit <= 3:
        century = 1900
    elif century_digit in (4, 9):
        century = 2000 if year2 <= 36 else 1900
    else:
        century = 2000 if year2 <= 57 else 1800
    return date(century + year2, month, day)


def _valid_cpr(value: str) -> str:
    try:
        birth_date_from_cpr(value)
    except ValueError as error:
        raise ValueError(f"not a valid CPR number ({error}); expected DDMMYY-SSSS with a real date") from None
    return normalise_cpr(value)


def normalise_cpr(value: str) -> str:
    """The one written form of a CPR number, DDMMYY-SSSS, made before anything else
    (a key lookup, an erasure) sees it; ValueError for anything but ASCII digits."""
    if not isinstance(value, str) or not _CPR.fullmatch(value):
        raise ValueError("a CPR number is 10 ASCII digits, DDMMYY-SSSS")
    digits = value.replace("-", "")
    return f"{digits[:6]}-{digits[6:]}"


def cpr_digits(cpr: str) -> str:
    """The ten ASCII digits of a CPR number, with or without its dash; ValueError for
    anything else (another script's digits or a stray newline would otherwise make a
    second key that erasure by CPR misses, or a search that finds nothing)."""
    digits = cpr.replace("-", "") if isinstance(cpr, str) else ""
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise ValueError("a CPR number is 10 ASCII digits, DDMMYY-SSSS")
    return digits


def is_cpr(text: str) -> bool:
    """Whether ``text`` is a CPR number with a real birth date (with or without the dash)."""
    try:
        birth_date_from_cpr(text)
    except ValueError:
        return False
    return True


def same_cpr(a: str | None, b: str | None) -> bool:
    """Whether two CPR numbers are the same person's, however each is written (with or
    without the dash, spaces around it); never for a missing or malformed one."""
    try:
        return a is not None and b is not None and cpr_digits(a.strip()) == cpr_digits(b.strip())
    except ValueError:
        return False


Cpr = Annotated[str, AfterValidator(_valid_cpr)]


class Citizen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cpr: Annotated[Cpr, Personal] = Field(max_length=32, description="CPR number, DDMMYY-SSSS")
    name: Annotated[str, Personal] = Field(min_length=1, max_length=200)

    @property
    def birth_date(self) -> date:
        return birth_date_from_cpr(self.cpr)

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
