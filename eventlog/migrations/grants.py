"""Least privilege on PostgreSQL: what the application's role may do, table by table.

The owner role (the one that runs ``samskab db upgrade``) owns the tables and their
triggers. The API, the worker and the CLI connect as another role that gets only the
privileges below: it can append to the logs and read them, but cannot UPDATE, DELETE or
TRUNCATE the event log or the access log, and, not being their owner, cannot ALTER
TABLE ... DISABLE TRIGGER or DROP TRIGGER either. UPDATE is granted only where the code
must change a row:

- ``log_head``, ``merkle_frontier``: every append moves the head and grows the tree (the
  triggers let them move forward only); ``SELECT ... FOR UPDATE`` on them needs UPDATE too;
- ``citizen_keys``: erasure destroys a citizen's key (crypto-shredding, GDPR art. 17);
- the read models: the projector writes, rebuilds and drops generations of them
  (``projection_state`` and the generation tables, see ``projections.schema``).

The outbox and the idempotency keys are only inserted and read (there is no delivery
status column: a letter is sent by the activity that stores it).
"""

from __future__ import annotations

import re

#: Privileges of the application role, by table. Every table the revisions make must be
#: here (a test checks it), so a new table cannot ship without a decision.
APP_PRIVILEGES: dict[str, tuple[str, ...]] = {
    # the event log and its companions: append and read
    "events": ("SELECT", "INSERT"),
    "log_head": ("SELECT", "UPDATE"),
    "log_identity": ("SELECT",),
    "merkle_nodes": ("SELECT", "INSERT"),
    "merkle_frontier": ("SELECT", "UPDATE"),
    "tree_heads": ("SELECT", "INSERT"),
    "access_log": ("SELECT", "INSERT"),
    "access_log_cases": ("SELECT", "INSERT"),
    "case_keys": ("SELECT", "INSERT"),
    "citizen_keys": ("SELECT", "INSERT", "UPDATE"),
    "outbox": ("SELECT", "INSERT"),
    "api_idempotency_keys": ("SELECT", "INSERT"),
    # the read models: written by the projector, generations swapped and dropped
    "projection_state": ("SELECT", "INSERT", "UPDATE"),
    "case_summaries": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "phase_totals": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "deadline_misses": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "case_members": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "work_items": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "name_index": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "changes_by_day": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "report_cases": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    # the start-up check reads the revision
    "alembic_version": ("SELECT",),
}

#: Sequences behind autoincrement ids the application inserts.
APP_SEQUENCES = ("tree_heads_id_seq", "outbox_seq_seq")

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """The SQL that gives ``role`` exactly the application's privileges (run as the owner)."""
    if not _ROLE.match(role):
        raise ValueError(f"role: {role!r} is not a plain PostgreSQL role name (lower-case letters, digits, _)")
    if not _ROLE.match(schema):
        raise ValueError(f"schema: {schema!r} is not a plain PostgreSQL schema name")
    statements = [f"GRANT USAGE ON SCHEMA {schema} TO {role}"]
    for table, privileges in APP_PRIVILEGES.items():
        statements.append(f"REVOKE ALL ON TABLE {schema}.{table} FROM {role}")
        statements.append(f"GRANT {', '.join(privileges)} ON TABLE {schema}.{table} TO {role}")
    for sequence in APP_SEQUENCES:
        statements.append(f"GRANT USAGE, SELECT ON SEQUENCE {schema}.{sequence} TO {role}")
    return statements


__all__ = ["APP_PRIVILEGES", "APP_SEQUENCES", "grant_statements"]
