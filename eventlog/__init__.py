"""The domain event log: append-only, hash-chained, on SQLite or PostgreSQL.

Importing this package has no side effects: no engine, no connection, no I/O.
"""

from eventlog.errors import ConcurrencyConflict, EventLogError, IdempotencyMismatch
from eventlog.records import AppendResult, NewEvent, StoredEvent, VerifyReport
from eventlog.store import EventStore

__all__ = [
    "AppendResult",
    "ConcurrencyConflict",
    "EventLogError",
    "EventStore",
    "IdempotencyMismatch",
    "NewEvent",
    "StoredEvent",
    "VerifyReport",
]
