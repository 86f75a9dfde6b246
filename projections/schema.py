"""The read models' tables, beside the event log in the same database.

Every read-model table leads with ``generation``: a rebuild writes a new
generation while reads go on using the live one, then one transaction makes
the new generation live (``projection_state``) and the old rows are dropped.
That swap works the same on SQLite and PostgreSQL, with no DDL while serving.

Times are the event log's UTC text (``YYYY-MM-DDTHH:MM:SS.ffffffZ``), which
sorts as the moments do. No CPR number, no name and no free text is kept here:
a citizen's cases are found through the key id their data is encrypted with,
a name through a blind index (an HMAC of each word under the installation
secret).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text

from eventlog.records import MAX_ACTOR_ID, MAX_STREAM_ID
from eventlog.schema import KEY_ID_LENGTH, PositionType

TIME = 27  # len("2026-01-02T03:04:05.000000Z")
#: ``due_at`` of a case that waits for nothing: after every real date.
NO_DEADLINE = "9999-12-31T23:59:59.999999Z"

projection_metadata = MetaData()

#: Where each projection has got to, which generation readers use, and the
#: event it stopped at if it failed (it never skips one).
projection_state = Table(
    "projection_state",
    projection_metadata,
    Column("name", String(64), primary_key=True, autoincrement=False),
    Column("position", PositionType, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("updated_at", String(TIME), nullable=False),
    # A rebuild in progress: its generation and position (NULL when none runs).
    Column("next_generation", Integer, nullable=True),
    Column("next_position", PositionType, nullable=True),
    Column("failed_position", PositionType, nullable=True),
    Column("failed_type", String(100), nullable=True),
    Column("failure", Text, nullable=True),
)

case_summaries = Table(
    "case_summaries",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("phase", String(32), nullable=False),
    Column("phase_since", String(TIME), nullable=True),
    Column("is_open", Boolean, nullable=False),
    Column("caseworker_id", String(MAX_ACTOR_ID), nullable=True),
    Column("target_group", String(64), nullable=True),
    Column("target_group_display", String(200), nullable=True),
    # Sorts cases by what is due first; a case with nothing due has NO_DEADLINE, so it sorts
    # last and keyset paging needs no NULL handling.
    Column("due_at", String(TIME), nullable=False),
    Column("due_what", String(200), nullable=True),
    Column("missed", Boolean, nullable=False),
    Column("appeal_status", String(40), nullable=True),
    Column("version", Integer, nullable=False),
    Column("last_changed_at", String(TIME), nullable=False),
    Column("last_position", PositionType, nullable=False),
    Column("citizen_key", String(KEY_ID_LENGTH), nullable=True),
    Column("erased", Boolean, nullable=False),
    #: The unit the case belongs to (need-to-know: a case officer lists their own unit's cases).
    Column("unit", String(64), nullable=True),
    Index("ix_case_summaries_unit_due", "generation", "unit", "due_at", "case_id"),
    Index("ix_case_summaries_due", "generation", "due_at", "case_id"),
    Index("ix_case_summaries_phase_due", "generation", "phase", "due_at", "case_id"),
    Index("ix_case_summaries_caseworker_due", "generation", "caseworker_id", "due_at", "case_id"),
    Index("ix_case_summaries_target_due", "generation", "target_group", "due_at", "case_id"),
    Index("ix_case_summaries_citizen", "generation", "citizen_key"),
    Index("ix_case_summaries_missed", "generation", "missed", "due_at"),
)

#: Cases per phase (and how many of them erased), kept with every summary written,
#: so the phase report and the metrics read a handful of rows, not every case.
phase_totals = Table(
    "phase_totals",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("phase", String(32), primary_key=True, autoincrement=False),
    Column("cases", Integer, nullable=False),
    Column("erased", Integer, nullable=False),
)

#: How many deadlines of each kind the municipality has missed (``Event.missed_deadline``), kept as
#: totals as the events come: the metrics read them without counting the log.
deadline_misses = Table(
    "deadline_misses",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True, autoincrement=False),
    Column("missed", Integer, nullable=False),
)

#: Who is on each case's team (any status), for "cases I am on" and the list's team filter.
case_members = Table(
    "case_members",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("person_id", String(MAX_ACTOR_ID), primary_key=True, autoincrement=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Index("ix_case_members_person", "generation", "person_id"),
)

#: What each person (or group: any team lead, the citizen) must do next, and by when.
work_items = Table(
    "work_items",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("what", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("person_id", String(MAX_ACTOR_ID), nullable=True),
    # NO_DEADLINE for an item with no due date, so it sorts last along the indexes below
    # (NULL sorts first in SQLite's, last in PostgreSQL's); NULL only in rows of revisions before 0004.
    Column("due_at", String(TIME), nullable=True),
    Index("ix_work_items_person_due", "generation", "person_id", "due_at"),
    # A group's unassigned items (no person yet), what is due first: one range (``tasks_for``).
    Index("ix_work_items_group_due", "generation", "role", "person_id", "due_at"),
)

#: The blind index of citizens' names: HMAC(word) -> case.
name_index = Table(
    "name_index",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("token", String(32), primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
)

#: The cases that changed on each day (Europe/Copenhagen calendar day of the event's recording).
changes_by_day = Table(
    "changes_by_day",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("first_position", PositionType, nullable=False),
    Index("ix_changes_by_day_order", "generation", "day", "first_position"),
)

#: One case's contribution to the learning report: codes, flags and scores (JSON), no personal data.
report_cases = Table(
    "report_cases",
    projection_metadata,
    Column("generation", Integer, primary_key=True, autoincrement=False),
    Column("case_id", String(MAX_STREAM_ID), primary_key=True, autoincrement=False),
    Column("facts", Text, nullable=False),
)
