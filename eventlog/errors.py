"""Errors raised by the event log.

They are plain exceptions with messages written for the person who has to act
on them: a caseworker's command that lost a race, or an operator looking at a
retried activity that does not match what is already stored.
"""

from __future__ import annotations


class EventLogError(Exception):
    """Base class for every error the event log raises on purpose."""


class ConcurrencyConflict(EventLogError):
    """The stream moved on since the caller read it: an append must not overwrite.

    The caller's decision was made on an old state; it has to reload the case
    and decide again.
    """

    def __init__(self, stream_id: str, expected_version: int, actual_version: int) -> None:
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version
        super().__init__(
            f"case {stream_id}: expected version {expected_version} but the log is at "
            f"version {actual_version}; reload and try again"
        )

    def __reduce__(self):  # keeps the exception picklable across process/thread boundaries
        return (type(self), (self.stream_id, self.expected_version, self.actual_version))


class IdempotencyMismatch(EventLogError):
    """An event id is already stored, but not as the exact retry of this batch.

    Event ids make a retried append write nothing twice; an id that turns up in
    another stream, at another place, with other content, or a batch that only
    partly matches what is stored, means two different writes share ids. That is
    a bug upstream and must never be papered over.
    """
