"""Who may act for or stand beside the citizen: forvaltningslovens § 8.

FVL § 8, stk. 1: a party may at any stage of the case be represented or
assisted by others (the authority may still ask the party to take part in
person). Three kinds are recorded on the case:

- a **bisidder** stands beside the citizen (at a meeting); a bisidder takes over
  none of the citizen's rights and is involved only as far as the citizen agrees
  (Folketingets Ombudsmand, myndighedsguiden, overblik #6). samskab gives a
  bisidder no access to the file and no commands;
- a **partsrepræsentant** acts in the citizen's place within the written
  fuldmagt: its scope (the commands it covers) and its period. The authority
  decides whether a written fuldmagt is required (Justitsministeriets
  vejledning om forvaltningsloven, 1986, pkt. 41); samskab always records one;
- a **værge** (appointed under værgemålsloven) acts within the scope and
  period of the appointment as recorded here. The appointment's own terms are
  not checked against the værgemål register (not confirmed: samskab records
  what the caseworker enters).

A representative with a fuldmagt gives a command for the citizen by naming
the fuldmagt's number (``Command.fuldmagt``); the decider checks that it is in
force on the day and covers the command, then decides the command as the
citizen's and records the representative as the one who acted. Letters to the
citizen go to the representatives in force too (the workflow).

samskab's own stricter choice, not FVL § 8: a fuldmagt cannot cover the
citizen's consent (give/revoke), nor approving the team or the plan; these
stay the citizen's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.case.concept import OPEN, Changes, Concept, decides, with_entry
from domain.errors import require
from domain.legal import FVL_8, LegalBasis
from domain.messages import MAX_ITEMS, Code, Command, Event, Role
from domain.personal_data import Personal


class RepresentativeKind(StrEnum):
    BISIDDER = "bisidder"
    PARTSREPRAESENTANT = "partsrepraesentant"
    VAERGE = "vaerge"

    @property
    def acts_for_citizen(self) -> bool:
        return self is not RepresentativeKind.BISIDDER


class Representation(BaseModel):
    """One representative on the case, and their fuldmagt (number, scope, period)."""

    model_config = ConfigDict(frozen=True)

    number: int
    person_id: str
    name: str
    kind: RepresentativeKind
    scope: tuple[str, ...] = ()
    valid_from: date
    valid_until: date | None = None
    ended_at: datetime | None = None

    def in_force(self, on: date) -> bool:
        return self.ended_at is None and self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def covers(self, command_type: str, on: date) -> bool:
        return self.kind.acts_for_citizen and self.in_force(on) and command_type in self.scope


class RecordRepresentative(Command):
    """Records a bisidder, a partsrepræsentant with a fuldmagt, or a værge (FVL § 8)."""

    title = "Record a representative"
    type: Literal["record_representative"] = "record_representative"
    label = "Registrér partsrepræsentant, værge eller bisidder"
    example = {"person_id": "rep-maria", "name": "Maria Holm", "kind": "bisidder", "valid_from": "2026-01-05"}
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD})
    role_reason = f"the citizen chooses a representative, a case officer records it from a written fuldmagt ({FVL_8})"
    person_id: str = Field(min_length=1, max_length=64, description="The representative's id")
    name: str = Field(min_length=1, max_length=200)
    kind: RepresentativeKind
    scope: tuple[Code, ...] = Field(
        default=(), max_length=MAX_ITEMS, description="The commands the fuldmagt covers (none for a bisidder)"
    )
    valid_from: date
    valid_until: date | None = None


class RepresentativeRecorded(Event):
    type: Literal["representative_recorded"] = "representative_recorded"
    label = "Repræsentant registreret (fuldmagt)"
    fixed_basis = LegalBasis.FVL_8
    number: int
    person_id: str
    name: Annotated[str, Personal]
    kind: RepresentativeKind
    scope: tuple[str, ...] = ()
    valid_from: date
    valid_until: date | None = None


class EndRepresentation(Command):
    title = "End a representation"
    type: Literal["end_representation"] = "end_representation"
    label = "Afslut repræsentation"
    example = {"number": 1, "reason": "Borgeren har tilbagekaldt fuldmagten"}
    roles = frozenset({Role.CITIZEN, Role.CASEWORKER, Role.TEAM_LEAD})
    role_reason = f"a representation is ended by the citizen or a case officer ({FVL_8})"
    number: int = Field(ge=1, description="The fuldmagt's number on the case")
    reason: str = Field(default="", max_length=2000)


class RepresentationEnded(Event):
    type: Literal["representation_ended"] = "representation_ended"
    label = "Repræsentation afsluttet"
    fixed_basis = LegalBasis.FVL_8
    number: int
    reason: Annotated[str, Personal] = ""


class RepresentativesView(Protocol):
    """The representatives and their fuldmagter by number."""

    @property
    def representatives(self) -> Mapping[int, Representation]: ...


def record_representative(state: RepresentativesView, c: RecordRepresentative) -> list[Event]:
    """FVL § 8: the citizen chooses a representative; a case officer records it (from a written fuldmagt)."""
    if c.kind is RepresentativeKind.BISIDDER:
        require(not c.scope, f"a bisidder stands beside the citizen and acts for no one; a fuldmagt needs a "
                f"partsrepræsentant ({FVL_8})", rule="representative.bisidder_has_no_scope", field="scope")  # fmt: skip
    else:
        require(bool(c.scope), f"a fuldmagt names what it covers: give at least one command ({FVL_8})",
                rule="representative.scope_empty", field="scope")  # fmt: skip
    # The commands a fuldmagt can cover (the citizen's own say in the proceedings) each
    # declare it (``representable``); the catalogue imports this module, so it is asked here.
    from domain.catalogue import representable_commands

    for i, command_type in enumerate(c.scope):
        require(
            command_type in representable_commands(),
            f"a fuldmagt cannot cover {command_type!r}; it can cover: {', '.join(sorted(representable_commands()))}",
            rule="representative.scope_not_allowed",
            field=f"scope[{i}]",
        )
    require(c.valid_until is None or c.valid_until >= c.valid_from, "the fuldmagt ends before it begins",
            rule="representative.period_invalid", field="valid_until")  # fmt: skip
    return [
        RepresentativeRecorded(
            occurred_at=c.now, actor=c.actor, number=len(state.representatives) + 1, person_id=c.person_id,
            name=c.name, kind=c.kind, scope=tuple(dict.fromkeys(c.scope)), valid_from=c.valid_from,
            valid_until=c.valid_until,
        )
    ]  # fmt: skip


def end_representation(state: RepresentativesView, c: EndRepresentation) -> list[Event]:
    current = state.representatives.get(c.number)
    require(current is not None and current.ended_at is None, f"there is no representation number {c.number} in force",
            rule="representative.unknown", field="number")  # fmt: skip
    return [RepresentationEnded(occurred_at=c.now, actor=c.actor, number=c.number, reason=c.reason.strip())]


def check_fuldmagt(state: RepresentativesView, c: Command) -> Representation:
    """A command from a representative: the fuldmagt it names must be theirs, in
    force on the day, and cover the command (FVL § 8)."""
    require(
        c.fuldmagt is not None,
        f"a representative acts for the citizen under a fuldmagt: name its number ({FVL_8})",
        rule="representative.no_fuldmagt",
        field="fuldmagt",
    )
    assert c.fuldmagt is not None  # refused above when missing
    representation = state.representatives.get(c.fuldmagt)
    require(
        representation is not None and representation.person_id == c.actor.id,
        f"fuldmagt {c.fuldmagt} is not yours ({FVL_8})",
        rule="representative.not_yours",
        field="fuldmagt",
    )
    assert representation is not None  # refused above when missing
    require(
        representation.in_force(c.now.date()),
        f"fuldmagt {c.fuldmagt} is not in force on {c.now.date():%d.%m.%Y} ({FVL_8}: its period, or it was ended)",
        rule="representative.out_of_period",
        field="fuldmagt",
    )
    command_type = type(c).model_fields["type"].default
    require(
        representation.covers(command_type, c.now.date()),
        f"fuldmagt {c.fuldmagt} does not cover {command_type!r}; it covers: {', '.join(representation.scope) or 'nothing'} "
        f"({FVL_8})",
        rule="representative.out_of_scope",
        field="type",
    )
    return representation


def representatives_in_force(state: RepresentativesView, on: date) -> list[Representation]:
    """Who acts for the citizen today: they get the citizen's letters too."""
    return [r for r in state.representatives.values() if r.kind.acts_for_citizen and r.in_force(on)]


def _recorded(state: RepresentativesView, e: RepresentativeRecorded) -> Changes:
    representation = Representation(**e.model_dump(include=set(Representation.model_fields) - {"ended_at"}))
    return {"representatives": {**state.representatives, e.number: representation}}


def _ended(state: RepresentativesView, e: RepresentationEnded) -> Changes:
    return {"representatives": with_entry(state.representatives, e.number, ended_at=e.occurred_at)}


#: FVL § 8: a citizen may be represented or assisted at any stage of the case.
CONCEPT = Concept(
    "representatives",
    commands={
        RecordRepresentative: decides(record_representative, OPEN),
        EndRepresentation: decides(end_representation, OPEN),
    },
    events={RepresentativeRecorded: _recorded, RepresentationEnded: _ended},
)
