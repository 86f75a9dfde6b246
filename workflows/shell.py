"""The shell of a decider-driven workflow: what the case, the appeal and the forum
do alike around their own decider.

A command is validated by the decider on the current state, stamped with the
workflow's time (``decided``); a refusal goes to the caller as the domain said
it (``refusal``). Accepted events are recorded and only then folded, and what
is folded is what the log answers it holds (``recorded_events``, ``folded``):
when the log was ahead, the command is decided again on the state it makes
(``carry_out``). The workflow's own commands, given when a timer fires, may be
refused because a person acted in the same instant (``for_system``). A
deadline is waited for on workflow time (``holds_before``).

Each workflow keeps what is its own: its decider, how it records (the stream,
the activity), what recorded events set in motion, and its timers. Everything
here runs inside the workflow sandbox: only ``temporalio.workflow`` APIs and
no clock but ``workflow.now()``, and none of it issues a command to the
server of its own (a timer, an activity), so a workflow using it sends
exactly what it sent when it had these pieces itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.messages import AppendReceipt
    from domain.errors import DomainError
    from domain.messages import Command, Event, Role

S = TypeVar("S")
R = TypeVar("R")


def refusal(error: DomainError) -> ApplicationError:
    """A domain refusal as Temporal carries it to the caller: the message, plus the rule and field."""
    return ApplicationError(
        error.message,
        {"rule": error.rule, "field": error.field},
        type="DomainError",
        non_retryable=True,
    )


def refuse_the_systems(
    command: Command,
    rule: str,
    message: str = "the system role acts only from inside the workflow",
    *,
    field: str = "actor.role",
    also: bool = False,
) -> None:
    """Refuses a caller's command that only the workflow itself gives (the system role, or a
    command issued by the system; ``also`` for one more the workflow names), before the decider."""
    if also or command.actor.role is Role.SYSTEM or command.issued_by_system:
        raise ApplicationError(message, {"rule": rule, "field": field}, type="DomainError")


def decided(decide: Callable[[S, Any], list[Event]], state: S, command: Command, **stamp: object) -> list[Event]:
    """The events ``decide`` makes of the command on ``state``, the command stamped with the
    workflow's time (and ``stamp``); a refusal as ``refusal`` carries it."""
    stamped = command.model_copy(update={"at": workflow.now(), **stamp})
    try:
        return decide(state, stamped)
    except DomainError as error:
        raise refusal(error) from None


def recorded_events(events: list[Event], receipt: AppendReceipt) -> list[Event]:
    """What the log holds after an append: the events as stored when it answers with them
    (it was ahead, or the append had been done before), else the events appended."""
    return events if receipt.stored is None else [stored.event for stored in receipt.stored]


def folded(evolve: Callable[[S, Event], S], state: S, events: list[Event]) -> S:
    """The state after ``events``, one at a time."""
    for event in events:
        state = evolve(state, event)
    return state


async def carry_out(decide: Callable[[], list[Event]], record: Callable[[list[Event]], Awaitable[R | None]]) -> R:
    """Decides and records until the log was not ahead: ``record`` folds what the log holds
    and answers None when it held events the workflow had not folded (a worker died after
    writing them), and the command is decided again on the state they make. Each round
    folds at least one event, so this ends."""
    while True:
        result = await record(decide())
        if result is not None:
            return result


async def for_system(lock: asyncio.Lock, carry_out: Callable[[], Awaitable[object]]) -> bool:
    """A command the workflow gives itself when a timer fires, under its lock; False when it
    was refused (a person acted in the same instant), which is fine."""
    async with lock:
        try:
            await carry_out()
        except ApplicationError:
            return False
        return True


async def holds_before(condition: Callable[[], bool], deadline: datetime) -> bool:
    """True if ``condition`` holds before ``deadline``; False when the deadline passes first
    (on workflow time: a timer only when the deadline is still ahead)."""
    remaining = deadline - workflow.now()
    if remaining.total_seconds() <= 0:
        return condition()
    try:
        await workflow.wait_condition(condition, timeout=remaining)
    except TimeoutError:
        return condition()
    return True
