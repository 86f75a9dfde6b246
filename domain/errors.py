"""The one error the domain raises: a rule a person broke, told in their words."""

from __future__ import annotations


class DomainError(Exception):
    """A command the rules refuse. ``field`` names the input at fault where
    there is one, ``rule`` a short stable code for machines, and the message
    says what is wrong and what is allowed."""

    def __init__(self, message: str, *, rule: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def require(condition: bool, message: str, *, rule: str, field: str | None = None) -> None:
    if not condition:
        raise DomainError(message, rule=rule, field=field)
