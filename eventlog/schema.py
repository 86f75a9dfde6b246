"""Tables of the event log (SQLAlchemy Core).

``events`` holds one row per domain event, in one global, gapless order
(``position``), hash-chained row to row. ``log_head`` holds a single row with
the last position and hash: every append locks it, which makes appends serial,
positions gapless, and lets a verifier notice rows cut off the end of the log.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from eventlog.records import (
    MAX_ACTOR_ID,
    MAX_ACTOR_ROLE,
    MAX_EVENT_ID,
    MAX_EVENT_TYPE,
    MAX_LEGAL_BASIS,
    MAX_STREAM_ID,
)

#: Length of a sha256 hex digest.
HASH_LENGTH = 64
#: Length of the stored timestamp text ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (with room to spare).
TIMESTAMP_LENGTH = 32
#: The id of the single row in ``log_head``.
HEAD_ROW_ID = 1

# BIGINT on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is the rowid itself,
# which is both the fastest layout and the one SQLite expects.
PositionType = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

events = Table(
    "events",
    metadata,
    # Assigned by the store from the locked head, never by a sequence: a
    # sequence leaves gaps on rollback, and a gap must mean tampering.
    Column("position", PositionType, primary_key=True, autoincrement=False),
    Column("stream_id", String(MAX_STREAM_ID), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", String(MAX_EVENT_ID), nullable=False, unique=True),
    Column("event_type", String(MAX_EVENT_TYPE), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("occurred_at", String(TIMESTAMP_LENGTH), nullable=False),
    Column("recorded_at", String(TIMESTAMP_LENGTH), nullable=False),
    Column("actor_id", String(MAX_ACTOR_ID), nullable=False),
    Column("actor_role", String(MAX_ACTOR_ROLE), nullable=False),
    Column("legal_basis", String(MAX_LEGAL_BASIS), nullable=True),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(HASH_LENGTH), nullable=False),
    Column("prev_hash", String(HASH_LENGTH), nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
    # The unique constraint is backed by an index on (stream_id, stream_version)
    # on both databases; that index serves stream reads and the version check,
    # so a second, identical index would only slow every append.
    UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
)

log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", PositionType, nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
)
