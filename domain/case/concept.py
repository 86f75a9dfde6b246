"""What one concept of a case declares, so the case can be composed of them.

A concept (the team, the hearing, the pilot, ...) is a module of ``domain/case/`` with
its commands, its events, its deciders and its evolvers, and a ``CONCEPT`` that names
them: which command it decides and in which phases, and how each of its events changes
the case. ``domain/case/decider.py`` composes the concepts: the case's commands and
events, the phase table and the dispatch are derived from the declarations, so a new
command touches its concept's module (and its test), nothing else.

A concept's deciders and evolvers see the case through a view of their own: a
``Protocol`` in the concept's module that names the part of the case it reads (its own
sub-state and the few facts of the rest it needs). The composed ``CaseState`` satisfies
every view, and the type checker holds each concept to its view.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from domain.citizen import Citizen
from domain.messages import Command, Event
from domain.phases import Phase

#: What an event changes in the case: field names of ``CaseState`` and their new values.
Changes = dict[str, Any]

#: Each decider and evolver takes its concept's view and the one command or event class it
#: is filed under; a mapping's type cannot say which, hence Any.
Decider = Callable[[Any, Any], list[Event]]
Evolver = Callable[[Any, Any], Changes]


class CaseContext(Protocol):
    """The small, read-only context every concept may read: which case, whose, in which phase."""

    @property
    def case_id(self) -> str | None: ...
    @property
    def citizen(self) -> Citizen | None: ...
    @property
    def phase(self) -> Phase: ...


K = TypeVar("K")
M = TypeVar("M", bound=BaseModel)


def with_entry(entries: Mapping[K, M], key: K, **changes: Any) -> dict[K, M]:
    """``entries`` with the one at ``key`` changed. Total, as evolve must be: an entry that
    is not there (its creating event was erased and could not be folded) leaves them as they are."""
    updated = dict(entries)
    if key in updated:
        updated[key] = updated[key].model_copy(update=changes)
    return updated


def enter(phase: Phase, at: datetime, **changes: Any) -> Changes:
    """The case moves to ``phase`` at ``at`` (with ``changes`` besides)."""
    return {"phase": phase, "phase_since": at, **changes}


@dataclass(frozen=True)
class Decides:
    """A command a concept decides: its decider and the phases the case takes it in."""

    decider: Decider
    phases: frozenset[Phase]


def decides(decider: Decider, *phases: Phase | frozenset[Phase]) -> Decides:
    """``decider`` takes its command in ``phases`` (single phases or sets of them)."""
    flat: set[Phase] = set()
    for p in phases:
        flat |= {p} if isinstance(p, Phase) else p
    return Decides(decider, frozenset(flat))


@dataclass(frozen=True)
class Concept:
    """One concept of a case. ``commands`` and ``events`` keep their declared order (the
    case's unions, and so the API's routes and the pages' actions, follow it)."""

    name: str
    commands: Mapping[type[Command], Decides] = field(default_factory=dict)
    #: Each event of the concept, and how it changes the case (None: it changes nothing
    #: but the version, e.g. a letter sent).
    events: Mapping[type[Event], Evolver | None] = field(default_factory=dict)
    #: Evolvers of events other concepts declare, run after the declaring concept's (the
    #: decision of a revisitation ends the revisitation, a decision on the help counts as a
    #: decision of the case).
    reacts_to: Mapping[type[Event], Evolver] = field(default_factory=dict)


#: The phases in which the case has a decision about its help in force.
DECIDED = frozenset({Phase.TEAM, Phase.PILOT, Phase.EVALUATION, Phase.FOLLOW_UP})
#: Every phase of an open case (a refused one is open until it is closed: its appeal runs).
OPEN = frozenset({Phase.NEED, Phase.VISITATION, *DECIDED, Phase.REFUSED})
