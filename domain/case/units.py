"""Which team or unit a case belongs to: the data the need-to-know rule reads.

A case officer reads and acts on the cases of their own unit (their token's
``unit`` claim) and on cases that have no unit yet (a new case waits for the
unit that takes it: someone must be able to pick it up). The rule itself is in
``domain/access.py``; the ground is GDPR art. 5, stk. 1, litra c (data
minimisation), art. 25 (data protection by design and default) and art. 32
(access limited to those whose work needs it). Which unit handles which
citizen is the municipality's own organisation, not law.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import Field

from domain.case.concept import OPEN, Concept, decides
from domain.errors import require
from domain.messages import Command, Event

UNIT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class AssignUnit(Command):
    title = "Assign the case to a unit"
    type: Literal["assign_unit"] = "assign_unit"
    label = "Placér sagen i en enhed"
    example = {"unit": "unit-a", "reason": "Sagen hører til Team Øst"}
    role_reason = "the case officers place a case in a unit"
    unit: str = Field(pattern=UNIT_PATTERN, max_length=64, description="The team or unit that handles the case")
    reason: str = Field(default="", max_length=500)


class UnitAssigned(Event):
    type: Literal["unit_assigned"] = "unit_assigned"
    label = "Sagen placeret i en enhed"
    unit: str
    previous_unit: str | None = None


class UnitView(Protocol):
    @property
    def unit(self) -> str | None: ...


def assign_unit(state: UnitView, c: AssignUnit) -> list[Event]:
    require(state.unit != c.unit, f"the case already belongs to unit {c.unit}", rule="unit.unchanged", field="unit")
    require(
        state.unit is None or bool(c.reason.strip()),
        "moving a case to another unit needs a reason",
        rule="unit.move_needs_reason",
        field="reason",
    )
    return [UnitAssigned(occurred_at=c.now, actor=c.actor, unit=c.unit, previous_unit=state.unit)]


CONCEPT = Concept(
    "unit",
    commands={AssignUnit: decides(assign_unit, OPEN)},
    events={UnitAssigned: lambda s, e: {"unit": e.unit}},
)
