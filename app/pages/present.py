"""How the pages show times and people: Danish dates in Europe/Copenhagen, people by name and role.

Names come from the case itself (the citizen, the team's members with their
organisation) and, for the municipality's staff, from a directory (a JSON file
named by ``SAMSKAB_PEOPLE_DIRECTORY``; the bundled one holds the demo's people).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.pages.texts import MONTHS, READ_OTHER, READ_REFUSED, READ_WHAT, ROLE_LABELS, enum_label
from domain.appeal_window import DANISH_TIME
from eventlog.access_log import read_kind

BUNDLED_DIRECTORY = Path(__file__).with_name("people.json")


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment.astimezone(DANISH_TIME) if moment.tzinfo else moment


def dk_date(value: Any) -> str:
    """'3. marts 2026' (a datetime is taken in Danish time first)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    day = value if isinstance(value, date) and not isinstance(value, datetime) else _moment(value)
    if day is None:
        return ""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def dk_datetime(value: Any) -> str:
    """'3. marts 2026 kl. 14.05', in Danish time (summer time included)."""
    moment = _moment(value)
    if moment is None:
        return ""
    return f"{dk_date(moment)} kl. {moment.hour:02d}.{moment.minute:02d}"


def iso_local(value: Any) -> str:
    """For a datetime-local field: '2026-03-03T14:05' in Danish time."""
    moment = _moment(value)
    return moment.strftime("%Y-%m-%dT%H:%M") if moment else ""


@cache
def _directory(path: str | None) -> dict[str, dict[str, str]]:
    source = Path(path) if path else BUNDLED_DIRECTORY
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    role: str  # Danish: "sagsbehandler", "frivillig", ...
    unit: str = ""

    @property
    def label(self) -> str:
        """'Anne Larsen (sagsbehandler, Voksenhandicap og Psykiatri)'."""
        where = ", ".join(p for p in (self.role, self.unit) if p)
        return f"{self.name} ({where})" if where else self.name


class People:
    """Who is who in one case: the citizen, the team, and the municipality's staff."""

    def __init__(self, directory_path: Path | str | None, case: dict[str, Any] | None = None) -> None:
        self.directory = _directory(str(directory_path) if directory_path else None)
        self.case = case or {}

    def person(self, person_id: str | None, role: str | None = None) -> Person:
        if not person_id:
            return Person("", "ukendt", "")
        if person_id == "citizen" or role == "citizen":
            citizen = self.case.get("citizen") or {}
            return Person(person_id, citizen.get("name") or "Borgeren", "borger")
        member = (self.case.get("team") or {}).get(person_id)
        if member is not None:
            return Person(
                person_id,
                member["name"],
                enum_label("MemberKind", member["kind"]).lower(),
                member.get("organisation", ""),
            )
        known = self.directory.get(person_id)
        role_label = ROLE_LABELS.get(role or "", "")
        if person_id == self.case.get("caseworker_id"):
            role_label = role_label or "sagsbehandler"
        if known is not None:
            return Person(person_id, known["name"], role_label, known.get("unit", ""))
        return Person(person_id, person_id, role_label)

    def label(self, person_id: str | None, role: str | None = None) -> str:
        return self.person(person_id, role).label

    def name(self, person_id: str | None, role: str | None = None) -> str:
        return self.person(person_id, role).name

    def team_choices(self, *, with_citizen: bool = True, with_caseworker: bool = True) -> list[tuple[str, str]]:
        """Who can own an activity or take part in a meeting: the joined members, the caseworker, the citizen."""
        choices: list[tuple[str, str]] = []
        if with_citizen:
            choices.append(("citizen", self.label("citizen", "citizen")))
        caseworker = self.case.get("caseworker_id")
        if with_caseworker and caseworker:
            choices.append((caseworker, self.label(caseworker, "caseworker")))
        for person_id, member in (self.case.get("team") or {}).items():
            if member.get("status") == "joined":
                choices.append((person_id, self.label(person_id)))
        return choices


def read_text(what: str) -> str:
    """A row of a case's access log as the reader is told it: what was done (the row's kind,
    a list view and a page of several cases read as their kind)."""
    kind = read_kind(what)
    if kind.startswith("refused:"):
        return READ_REFUSED
    return READ_WHAT.get(kind, READ_OTHER)
