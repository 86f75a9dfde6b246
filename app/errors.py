"""The refusal every edge raises and shows alike (CLI, API, Python client), in a module of its
own so that a caller of the HTTP API can catch it without importing Temporal."""

from __future__ import annotations


class CommandRejected(Exception):
    """The case refused a command; ``rule`` and ``field`` say which and where."""

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None, kind: str = "DomainError"):
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.field = field
        self.kind = kind

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
