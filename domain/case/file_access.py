"""Requests for access to the file (aktindsigt): forvaltningslovens § 9 and
databeskyttelsesforordningens art. 15.

A citizen (or a representative whose fuldmagt covers it) asks to see their
file; the municipality answers within 7 working days with a decision or a
notice of why not yet and when (``legal.FVL_16``). The answer is recorded with
``answer_file_access``: the export the citizen got (the API's case export,
filtered by the citizen's rights) is named by its digest.

Not confirmed against retsinformation here: the 7-working-day rule of FVL § 16,
stk. 2 as in force (the sources found quote offentlighedslovens § 36's 7
arbejdsdage and an older FVL § 16 text with 10 days). Working days are counted
without Saturdays, Sundays and the Danish public holidays (helligdage: nytårsdag,
skærtorsdag, langfredag, påskedag, 2. påskedag, Kristi himmelfartsdag, pinsedag,
2. pinsedag, juledag, 2. juledag; store bededag until 2023). Grundlovsdag,
juleaftensdag and nytårsaftensdag are counted as working days: they are not
helligdage, though many offices close (not confirmed which the law means).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import OPEN, Changes, Concept, decides, with_entry
from domain.errors import require
from domain.legal import FVL_16, LegalBasis
from domain.messages import Command, Event, Role
from domain.personal_data import Personal

ANSWER_WITHIN_WORKING_DAYS = 7


def _easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    return date(year, month, (h + l - 7 * m + 33 * month + 19) % 32)


def danish_holidays(year: int) -> frozenset[date]:
    easter = _easter(year)
    days = {date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)}
    for offset in (-3, -2, 0, 1, 39, 49, 50):
        days.add(easter + timedelta(days=offset))
    if year <= 2023:
        days.add(easter + timedelta(days=26))  # store bededag, abolished from 2024
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in danish_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after ``start`` (the day of receipt not counted)."""
    day, counted = start.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, datetime.max.time().replace(microsecond=0), tzinfo=start.tzinfo)


class FileAccessOutcome(StrEnum):
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"
    NOTICE = "notice"  # not decided yet: why, and when a decision can be expected (FVL § 16, stk. 2)


class FileAccessRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    requested_at: datetime
    due_at: datetime
    answered: FileAccessOutcome | None = None

    @property
    def is_open(self) -> bool:
        return self.answered is None or self.answered is FileAccessOutcome.NOTICE


class RequestFileAccess(Command):
    title = "Ask to see my file (aktindsigt)"
    type: Literal["request_file_access"] = "request_file_access"
    label = "Bed om aktindsigt i din sag"
    example = {}  # it asks for the whole file: no fields
    roles = frozenset({Role.CITIZEN})
    role_reason = "aktindsigt in the file is asked for by the citizen (forvaltningslovens § 9)"
    representable = True


class FileAccessRequested(Event):
    type: Literal["file_access_requested"] = "file_access_requested"
    label = "Borgeren har bedt om aktindsigt"
    fixed_basis = LegalBasis.FVL_9
    number: int
    due_at: datetime


class AnswerFileAccess(Command):
    title = "Answer a request to see the file"
    type: Literal["answer_file_access"] = "answer_file_access"
    label = "Besvar anmodning om aktindsigt"
    example = {"number": 1, "outcome": "granted"}
    role_reason = "a case officer answers a request for aktindsigt"
    number: int = Field(ge=1)
    outcome: FileAccessOutcome
    reasons: str = Field(default="", max_length=4000, description="Why parts are withheld, or why not yet")
    export_digest: str = Field(default="", max_length=128, description="SHA-256 of the export the citizen got")
    expected_by: date | None = None


class FileAccessAnswered(Event):
    type: Literal["file_access_answered"] = "file_access_answered"
    label = "Anmodning om aktindsigt besvaret"
    fixed_basis = LegalBasis.FVL_9_16
    number: int
    outcome: FileAccessOutcome
    reasons: Annotated[str, Personal] = ""
    export_digest: str = ""
    expected_by: date | None = None


class FileAccessView(Protocol):
    """The requests for aktindsigt by number."""

    @property
    def file_access_requests(self) -> Mapping[int, FileAccessRequest]: ...


def request_file_access(state: FileAccessView, c: RequestFileAccess) -> list[Event]:
    number = len(state.file_access_requests) + 1
    due_at = add_working_days(c.now, ANSWER_WITHIN_WORKING_DAYS)
    return [FileAccessRequested(occurred_at=c.now, actor=c.actor, number=number, due_at=due_at)]


def answer_file_access(state: FileAccessView, c: AnswerFileAccess) -> list[Event]:
    request = state.file_access_requests.get(c.number)
    require(request is not None and request.is_open, f"there is no open request for aktindsigt number {c.number}",
            rule="file_access.unknown", field="number")  # fmt: skip
    if c.outcome is FileAccessOutcome.NOTICE:
        require(bool(c.reasons.strip()) and c.expected_by is not None, f"a notice says why the answer is late and "
                f"when it can be expected ({FVL_16})", rule="file_access.notice_incomplete", field="expected_by")  # fmt: skip
    elif c.outcome is FileAccessOutcome.REFUSED or c.outcome is FileAccessOutcome.PARTLY_GRANTED:
        require(bool(c.reasons.strip()), "what is withheld needs the reason (forvaltningslovens §§ 22 og 15)",
                rule="file_access.reasons_missing", field="reasons")  # fmt: skip
    if c.outcome in (FileAccessOutcome.GRANTED, FileAccessOutcome.PARTLY_GRANTED):
        require(bool(c.export_digest), "record the export the citizen got (its digest)", rule="file_access.no_export",
                field="export_digest")  # fmt: skip
    return [FileAccessAnswered(occurred_at=c.now, actor=c.actor, number=c.number, outcome=c.outcome,
                               reasons=c.reasons.strip(), export_digest=c.export_digest, expected_by=c.expected_by)]  # fmt: skip


def _requested(state: FileAccessView, e: FileAccessRequested) -> Changes:
    request = FileAccessRequest(number=e.number, requested_at=e.occurred_at, due_at=e.due_at)
    return {"file_access_requests": {**state.file_access_requests, e.number: request}}


def _answered(state: FileAccessView, e: FileAccessAnswered) -> Changes:
    return {"file_access_requests": with_entry(state.file_access_requests, e.number, answered=e.outcome)}


#: FVL § 9: the citizen may ask for aktindsigt at any stage of the case.
CONCEPT = Concept(
    "file access",
    commands={
        RequestFileAccess: decides(request_file_access, OPEN),
        AnswerFileAccess: decides(answer_file_access, OPEN),
    },
    events={FileAccessRequested: _requested, FileAccessAnswered: _answered},
)
