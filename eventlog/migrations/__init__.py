"""The database schema's revisions (Alembic), and the check every process makes at start.

One database holds the event log, its access log, keys and trees, the outbox, the read
models and the API's idempotency keys; one chain of revisions (``versions/``) makes and
changes all of it, the append-only triggers included. Revision 0001 is the schema of the
last release made without migrations, and adopts a database that release made.

Who runs the DDL:

- ``samskab db upgrade``, as the database's owner role, in production;
- every process by itself (:func:`ensure_schema` with ``upgrade=True``) in the embedded
  development stack and in tests, so a fresh folder just works;
- nobody else: in production the API, the worker and the CLI only *check* the revision
  (:func:`check_revision`) and refuse to run against a database with none, an older or a
  newer one, naming both revisions and the command to run. ``audit verify`` never runs
  DDL, in any mode.

The read models' tables are fixed tables like any other (a rebuild writes a new
``generation`` into the same tables, see ``projections.schema``), so they are made here
too; only each projection's ``projection_state`` row is inserted at run time.

Alembic is configured here, in code: no ``alembic.ini`` is needed at run time.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection, Engine

# Alembic says "Context impl SQLiteImpl." and each step at INFO on every check; the
# commands print what they did themselves, and a CLI's output stays the command's own.
logging.getLogger("alembic").setLevel(logging.WARNING)

#: The PostgreSQL advisory lock that serialises upgrades between processes starting together.
_UPGRADE_LOCK_KEY = 0x5A3C_0E17
#: How to bring a database to this release's schema (printed in every refusal).
UPGRADE_COMMAND = "samskab db upgrade"


class SchemaMismatch(RuntimeError):
    """The database's schema revision is not the one this release needs."""

    def __init__(self, current: str | None, head: str, message: str) -> None:
        super().__init__(message)
        self.current, self.head = current, head


def config() -> Config:
    """Alembic's configuration, in code (the revisions ship inside the package)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    return cfg


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head_revision() -> str:
    """The revision this release's code needs."""
    head = _script().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine | Connection) -> str | None:
    """The database's revision (None when it has none); reads only, makes nothing."""
    if isinstance(engine, Connection):
        return MigrationContext.configure(engine).get_current_revision()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return inspect(conn).has_table("events")


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises its own errors for an id it does not have
        return False


def _explain(engine: Engine, current: str | None) -> str | None:
    """Why ``current`` will not do (None when it is the head)."""
    head = head_revision()
    if current == head:
        return None
    if current is None:
        what = (
            "has samskab's tables but no schema revision (made by a release before migrations)"
            if _has_tables(engine)
            else "has no samskab schema"
        )
        return f"the database {what}; this samskab needs revision {head}: run '{UPGRADE_COMMAND}' as the database owner"
    if not _known(current):
        return (
            f"the database is at schema revision {current}, newer than this samskab knows (it needs {head}): "
            "run the samskab release that upgraded it, or restore a backup made before"
        )
    return f"the database is at schema revision {current}, this samskab needs {head}: run '{UPGRADE_COMMAND}' as the database owner"


def check_revision(engine: Engine) -> None:
    """Raise SchemaMismatch unless the database is at this release's revision. No DDL."""
    current = current_revision(engine)
    problem = _explain(engine, current)
    if problem is not None:
        raise SchemaMismatch(current, head_revision(), problem)


def schema_revision_check(engine: Engine) -> tuple[bool, str]:
    """For a readiness probe: (ok, what was found)."""
    try:
        current = current_revision(engine)
    except Exception as err:  # noqa: BLE001 - the database is unreachable: the database check says so
        return False, f"schema revision unknown: {type(err).__name__}"
    problem = _explain(engine, current)
    return problem is None, problem or f"schema revision {current}"


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision`` (the owner's job); the revisions before and after.

    Runs in one transaction, behind a lock (PostgreSQL: an advisory lock; SQLite: the write
    lock of BEGIN IMMEDIATE), so processes starting together upgrade it once.
    """
    script = _script()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_UPGRADE_LOCK_KEY)))
        before = MigrationContext.configure(conn).get_current_revision()
        target = script.get_revision(revision).revision if revision != "head" else head_revision()
        if before == target:
            return before, target
        if before is not None and not _known(before):
            raise SchemaMismatch(before, target, _explain(engine, before) or "")

        def steps(rev, context):
            return script._upgrade_revs(revision, rev)

        with EnvironmentContext(config(), script, fn=steps, destination_rev=revision) as env:
            env.configure(connection=conn, target_metadata=None, transactional_ddl=True)
            with env.begin_transaction():
                env.run_migrations()
        return before, MigrationContext.configure(conn).get_current_revision() or target


def ensure_schema(engine: Engine, *, upgrade_allowed: bool) -> None:
    """At start: upgrade (development, tests) or only check (production) the schema."""
    if upgrade_allowed:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    else:
        check_revision(engine)


__all__ = [
    "UPGRADE_COMMAND",
    "SchemaMismatch",
    "check_revision",
    "config",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "schema_revision_check",
    "upgrade",
]
