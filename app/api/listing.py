"""The case list's query parameters, as the API and the pages take them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from domain.access import Subject
from domain.phases import Phase
from projections.queries import DEFAULT_PAGE, MAX_PAGE, CaseFilter


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


class ListParams(BaseModel):
    """``GET /cases``'s query parameters, validated as one model: as thirteen parameters of
    their own, FastAPI's handling of them (each looked up, inspected and validated apart)
    was the largest part of the list's CPU per request. A bad value is a 422 naming it."""

    phase: Phase | None = Field(None, description="Only cases in this phase")
    overdue: bool | None = Field(None, description="Only overdue cases (true) or only the others (false)")
    mine: bool = Field(
        False, description="Only cases where you are the caseworker, and those no caseworker has taken yet"
    )
    team_member: str | None = Field(None, max_length=64, description="Only cases with this person on the team")
    due_before: AwareDatetime | None = Field(None, description="Only cases with something due before this time")
    target_group: str | None = Field(None, max_length=64, description="FFB Målgruppe code")
    cpr: str | None = Field(None, max_length=11, description="The citizen's CPR number (exact)")
    name: str | None = Field(None, min_length=2, max_length=200, description="Words of the citizen's name")
    open_only: bool = Field(False, description="Leave closed cases out")
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="Cases per page")
    cursor: str | None = Field(None, max_length=400, description="'next_cursor' of the page before")
    min_position: int | None = Field(
        None,
        ge=0,
        description="Wait (up to 5 s) until the read models show this event-log position, e.g. a command's "
        "last 'positions' entry; past that the answer says up_to_date: false",
    )

    def query(self) -> ListQuery:
        return ListQuery(phase=self.phase, overdue=self.overdue, mine=self.mine, team_member=self.team_member,
                         due_before=self.due_before, target_group=self.target_group, cpr=self.cpr, name=self.name,
                         open_only=self.open_only, limit=self.limit, cursor=self.cursor)  # fmt: skip
