"""Given events, when a command, then events or a refusal: the form of every rule test.

A rule test names its rule code and reads as the rule does::

    RULES = [
        Refusal("team.not_invited",
                given=[scenario.register("case-1"), *scenario.full_lifecycle_after_registration()[:3]],
                when={"type": "answer_invitation", "actor": STRANGER, "accept": True}),
    ]

    @pytest.mark.parametrize("rule", RULES, ids=rule_id)
    def test_rule(rule):
        rule.check(CASE)

``given`` is a history: the commands that made it, each of which must be
accepted (so a given that no longer holds fails loudly instead of testing
nothing), or events written out when no command can make them. ``when`` is the
command; ``then`` is the refusal's rule code (and field), or the event types
the command records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from domain.errors import DomainError
from domain.messages import Command, Event

#: The clock every rule test runs at unless it says otherwise.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Decider:
    """What a rule test needs of a decider: how to read a command, decide and fold."""

    name: str
    read_command: Callable[[dict], Command]
    decide: Callable[[Any, Command], list[Event]]
    fold: Callable[[Iterable[Event], Any], Any]
    initial: Callable[[], Any]

    def command(self, data: dict | Command, at: datetime | None) -> Command:
        command = data if isinstance(data, Command) else self.read_command(data)
        return command.model_copy(update={"at": at})

    def history(self, given: Sequence[dict | Command | Event], at: datetime | None) -> tuple[Any, list[Event]]:
        """The state after the given history, and its events. Each command must be accepted."""
        state, events = self.initial(), []
        for item in given:
            if isinstance(item, Event):
                new = [item]
            else:
                command = self.command(item, at)
                try:
                    new = self.decide(state, command)
                except DomainError as error:  # the given is wrong, not the rule
                    pytest.fail(f"given {type(command).__name__} was refused ({error.rule}): {error.message}")
            state = self.fold(new, state)
            events.extend(new)
        return state, events


def _case() -> Decider:
    from domain.case.decider import command_adapter, decide, fold, initial_state

    return Decider("case", command_adapter.validate_python, decide, fold, initial_state)


def _appeal() -> Decider:
    from domain.appeal import appeal_command_adapter, decide_appeal, fold_appeal, initial_appeal_state

    return Decider("appeal", appeal_command_adapter.validate_python, decide_appeal, fold_appeal, initial_appeal_state)


def _forum() -> Decider:
    from domain.forum import decide_forum, evolve_forum, forum_command_adapter, initial_forum_state

    def fold_forum(events: Iterable[Event], state: Any) -> Any:
        for event in events:
            state = evolve_forum(state, event)
        return state

    return Decider("forum", forum_command_adapter.validate_python, decide_forum, fold_forum, initial_forum_state)


CASE, APPEAL, FORUM = _case(), _appeal(), _forum()


@dataclass(frozen=True)
class Refusal:
    """Given a history, when this command, then a refusal with this rule code (and field)."""

    rule: str
    given: Sequence[dict | Command | Event]
    when: dict | Command
    field: str | None = None
    #: Words the refusal's message must contain (it tells the person what is allowed).
    says: str | None = None
    #: None proves the refusal of a command the workflow has not stamped.
    at: datetime | None = NOW
    #: The given history's clock, where it differs from the command's (a deadline passed).
    given_at: datetime | None = None

    def check(self, decider: Decider) -> DomainError:
        state, _ = decider.history(self.given, self.given_at or self.at)
        command = decider.command(self.when, self.at)
        with pytest.raises(DomainError) as raised:
            decider.decide(state, command)
        error = raised.value
        assert error.rule == self.rule, f"refused by {error.rule!r} ({error.message}), not {self.rule!r}"
        if self.field is not None:
            assert error.field == self.field, f"names field {error.field!r}, not {self.field!r}"
        if self.says is not None:
            assert self.says in error.message, f"{self.says!r} not in {error.message!r}"
        return error


@dataclass(frozen=True)
class Accepted:
    """Given a history, when this command, then these events (by type, in order)."""

    name: str
    given: Sequence[dict | Command | Event]
    when: dict | Command
    then: Sequence[str] = field(default_factory=tuple)
    at: datetime = NOW
    given_at: datetime | None = None

    @property
    def rule(self) -> str:
        return self.name

    def check(self, decider: Decider) -> list[Event]:
        state, _ = decider.history(self.given, self.given_at or self.at)
        events = decider.decide(state, decider.command(self.when, self.at))
        assert [e.type for e in events] == list(self.then)
        return events


def rule_id(rule: Refusal | Accepted) -> str:
    """A parametrised test's id: the rule code it proves."""
    return rule.rule
