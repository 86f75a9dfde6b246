"""The shared shape of every command and event in samskab.

A command is what a person asks for; an event is what happened. Both are
immutable pydantic models, told apart by their ``type`` field (a
discriminated union), so they travel through Temporal and the event log
as plain JSON and come back as the same model.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError, require
from domain.legal import LegalBasis

if TYPE_CHECKING:  # consent.py defines its events on this module's classes
    from domain.information import InformationCategory


class Role(StrEnum):
    """Who acts. The permission rules (who may do what) live with each command."""

    CITIZEN = "citizen"
    CASEWORKER = "caseworker"
    TEAM_LEAD = "team_lead"
    STAFF = "staff"
    VOLUNTEER = "volunteer"
    RELATIVE = "relative"
    #: A partsrepræsentant, værge or bisidder recorded on the case (FVL § 8; domain/case/representatives.py).
    REPRESENTATIVE = "representative"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"
    SYSTEM = "system"


#: What a caller may send, bounded (tests/domain/test_input_bounds.py checks every field has a bound;
#: the API's body limit is the outer one). A person's id, as tokens and the team carry it:
PersonRef = Annotated[str, Field(min_length=1, max_length=64)]
#: A code from one of KL's code lists, or a section of the law ("SEL § 85"):
Code = Annotated[str, Field(min_length=1, max_length=100)]
#: A short text a person writes in a list (a piece of information asked for, a source):
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
#: The most items a list a person fills in may hold (participants, conditions, goals, services).
MAX_ITEMS = 100


class Actor(BaseModel):
    """A person (or the system itself) acting on a case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="The person's id in the municipality's directory")
    role: Role


SYSTEM_ACTOR = Actor(id="samskab", role=Role.SYSTEM)

#: Keys of a stored payload that the event log adds and the domain event does not
#: hold start with this; ``$issuer`` names the key that signed the command
#: (``workflows.issuers``), inside the payload so its hash covers it.
LOG_METADATA_PREFIX = "$"
ISSUER_FIELD = "$issuer"


def without_log_metadata(payload: dict) -> dict:
    """The payload as the domain event holds it: without the log's own ``$`` keys."""
    if not any(isinstance(k, str) and k.startswith(LOG_METADATA_PREFIX) for k in payload):
        return payload
    return {k: v for k, v in payload.items() if not k.startswith(LOG_METADATA_PREFIX)}


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(Message):
    """A request from a person. ``at`` is stamped by the workflow with its own
    deterministic clock; whatever a caller puts there is overwritten.

    Each command class declares, once, what the rest of samskab needs to know of it
    (``domain.catalogue`` collects them; the permission matrix, the API's routes, the
    pages' actions and their texts are derived from it):

    - ``roles``: who may give it; case officers (caseworker, team lead) unless it says
      otherwise. ``{Role.CITIZEN}`` alone is the citizen's own say: no case officer
      gives it for them. The deciders refuse anyone else (``require_declared_role``).
    - ``role_reason``: why only they may, for the refusal (with the law it rests on).
    - ``representable``: a partsrepræsentant or værge may give it for the citizen when
      their fuldmagt covers it (forvaltningslovens § 8).
    - ``issued_by_system``: the workflow gives it itself when a timer fires; no person can.
    - ``label`` and ``intro``: its name on the pages and the sentence above its form, in Danish.
    - ``field_texts``: the (label, help) its form shows for a field where the pages'
      shared label for the field's name does not fit this command.
    - ``title``: its name in English, for the API's documentation and the domain's refusals.
    - ``example``: a request body for the API's documentation, where the demo's citizens
      never give the command (the others' examples come from the demo).
    """

    title: ClassVar[str] = "command"
    label: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    field_texts: ClassVar[dict[str, tuple[str, str]]] = {}
    example: ClassVar[dict[str, Any] | None] = None
    roles: ClassVar[frozenset[Role]] = frozenset({Role.CASEWORKER, Role.TEAM_LEAD})
    role_reason: ClassVar[str] = ""
    representable: ClassVar[bool] = False
    issued_by_system: ClassVar[bool] = False

    actor: Actor
    at: datetime | None = None
    #: A representative acting for the citizen names the number of their fuldmagt (FVL § 8).
    fuldmagt: int | None = Field(default=None, ge=1)

    @property
    def now(self) -> datetime:
        """``at`` as the workflow stamped it, for the deciders: each aggregate's ``decide``
        refuses an unstamped command before any of them runs, so this never finds none."""
        if self.at is None:
            raise DomainError(
                "the command has no time; the workflow stamps it before deciding", rule="case.unstamped", field="at"
            )
        return self.at


class Event(Message):
    """A fact in a case's history. The header fields (type, schema_version,
    occurred_at, actor) become columns of the event log; the rest is payload.

    Each event class declares, once (``domain.catalogue`` collects them):

    - ``category``: the category of the citizen's information it shows
      (``domain.information.InformationCategory``), which a consent can open to a
      volunteer or relative; None: it shows only the case's process, which they never see.
    - ``fixed_basis``: the statute it rests on where that is fixed for the event type
      (``domain.legal.LegalBasis``); where it depends on the payload the class
      overrides ``legal_basis()`` instead.
    - ``identity_fields``: the payload's fields that identify the citizen (CPR number,
      name); no consent category covers them, so a reader limited to categories never
      sees them.
    - ``label``: its name on the pages, in Danish.
    - ``missed_deadline``: the kind of deadline of the municipality's own it records as missed
      (the metrics count misses by it); None: it records no missed deadline.
    - ``reads_stored``: for the model of an older version of an event (upcasting): the type
      and schema version the log holds it under, which this model reads; None for the
      current models, which read their own type.
    """

    label: ClassVar[str] = ""
    missed_deadline: ClassVar[str | None] = None
    category: ClassVar[InformationCategory | None] = None
    fixed_basis: ClassVar[LegalBasis | None] = None
    identity_fields: ClassVar[tuple[str, ...]] = ()
    reads_stored: ClassVar[tuple[str, int] | None] = None

    HEADER_FIELDS: ClassVar[frozenset[str]] = frozenset({"type", "schema_version", "occurred_at", "actor"})

    schema_version: int = 1
    occurred_at: datetime
    actor: Actor

    def legal_basis(self) -> str | None:
        """The statute this event rests on, where there is one (a column in the log)."""
        return None if self.fixed_basis is None else self.fixed_basis.value

    def payload(self) -> dict:
        """The event's own data, without the header fields, as JSON-ready values."""
        return self.model_dump(mode="json", exclude=set(self.HEADER_FIELDS))

    if TYPE_CHECKING:
        # Every event class declares its own ``type``, a Literal the unions discriminate on; said here
        # for the type checker only, so no class's fields (nor their order in the log's payload) change.
        type: str


def require_declared_role(command: Command, *, rule: str) -> None:
    """Refuses a command from anyone its class does not name (``roles``; the system alone
    gives its own), saying why (``role_reason``)."""
    require_may_give(type(command), command.actor, rule=rule)


def require_may_give(cls: type[Command], actor: Actor, *, rule: str) -> None:
    """Refuses ``actor`` unless ``cls`` names their role, naming who may and why: asked of a
    command class before the command is whole too (an erasure, before the citizen is looked up)."""
    allowed = (Role.SYSTEM,) if cls.issued_by_system else tuple(sorted(cls.roles))
    doing = cls.title.lower() + (f": {cls.role_reason}" if cls.role_reason else "")
    require(
        actor.role in allowed,
        f"only {' or '.join(r.value for r in allowed)} may {doing}; you act as {actor.role.value}",
        rule=rule,
        field="actor.role",
    )
