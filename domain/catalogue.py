"""Every command and event samskab knows, and what each declares about itself.

The classes are collected from the deciders' discriminated unions (the case's,
the appeal's, the forum's), the KL delivery's events and the erasure's, so a new command or
event is here as soon as its decider's union names it. What a class declares
(``domain.messages``: ``Command`` and ``Event``) is answered here by type name:
who may give a command, whether it is the citizen's own say or the system's,
which category of the citizen's information an event shows, its legal basis
and its Danish label. The permission matrix (``domain.access``), the API's
routes, the pages' actions and texts derive from these answers; no other table
names a command or event type.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, get_args

from domain.appeal import AppealCommand, AppealEvent
from domain.case.decider import CaseCommand, CaseEvent
from domain.forum import ForumCommand, ForumEvent
from domain.kl_delivery import KL_DELIVERY_EVENTS
from domain.messages import Command, Event, Role
from domain.retention import PersonalDataErased

if TYPE_CHECKING:
    from domain.information import InformationCategory

#: Case officers: they may give a command unless it is the citizen's own say or the system's.
CASE_OFFICERS = frozenset({Role.CASEWORKER, Role.TEAM_LEAD})


def union_members(union) -> tuple[type, ...]:
    """The classes of an ``Annotated[Union[...], Field(discriminator=...)]``."""
    return get_args(get_args(union)[0])


def type_of(cls: type[Command] | type[Event]) -> str:
    """The type name a command or event class is told apart by (its ``type`` field's value)."""
    return cls.model_fields["type"].default


def _by_type(*classes: type) -> dict[str, type]:
    found: dict[str, type] = {}
    for cls in classes:
        name = type_of(cls)
        if found.setdefault(name, cls) is not cls:
            raise TypeError(f"two classes are called {name!r}: {found[name].__name__} and {cls.__name__}")
    return found


#: Case commands first, in their union's order (the API's routes follow it).
CASE_COMMANDS: tuple[type[Command], ...] = union_members(CaseCommand)
APPEAL_COMMANDS: tuple[type[Command], ...] = union_members(AppealCommand)
FORUM_COMMANDS: tuple[type[Command], ...] = union_members(ForumCommand)
COMMANDS: dict[str, type[Command]] = _by_type(*CASE_COMMANDS, *APPEAL_COMMANDS, *FORUM_COMMANDS)
EVENTS: dict[str, type[Event]] = _by_type(
    *union_members(CaseEvent),
    *union_members(AppealEvent),
    *union_members(ForumEvent),
    *KL_DELIVERY_EVENTS,
    PersonalDataErased,
)


def command(command_type: str) -> type[Command] | None:
    return COMMANDS.get(command_type)


def event(event_type: str) -> type[Event] | None:
    return EVENTS.get(event_type)


# -- commands: who gives them ----------------------------------------------------


def is_system_command(command_type: str | None) -> bool:
    """The workflow gives it itself (a timer fired); no person may."""
    cls = COMMANDS.get(command_type or "")
    return cls is not None and cls.issued_by_system


def is_citizen_only(command_type: str | None) -> bool:
    """The citizen's own say: nobody but the citizen (or a representative whose
    fuldmagt covers it, forvaltningslovens § 8) gives it."""
    cls = COMMANDS.get(command_type or "")
    return cls is not None and not cls.issued_by_system and cls.roles == {Role.CITIZEN}


def roles_of(command_type: str) -> frozenset[Role]:
    """Who may give the command (the system's own commands: nobody)."""
    cls = COMMANDS.get(command_type)
    return frozenset() if cls is None or cls.issued_by_system else cls.roles


@cache
def commands_for(role: Role) -> frozenset[str]:
    """The commands a person acting in ``role`` may give."""
    return frozenset(name for name in COMMANDS if role in roles_of(name))


@cache
def citizen_only_commands() -> frozenset[str]:
    return frozenset(name for name in COMMANDS if is_citizen_only(name))


@cache
def system_commands() -> frozenset[str]:
    return frozenset(name for name in COMMANDS if is_system_command(name))


@cache
def representable_commands() -> frozenset[str]:
    """The commands a fuldmagt can cover (forvaltningslovens § 8)."""
    return frozenset(name for name, cls in COMMANDS.items() if cls.representable)


def person_commands(classes: tuple[type[Command], ...]) -> tuple[type[Command], ...]:
    """Of ``classes``, those a person gives (not the system's own)."""
    return tuple(cls for cls in classes if not cls.issued_by_system)


# -- events: what they show ------------------------------------------------------


def category_of(event_type: str) -> InformationCategory | None:
    """The category of the citizen's information an event shows; None: only the case's process."""
    cls = EVENTS.get(event_type)
    return None if cls is None else cls.category


def fixed_basis_of(event_type: str) -> str | None:
    """The legal basis every event of this type rests on, when it does not depend on its payload."""
    cls = EVENTS.get(event_type)
    return None if cls is None or cls.fixed_basis is None else cls.fixed_basis.value


def missed_deadline_kinds() -> dict[str, str]:
    """Every event type that records a missed deadline, and the deadline's kind."""
    return {name: cls.missed_deadline for name, cls in EVENTS.items() if cls.missed_deadline is not None}


# -- Danish labels ---------------------------------------------------------------


def command_label(command_type: str) -> str:
    """The command's name on the pages; its type name when it has none."""
    cls = COMMANDS.get(command_type)
    return (cls.label if cls is not None else "") or command_type


def command_intro(command_type: str) -> str:
    """The sentence shown above the command's form (may be empty)."""
    cls = COMMANDS.get(command_type)
    return cls.intro if cls is not None else ""


def event_label(event_type: str) -> str:
    cls = EVENTS.get(event_type)
    return (cls.label if cls is not None else "") or event_type


@cache
def command_labels() -> dict[str, str]:
    """Every command's Danish name, by type (for templates)."""
    return {name: command_label(name) for name in COMMANDS}


@cache
def event_labels() -> dict[str, str]:
    """Every event's Danish name, by type (for templates)."""
    return {name: event_label(name) for name in EVENTS}
