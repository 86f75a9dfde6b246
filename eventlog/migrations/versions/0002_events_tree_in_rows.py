"""0002: the event log's Merkle tree moves into the rows every append writes anyway.

Before, each append wrote the tree's frontier to its ``merkle_frontier`` row and, for
every other event, the subtree roots it completed to a ``merkle_nodes`` row: one or two
pages more per commit than the chain alone, and on SQLite pages, not CPU, set the cost
of an append (about a fifth more). Now the frontier is a column of the ``log_head`` row
the append moves anyway, and the completed roots a column of the event's own row. The
access log's tree stays where it was.

Moving the existing tree updates rows the append-only triggers guard (``log_head`` at
the same position, ``events``, and deletes from ``merkle_frontier`` and
``merkle_nodes``): the triggers are dropped for this transaction and installed again
before it commits. The new columns are derived data outside the hash chain, and every
verification recomputes them from the rows.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: The events tree's id in ``merkle_frontier`` and ``merkle_nodes`` (eventlog.schema.EVENTS_TREE).
EVENTS_TREE = 1


def upgrade() -> None:
    from eventlog.schema import GUARD_TRIGGERS, guard_statements

    op.add_column("events", sa.Column("merkle_nodes", sa.LargeBinary(), nullable=True))
    op.add_column("log_head", sa.Column("frontier", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    dialect = conn.dialect.name
    for drop in GUARD_TRIGGERS[dialect]:
        conn.exec_driver_sql(drop)
    conn.execute(
        sa.text(
            "UPDATE log_head SET frontier = (SELECT f.frontier FROM merkle_frontier f "
            "WHERE f.tree = :tree AND f.size = log_head.position)"
        ),
        {"tree": EVENTS_TREE},
    )
    # A node row of leaf i belongs to the row at position i + 1.
    conn.execute(
        sa.text(
            "UPDATE events SET merkle_nodes = (SELECT n.hashes FROM merkle_nodes n "
            "WHERE n.tree = :tree AND n.leaf = events.position - 1) "
            "WHERE position IN (SELECT leaf + 1 FROM merkle_nodes WHERE tree = :tree)"
        ),
        {"tree": EVENTS_TREE},
    )
    conn.execute(sa.text("DELETE FROM merkle_nodes WHERE tree = :tree"), {"tree": EVENTS_TREE})
    conn.execute(sa.text("DELETE FROM merkle_frontier WHERE tree = :tree"), {"tree": EVENTS_TREE})
    cursor = conn.connection.cursor()  # straight to the driver: the trigger bodies hold '%'
    try:
        for statement in guard_statements(dialect):
            cursor.execute(statement)
    finally:
        cursor.close()


def downgrade() -> None:
    raise NotImplementedError("0002 moved the event log's tree into its rows; restore a backup to go back to 0001")
