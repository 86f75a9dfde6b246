"""0001: the schema of the last release made without migrations.

Every table samskab kept (the event log and its access log, keys, Merkle trees and
signed tree heads; the outbox; the read models; the API's idempotency keys), their
indexes, the append-only triggers and the rows the log starts with (its head, its
identity, its two empty trees).

It adopts a database made by that release as well as it creates an empty one: every
table and index is made only if missing, the triggers are (re)installed idempotently
and the starting rows are inserted only if missing. So ``samskab db upgrade`` on such
a database records this revision without touching its rows.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column(
            "position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("stream_id", sa.String(length=64), nullable=True),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        if_not_exists=True,
    )
    # A case's reads, newest first; it replaced an index on stream_id alone (made by earlier
    # releases, and dropped here: this one serves every read that one did).
    op.create_index(
        "ix_access_log_stream_position", "access_log", ["stream_id", "position"], unique=False, if_not_exists=True
    )
    op.drop_index("ix_access_log_stream_id", table_name="access_log", if_exists=True)
    op.create_index(
        "ix_access_log_whole_log_reads",
        "access_log",
        ["position"],
        unique=False,
        if_not_exists=True,
        sqlite_where=sa.text("stream_id IS NULL AND what NOT LIKE 'shown#%'"),
        postgresql_where=sa.text("stream_id IS NULL AND what NOT LIKE 'shown#%'"),
    )
    op.create_table(
        "access_log_cases",
        sa.Column(
            "access_position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("stream_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("access_position", "stream_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_access_log_cases_stream",
        "access_log_cases",
        ["stream_id", "access_position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "case_keys",
        sa.Column("stream_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("stream_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_case_keys_key_id"), "case_keys", ["key_id"], unique=False, if_not_exists=True)
    op.create_table(
        "citizen_keys",
        sa.Column("key_id", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("citizen_ref", sa.String(length=64), nullable=True),
        sa.Column("wrapped_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("erased_at", sa.String(length=32), nullable=True),
        sa.Column("erasure_basis", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("key_id"),
        sa.UniqueConstraint("citizen_ref"),
        if_not_exists=True,
    )
    op.create_table(
        "events",
        sa.Column(
            "position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("stream_version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("legal_basis", sa.String(length=100), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
        if_not_exists=True,
    )
    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "log_identity",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("log_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "merkle_frontier",
        sa.Column("tree", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree"),
        if_not_exists=True,
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("tree", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("leaf", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("tree", "leaf"),
        sqlite_with_rowid=False,
        if_not_exists=True,
    )
    op.create_table(
        "tree_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("events_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("access_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("signed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("message_id"),
        if_not_exists=True,
    )
    op.create_index("ix_outbox_case", "outbox", ["case_id", "seq"], unique=False, if_not_exists=True)
    op.create_table(
        "case_members",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("generation", "case_id", "person_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_members_person", "case_members", ["generation", "person_id"], unique=False, if_not_exists=True
    )
    op.create_table(
        "case_summaries",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("phase_since", sa.String(length=27), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("caseworker_id", sa.String(length=64), nullable=True),
        sa.Column("target_group", sa.String(length=64), nullable=True),
        sa.Column("target_group_display", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.String(length=27), nullable=False),
        sa.Column("due_what", sa.String(length=200), nullable=True),
        sa.Column("missed", sa.Boolean(), nullable=False),
        sa.Column("appeal_status", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_changed_at", sa.String(length=27), nullable=False),
        sa.Column("last_position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("citizen_key", sa.String(length=32), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("generation", "case_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_summaries_caseworker_due",
        "case_summaries",
        ["generation", "caseworker_id", "due_at", "case_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_summaries_citizen", "case_summaries", ["generation", "citizen_key"], unique=False, if_not_exists=True
    )
    op.create_index(
        "ix_case_summaries_due", "case_summaries", ["generation", "due_at", "case_id"], unique=False, if_not_exists=True
    )
    op.create_index(
        "ix_case_summaries_missed",
        "case_summaries",
        ["generation", "missed", "due_at"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_summaries_phase_due",
        "case_summaries",
        ["generation", "phase", "due_at", "case_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_summaries_target_due",
        "case_summaries",
        ["generation", "target_group", "due_at", "case_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_case_summaries_unit_due",
        "case_summaries",
        ["generation", "unit", "due_at", "case_id"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "changes_by_day",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("first_position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("generation", "day", "case_id"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_changes_by_day_order",
        "changes_by_day",
        ["generation", "day", "first_position"],
        unique=False,
        if_not_exists=True,
    )
    op.create_table(
        "name_index",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("generation", "token", "case_id"),
        if_not_exists=True,
    )
    op.create_table(
        "phase_totals",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("phase", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("erased", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "phase"),
        if_not_exists=True,
    )
    op.create_table(
        "projection_state",
        sa.Column("name", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.String(length=27), nullable=False),
        sa.Column("next_generation", sa.Integer(), nullable=True),
        sa.Column("next_position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("failed_position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("failed_type", sa.String(length=100), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
        if_not_exists=True,
    )
    op.create_table(
        "report_cases",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "case_id"),
        if_not_exists=True,
    )
    op.create_table(
        "work_items",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.String(length=64), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("due_at", sa.String(length=27), nullable=True),
        sa.PrimaryKeyConstraint("generation", "case_id", "seq"),
        if_not_exists=True,
    )
    op.create_index(
        "ix_work_items_person_due",
        "work_items",
        ["generation", "person_id", "due_at"],
        unique=False,
        if_not_exists=True,
    )
    op.create_index(
        "ix_work_items_role_due", "work_items", ["generation", "role", "due_at"], unique=False, if_not_exists=True
    )
    op.create_table(
        "api_idempotency_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("caller_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key_hash"),
        if_not_exists=True,
    )
    _starting_rows()
    _guards()


def _starting_rows() -> None:
    """The log head at position 0, the log's identity, and each log's tree grown over its rows."""
    from eventlog.merkle_store import install_trees

    conn = op.get_bind()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    meta = sa.MetaData()
    log_head = sa.Table("log_head", meta, autoload_with=conn)
    log_identity = sa.Table("log_identity", meta, autoload_with=conn)
    conn.execute(
        insert(log_head).values(id=1, position=0, hash=GENESIS_HASH).on_conflict_do_nothing(index_elements=["id"])
    )
    conn.execute(
        insert(log_identity).values(id=1, log_id=str(uuid.uuid4())).on_conflict_do_nothing(index_elements=["id"])
    )
    install_trees(conn)


def _guards() -> None:
    """The append-only triggers, straight to the driver (their bodies hold '%')."""
    from eventlog.schema import guard_statements

    conn = op.get_bind()
    cursor = conn.connection.cursor()
    try:
        for statement in guard_statements(conn.dialect.name):
            cursor.execute(statement)
    finally:
        cursor.close()


def downgrade() -> None:
    raise NotImplementedError("0001 is the first revision: there is nothing to go back to (restore a backup)")
