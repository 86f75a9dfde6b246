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
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
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
    # The roots of the Merkle subtrees this row's leaf completes (eventlog.merkle_store),
    # 32 bytes each, level 1 upwards; NULL when it completes none (every other row).
    # Kept in the row the append writes anyway rather than in a table of their own,
    # which cost each append a page more. Not covered by ``hash``: derived from the
    # rows' hashes, and checked against them by every verification.
    Column("merkle_nodes", LargeBinary, nullable=True),
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
    # The event log's Merkle frontier (the roots of the complete subtrees its
    # ``position`` rows make, largest first, concatenated; eventlog.merkle), moved
    # with the head in the same UPDATE, so the tree costs the append no page of
    # its own. NULL only in a database whose tree was never grown or was thrown away.
    Column("frontier", LargeBinary, nullable=True),
)

# -- the access log, the key store ---------------------------------------------

#: Longest texts the access log keeps for "what was read" and "why".
MAX_ACCESS_WHAT = 200
MAX_ACCESS_PURPOSE = 500
#: Length of a key id: 32 hex characters (128 random bits, not derived from any person).
KEY_ID_LENGTH = 32

access_log = Table(
    "access_log",
    metadata,
    # One global, gapless order, hash-chained like the events (see eventlog.access_log).
    Column("position", PositionType, primary_key=True, autoincrement=False),
    Column("recorded_at", String(TIMESTAMP_LENGTH), nullable=False),
    Column("actor_id", String(MAX_ACTOR_ID), nullable=False),
    Column("actor_role", String(MAX_ACTOR_ROLE), nullable=False),
    # The case read; NULL for a read of the whole log (an export of everything).
    Column("stream_id", String(MAX_STREAM_ID), nullable=True),
    Column("what", String(MAX_ACCESS_WHAT), nullable=False),
    Column("purpose", String(MAX_ACCESS_PURPOSE), nullable=False),
    Column("prev_hash", String(HASH_LENGTH), nullable=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
    # A case's own reads, newest first: a page of its access log is one range read.
    Index("ix_access_log_stream_position", "stream_id", "position"),
    # A case's access log also shows the reads of the whole log that are not list views
    # (list views name their cases in access_log_cases): this partial index holds just those.
    Index(
        "ix_access_log_whole_log_reads",
        "position",
        sqlite_where=text("stream_id IS NULL AND what NOT LIKE 'shown#%'"),
        postgresql_where=text("stream_id IS NULL AND what NOT LIKE 'shown#%'"),
    ),
)

#: The cases a list view showed: one row per case, so a case's access log finds
#: the lists it appeared in through an index, and a list view is one access-log
#: row. The access row's ``what`` ends in a digest of these ids (see
#: ``eventlog.access_log.shown_digest``), so the chain covers them too.
access_log_cases = Table(
    "access_log_cases",
    metadata,
    Column("access_position", PositionType, primary_key=True, autoincrement=False),
    Column("stream_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Index("ix_access_log_cases_stream", "stream_id", "access_position"),
)

citizen_keys = Table(
    "citizen_keys",
    metadata,
    Column("key_id", String(KEY_ID_LENGTH), primary_key=True, autoincrement=False),
    # HMAC of the citizen's CPR number under the installation secret, so a second
    # case for the same citizen finds the same key; NULL for a key made for a
    # case without a CPR number, and wiped on erasure.
    Column("citizen_ref", String(HASH_LENGTH), nullable=True, unique=True),
    # The citizen's data key, wrapped (AES-GCM) under the installation secret;
    # NULL once destroyed.
    Column("wrapped_key", Text, nullable=True),
    Column("created_at", String(TIMESTAMP_LENGTH), nullable=False),
    Column("erased_at", String(TIMESTAMP_LENGTH), nullable=True),
    Column("erasure_basis", String(MAX_LEGAL_BASIS), nullable=True),
)

case_keys = Table(
    "case_keys",
    metadata,
    Column("stream_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("key_id", String(KEY_ID_LENGTH), nullable=False, index=True),
)

# -- Merkle trees over both logs (eventlog.merkle, eventlog.merkle_store) -------------

#: The trees, by the log they cover.
EVENTS_TREE = 1
ACCESS_TREE = 2
TREE_NAMES = {EVENTS_TREE: "events", ACCESS_TREE: "access_log"}

#: The access log's tree lives in the two tables below; the event log's in
#: ``log_head.frontier`` and ``events.merkle_nodes`` (revision 0002 moved it there).
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("tree", SmallInteger, primary_key=True, autoincrement=False),
    # The 0-based leaf index whose append completed these subtrees (leaf i
    # completes one per trailing 1-bit of i, so only odd leaves have a row).
    Column("leaf", PositionType, primary_key=True, autoincrement=False),
    # Their roots, 32 bytes each, level 1 upwards: written once, never changed.
    Column("hashes", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

merkle_frontier = Table(
    "merkle_frontier",
    metadata,
    # One row per tree kept here (the access log's; this row is its head): its
    # size, the chain hash of its last row, and the roots of its complete
    # subtrees, largest first, concatenated. Moved in the same transaction as each append.
    Column("tree", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", PositionType, nullable=False),
    Column("chain_hash", String(HASH_LENGTH), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

#: Length of a log id (a UUID, text).
LOG_ID_LENGTH = 36

log_identity = Table(
    "log_identity",
    metadata,
    # One row, made with the schema: signed tree heads name the log they are of,
    # so a head of another installation's log is refused rather than compared.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("log_id", String(LOG_ID_LENGTH), nullable=False),
)

tree_heads = Table(
    "tree_heads",
    metadata,
    # Every signed tree head this installation wrote, as signed (JSON): the
    # HTTP API publishes them, and exports prove consistency from the last one.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("events_size", PositionType, nullable=False),
    Column("access_size", PositionType, nullable=False),
    Column("created_at", String(TIMESTAMP_LENGTH), nullable=False),
    Column("signed", Text, nullable=False),
)

# -- append-only guards ----------------------------------------------------------
#
# The database itself refuses to change history: UPDATE, DELETE (and on
# PostgreSQL TRUNCATE) on ``events`` and ``access_log`` raise, and the head may
# only move forward. Erasure never needs an exception: it destroys a key in
# ``citizen_keys`` and appends an event, so the stored ciphertext (and the
# chain over it) stays as it was.

APPEND_ONLY_TABLES = ("events", "access_log", "access_log_cases", "merkle_nodes", "log_identity", "tree_heads")

_SQLITE_GUARDS = (
    *tuple(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the {table} table is append-only: {op} is not allowed'); END"
        for table in APPEND_ONLY_TABLES
        for op in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER IF NOT EXISTS log_head_forward_only BEFORE UPDATE ON log_head "
    "WHEN NEW.position <= OLD.position OR NEW.id <> OLD.id "
    "BEGIN SELECT RAISE(ABORT, 'the log head only moves forward'); END",
    "CREATE TRIGGER IF NOT EXISTS log_head_no_delete BEFORE DELETE ON log_head "
    "BEGIN SELECT RAISE(ABORT, 'the log head row cannot be deleted'); END",
    "CREATE TRIGGER IF NOT EXISTS merkle_frontier_forward_only BEFORE UPDATE ON merkle_frontier "
    "WHEN NEW.size <= OLD.size OR NEW.tree <> OLD.tree "
    "BEGIN SELECT RAISE(ABORT, 'a Merkle tree only grows'); END",
    "CREATE TRIGGER IF NOT EXISTS merkle_frontier_no_delete BEFORE DELETE ON merkle_frontier "
    "BEGIN SELECT RAISE(ABORT, 'a Merkle tree only grows'); END",
)

_POSTGRES_GUARDS = (
    """
    CREATE OR REPLACE FUNCTION samskab_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the % table is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION samskab_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.position <= OLD.position OR NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'the log head only moves forward (% refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    *(
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION samskab_append_only()"
        for table in APPEND_ONLY_TABLES
    ),
    *(
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION samskab_append_only()"
        for table in APPEND_ONLY_TABLES
    ),
    "CREATE OR REPLACE TRIGGER log_head_forward_only BEFORE UPDATE OR DELETE ON log_head "
    "FOR EACH ROW EXECUTE FUNCTION samskab_head_forward_only()",
    "CREATE OR REPLACE TRIGGER log_head_no_truncate BEFORE TRUNCATE ON log_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION samskab_append_only()",
    """
    CREATE OR REPLACE FUNCTION samskab_tree_grows_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.size <= OLD.size OR NEW.tree <> OLD.tree THEN
            RAISE EXCEPTION 'a Merkle tree only grows (% refused)', TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    "CREATE OR REPLACE TRIGGER merkle_frontier_grows_only BEFORE UPDATE OR DELETE ON merkle_frontier "
    "FOR EACH ROW EXECUTE FUNCTION samskab_tree_grows_only()",
    "CREATE OR REPLACE TRIGGER merkle_frontier_no_truncate BEFORE TRUNCATE ON merkle_frontier "
    "FOR EACH STATEMENT EXECUTE FUNCTION samskab_append_only()",
)

#: What removes the guards: an attacker with the database owner's rights can run
#: this, which is why the chain and signed checkpoints exist. Tests use it to tamper.
GUARD_TRIGGERS = {
    "sqlite": tuple(
        f"DROP TRIGGER IF EXISTS {name}"
        for name in (
            *(f"{t}_no_{op}" for t in APPEND_ONLY_TABLES for op in ("update", "delete")),
            "log_head_forward_only",
            "log_head_no_delete",
            "merkle_frontier_forward_only",
            "merkle_frontier_no_delete",
        )
    ),
    "postgresql": tuple(
        f"DROP TRIGGER IF EXISTS {name} ON {table}"
        for table, name in (
            *((t, f"{t}_append_only") for t in APPEND_ONLY_TABLES),
            *((t, f"{t}_no_truncate") for t in APPEND_ONLY_TABLES),
            ("log_head", "log_head_forward_only"),
            ("log_head", "log_head_no_truncate"),
            ("merkle_frontier", "merkle_frontier_grows_only"),
            ("merkle_frontier", "merkle_frontier_no_truncate"),
        )
    ),
}


def guard_statements(dialect_name: str) -> tuple[str, ...]:
    """The DDL that installs the append-only guards on ``dialect_name`` (idempotent)."""
    if dialect_name == "sqlite":
        return _SQLITE_GUARDS
    if dialect_name == "postgresql":
        return _POSTGRES_GUARDS
    raise ValueError(f"no append-only guards for database {dialect_name!r}")
