"""0004: a group's unassigned work items read as one index range.

"My tasks" reads a person's own items and their groups' items that no person has taken yet
(a new case no caseworker has opened, a recommendation any team lead may review). The
group's items were indexed by role and due date only, so the unassigned ones were found by
reading every item of the role; the index now holds the person too (NULL for unassigned),
and replaces the old one. An item with no due date holds NO_DEADLINE (the latest time there
is) rather than NULL, so it comes last along each index on both databases; the rows projected
before this revision are changed so.

During the roll (``docs/deploy.md``, section 6): an API process of the previous release shows
such an item's due date as 31 December 9999 until it is rolled, and a worker of the previous
release writes NULL for the items it projects, which a SQLite task list shows first until
the case changes again or ``samskab projections rebuild cases`` runs (PostgreSQL sorts NULL
last, as intended). Roll the workers right after the upgrade.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: ``projections.schema.NO_DEADLINE`` when this revision was written.
NO_DEADLINE = "9999-12-31T23:59:59.999999Z"


def upgrade() -> None:
    op.drop_index("ix_work_items_role_due", table_name="work_items", if_exists=True)
    op.create_index(
        "ix_work_items_group_due", "work_items", ["generation", "role", "person_id", "due_at"], if_not_exists=True
    )
    op.get_bind().execute(sa.text("UPDATE work_items SET due_at = :none WHERE due_at IS NULL"), {"none": NO_DEADLINE})
