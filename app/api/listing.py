"""The case list's query parameters, as the API and the pages take them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from domain.access import Subject
from domain.phases import Phase
from projections.queries import DEFAULT_PAGE, MAX_PAGE, WAIT_FOR_POSITION_S, CaseFilter

#: ``min_position`` as every read that takes it documents it.
MIN_POSITION_HELP = (
    f"Wait (up to {WAIT_FOR_POSITION_S:g} s) until the read models show this event-log position, e.g. a command's "
    "last 'positions' entry; past that the answer says up_to_date: false"
)


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
    """``GET /cases``'s query parameters, validated as one model (``from_query``), and
    documented from it (``openapi_parameters``). A bad value is a 422 naming it.

    Not a FastAPI query model: FastAPI inspects each field's annotation again on every request
    (as thirteen parameters of their own, or as a model alike), an eighth of the list's CPU
    under load; here one ``model_validate`` of the given values does the same validation."""

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
    min_position: int | None = Field(None, ge=0, description=MIN_POSITION_HELP)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListParams:
        """The parameters of a request's query string (other parameters, such as ``purpose``,
        are not this model's). A bad value raises what FastAPI raises, each error's place
        ``("query", name)``, so the 422 names the parameter as every route's does."""
        try:
            return cls.model_validate({name: query[name] for name in cls.model_fields if name in query})
        except ValidationError as error:
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in error.errors()]) from None

    @classmethod
    def openapi_parameters(cls) -> list[dict[str, Any]]:
        """The OpenAPI query parameters of the model's fields, as FastAPI writes a query model's
        (a type's own schema, such as the phases', inline: this route is not a model FastAPI sees)."""
        schema = cls.model_json_schema()
        definitions = schema.get("$defs", {})

        def inline(node: Any) -> Any:
            if isinstance(node, dict):
                if "$ref" in node:
                    return inline(definitions[node["$ref"].rsplit("/", 1)[-1]])
                return {key: inline(value) for key, value in node.items()}
            if isinstance(node, list):
                return [inline(value) for value in node]
            return node

        return [{"name": name, "in": "query", "required": False, "description": field["description"],
                 "schema": inline(field)} for name, field in schema["properties"].items()]  # fmt: skip

    def query(self) -> ListQuery:
        return ListQuery(phase=self.phase, overdue=self.overdue, mine=self.mine, team_member=self.team_member,
                         due_before=self.due_before, target_group=self.target_group, cpr=self.cpr, name=self.name,
                         open_only=self.open_only, limit=self.limit, cursor=self.cursor)  # fmt: skip
