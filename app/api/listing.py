"""The case list's query parameters, as the API and the pages take them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.access import Subject
from domain.phases import Phase
from projections.queries import DEFAULT_PAGE, CaseFilter


@dataclass(frozen=True)
class ListQuery:
    """What a caseworker can ask of the work list. Unknown values are refused before this is built."""

    phase: Phase | None = None
    overdue: bool | None = None
    #: The cases I am the caseworker of, and those no caseworker has taken yet.
    mine: bool = False
    team_member: str | None = None
    due_before: datetime | None = None
    target_group: str | None = None
    cpr: str | None = None
    name: str | None = None
    open_only: bool = False
    limit: int = DEFAULT_PAGE
    cursor: str | None = None

    def filters(self, who: Subject, name_tokens: tuple[str, ...] | None, citizen_key: str | None) -> CaseFilter:
        return CaseFilter(
            phase=self.phase,
            overdue=self.overdue,
            caseworker_id=who.person_id if self.mine else None,
            member_id=self.team_member,
            due_before=self.due_before,
            target_group=self.target_group,
            citizen_key=citizen_key,
            name_tokens=name_tokens,
            open_only=self.open_only,
            # need-to-know (domain/access.py): a case officer with a unit lists that unit's cases
            units=(who.unit,) if who.unit is not None else None,
        )
