"""What crosses the boundary between the workflow and its activities.

Kept apart from the activity code so the workflow sandbox imports only pydantic
and the domain, never the database layer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from domain.case.decider import CaseEvent
from domain.forum import ForumEvent
from domain.kl_delivery import KL_DELIVERY_EVENTS
from domain.messages import Event


def union_members(union) -> tuple[type, ...]:
    return get_args(get_args(union)[0])


#: Every event a workflow records: a case's or a forum's. Built from the unions at run time, which a
#: type checker cannot follow: to it, any event.
if TYPE_CHECKING:
    DomainEvent = Event
else:
    DomainEvent = Annotated[
        Union[union_members(CaseEvent) + union_members(ForumEvent) + KL_DELIVERY_EVENTS],  # noqa: UP007 - a computed tuple
        Field(discriminator="type"),
    ]


class RecordedEvent(BaseModel):
    """A domain event with the id the workflow gave it (``workflow.uuid4()``),
    so a retried append is recognised and written once."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event: DomainEvent
    #: The id of the key that signed the command these events came from
    #: (``workflows.issuers``); None for the workflow's own commands (timers).
    issuer: str | None = None


class AppendRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    expected_version: int
    events: list[RecordedEvent]
    #: Set by a workflow that appends through a local activity: instead of
    #: failing when the log already holds what the workflow has not folded
    #: (a worker died between writing and finishing its workflow task), the
    #: append answers with the events as the log holds them.
    reconcile: bool = False
    #: The stream whose key protects these events' personal fields, when it is
    #: not their own: an appeal's are its case's, so erasing the citizen erases
    #: the complaint too. None: the stream's own key.
    key_of: str | None = None
    #: Each event's personal fields under a key of its own (``event_key_stream``), so one
    #: text can be erased without the others: the forum's texts.
    key_per_event: bool = False


def event_key_stream(event_id: str) -> str:
    """The key-store binding of an event that has a key of its own."""
    return f"event-key-{event_id}"


class PilotProposal(BaseModel):
    """A case tells its target group's forum that it decided to scale its help
    (``help_decided``, choice scale, decision ``decision_number``). The forum reads the
    proposal from the case's event log, so the signal itself carries no text to trust."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    decision_number: int
    forum_id: str


class ForumTextErasure(BaseModel):
    """Destroy the keys of a forum entry's events (they hold its texts)."""

    model_config = ConfigDict(frozen=True)

    stream_id: str
    entry: str
    number: int
    basis: str


class AppendReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    positions: list[int]
    version: int
    duplicate: bool
    #: Only for a reconciling append, and only when the log already held
    #: something: this very batch as first written (``duplicate``), or events
    #: after the expected version that the workflow must fold before it
    #: decides again (``log_was_ahead``).
    stored: list[RecordedEvent] | None = None
    log_was_ahead: bool = False
    #: This very batch was written before and the workflow has folded it already: it came
    #: in with other events it found the log ahead with, and the command is now decided
    #: again (its events carry the ids of its update). The command took effect then; the
    #: workflow answers it with what is stored and folds nothing.
    folded_before: bool = False


class Notification(BaseModel):
    """A message from a case to a person; ``message_id`` comes from ``workflow.uuid4()``."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    case_id: str
    recipient: str = Field(description="person id, or an authority such as 'Ankestyrelsen'")
    kind: str = Field(description="e.g. invitation, reminder, deadline_notice, escalation, appeal_forwarded")
    subject: str
    body: str
