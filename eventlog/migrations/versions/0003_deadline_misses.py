"""0003: the deadlines the municipality missed, kept as totals by kind (``deadline_misses``).

The metrics count missed deadlines by kind (a phase's own deadline, the processing deadline of
Retssikkerhedsloven § 3, stk. 2, the date the citizen was told, the reconsideration of § 66);
the case projection keeps the totals as the events come. For a database projected before this
revision, the live generation's totals are counted once from the events it has projected, so
the totals are whole from the start; a rebuild counts them again from the log.

The event types and their kinds are this revision's own copy of what the events declared when
it was written (``Event.missed_deadline``): a revision is a snapshot, not a reader of today's code.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MISSED_DEADLINES = {
    "deadline_missed": "phase",
    "processing_deadline_missed": "processing",
    "processing_deadline_passed": "processing",
    "expected_date_passed": "expected_date",
    "reconsideration_overdue": "reconsideration",
}


def upgrade() -> None:
    op.create_table(
        "deadline_misses",
        sa.Column("generation", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), autoincrement=False, nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("generation", "kind"),
    )
    conn = op.get_bind()
    state = conn.execute(sa.text("SELECT generation, position FROM projection_state WHERE name = 'cases'")).first()
    if state is None:
        return
    generation, position = state
    counted: dict[str, int] = {}
    for event_type, n in conn.execute(
        sa.text(
            "SELECT event_type, count(*) FROM events WHERE position <= :position AND event_type IN :types "
            "GROUP BY event_type"
        ).bindparams(sa.bindparam("types", expanding=True)),
        {"position": position, "types": list(MISSED_DEADLINES)},
    ):
        kind = MISSED_DEADLINES[event_type]
        counted[kind] = counted.get(kind, 0) + n
    if counted:
        conn.execute(
            sa.text("INSERT INTO deadline_misses (generation, kind, missed) VALUES (:generation, :kind, :missed)"),
            [{"generation": generation, "kind": kind, "missed": n} for kind, n in sorted(counted.items())],
        )
