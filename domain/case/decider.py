"""The case decider: one citizen's case from need to evaluation and on, composed of its concepts.

    initial_state() -> CaseState
    decide(state, command) -> list[Event]    raises DomainError
    evolve(state, event) -> CaseState        total: no checks, no I/O

Each concept of a case is a module of this package with its commands, events, deciders
and evolvers, and a ``CONCEPT`` that declares them (``domain/case/concept.py``). This
module composes them: the case's commands and events (the discriminated unions the log
and the API read), the phase table (which command the case takes in which phase) and
the dispatch are derived from the concepts' declarations, and who may give a command
from the command's own (``Command.roles``). Anyone can rebuild a case from its events
alone with ``fold``; the workflow keeps the same state, so the two always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field, TypeAdapter

from domain.appeal import (
    AppealDecidedByAnkestyrelsen,
    AppealLodged,
    AppealSentToAnkestyrelsen,
    AppealWindowClosed,
    AppealWindowOpened,
    AppealWithdrawn,
    DecisionLetterReceived,
    DecisionReconsidered,
    ReconsiderationOverdue,
)
from domain.case import (
    assessment,
    closing,
    consent,
    deadlines,
    decision,
    elder_act,
    evaluation,
    file_access,
    follow_up,
    hearing,
    meetings,
    need,
    personalised,
    pilot,
    processing_notice,
    representatives,
    revisitation,
    team,
    team_proposal,
    units,
    visitation,
)
from domain.case.concept import Concept, Evolver
from domain.case.meetings import OBSERVATIONS_KEPT
from domain.case.representatives import check_fuldmagt
from domain.case.state import CaseState, initial_state
from domain.errors import DomainError, require
from domain.messages import Command, Event, Role, require_declared_role
from domain.phases import Phase

#: The case's concepts. Their order is the order of the case's commands (the API's routes
#: and the pages' actions follow it) and the order in which an event's evolvers run: the
#: visitation's record takes an event before a concept reads the record it changed.
CONCEPTS: tuple[Concept, ...] = (
    need.CONCEPT,
    visitation.CONCEPT,
    assessment.CONCEPT,
    decision.CONCEPT,
    hearing.CONCEPT,
    personalised.CONCEPT,
    elder_act.CONCEPT,
    processing_notice.CONCEPT,
    revisitation.CONCEPT,
    team_proposal.CONCEPT,
    team.CONCEPT,
    consent.CONCEPT,
    pilot.CONCEPT,
    meetings.CONCEPT,
    evaluation.CONCEPT,
    follow_up.CONCEPT,
    closing.CONCEPT,
    deadlines.CONCEPT,
    representatives.CONCEPT,
    file_access.CONCEPT,
    units.CONCEPT,
)

#: The events of a decision's appeal: in the appeal's own stream (domain/appeal.py), and
#: carried in the same messages as the case's events (``activities.messages.DomainEvent``);
#: they change no case.
APPEAL_EVENTS: tuple[type[Event], ...] = (
    AppealWindowOpened,
    AppealLodged,
    AppealWindowClosed,
    DecisionReconsidered,
    ReconsiderationOverdue,
    AppealSentToAnkestyrelsen,
    DecisionLetterReceived,
    AppealWithdrawn,
    AppealDecidedByAnkestyrelsen,
)

_DECIDES = {command: rule for concept in CONCEPTS for command, rule in concept.commands.items()}
_COMMANDS: tuple[type[Command], ...] = tuple(_DECIDES)
_EVENTS: tuple[type[Event], ...] = (*(e for concept in CONCEPTS for e in concept.events), *APPEAL_EVENTS)


def _evolvers() -> dict[type[Event], tuple[Evolver, ...]]:
    found: dict[type[Event], list[Evolver]] = {}
    for concept in CONCEPTS:
        for event, evolver in (*concept.events.items(), *concept.reacts_to.items()):
            found.setdefault(event, [])
            if evolver is not None:
                found[event].append(evolver)
    return {event: tuple(evolvers) for event, evolvers in found.items()}


_EVOLVERS = _evolvers()

if TYPE_CHECKING:
    # For the type checker a case's command or event is any command or event; at run time
    # the discriminated unions of the concepts' classes.
    CaseCommand = Command
    CaseEvent = Event
else:
    CaseCommand = Annotated[Union[_COMMANDS], Field(discriminator="type")]  # noqa: UP007 - a computed tuple
    CaseEvent = Annotated[Union[_EVENTS], Field(discriminator="type")]  # noqa: UP007 - a computed tuple

command_adapter: TypeAdapter[CaseCommand] = TypeAdapter(CaseCommand)
event_adapter: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)

#: What may happen in each phase, from the concepts' declarations: the one table the phase rule reads.
ALLOWED: dict[Phase, tuple[type[Command], ...]] = {
    phase: tuple(command for command, rule in _DECIDES.items() if phase in rule.phases) for phase in Phase
}

#: The type names of the commands the workflows give themselves when a timer fires.
SYSTEM_COMMAND_TYPES = frozenset(c.model_fields["type"].default for c in _COMMANDS if c.issued_by_system)


# -- decide ---------------------------------------------------------------


def _check_phase(state: CaseState, command: Command) -> None:
    allowed = ALLOWED[state.phase]
    if type(command) in allowed:
        return
    where = f"case {state.case_id}" if state.case_id else "this case"
    now = ", ".join(c.title for c in allowed if not c.issued_by_system) or "nothing (the case is closed)"
    raise DomainError(
        f"'{command.title}' is not possible now: {where} is in the {state.phase.value} phase "
        f"({state.phase.label}). Allowed now: {now}.",
        rule="case.wrong_phase",
        field="type",
    )


def _check_role(command: Command) -> None:
    require_declared_role(command, rule="case.role_not_allowed")


def decide(state: CaseState, command: Command) -> list[Event]:
    """What happens if ``command`` is carried out now; a DomainError if it may not be."""
    require(
        command.at is not None,
        "the command has no time; the workflow stamps it before deciding",
        rule="case.unstamped",
        field="at",
    )
    _check_phase(state, command)
    if command.actor.role is Role.REPRESENTATIVE:
        return _decide_for_citizen(state, command)
    _check_role(command)
    return _DECIDES[type(command)].decider(state, command)


def _decide_for_citizen(state: CaseState, command: Command) -> list[Event]:
    """FVL § 8: a representative with a fuldmagt that covers the command gives it
    as the citizen would; the events name the representative as the one who acted."""
    check_fuldmagt(state, command)
    as_citizen = command.model_copy(update={"actor": command.actor.model_copy(update={"role": Role.CITIZEN})})
    _check_role(as_citizen)
    events = _DECIDES[type(command)].decider(state, as_citizen)
    return [e.model_copy(update={"actor": command.actor}) for e in events]


# -- evolve ---------------------------------------------------------------


def _apply(state: CaseState, event: Event) -> CaseState:
    for evolver in _EVOLVERS.get(type(event), ()):
        changes = evolver(state, event)
        if changes:
            state = state.model_copy(update=changes)
    return state


def evolve(state: CaseState, event: Event) -> CaseState:
    """Folds one event into the state. Total: every event counts toward the version."""
    return _apply(state, event).model_copy(update={"version": state.version + 1})


def fold(events: Iterable[Event], state: CaseState | None = None) -> CaseState:
    """``evolve`` over the events, the version counted once at the end: folding
    makes a copy of the state per event, and the version's was a second one
    (no event's effect depends on the version)."""
    state = state if state is not None else initial_state()
    folded = 0
    for event in events:
        state = _apply(state, event)
        folded += 1
    return state.model_copy(update={"version": state.version + folded}) if folded else state


__all__ = [
    "ALLOWED",
    "CONCEPTS",
    "OBSERVATIONS_KEPT",
    "SYSTEM_COMMAND_TYPES",
    "CaseCommand",
    "CaseEvent",
    "CaseState",
    "command_adapter",
    "decide",
    "event_adapter",
    "evolve",
    "fold",
    "initial_state",
]
