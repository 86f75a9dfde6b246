"""The schema's revisions: ``samskab db upgrade`` makes what the code declares, adopts a
database made by the last release before revisions, and production start-up only checks."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from activities.eventlog import open_event_store
from app.settings import get_settings
from eventlog import EventStore
from eventlog.engines import make_engines
from eventlog.migrations import SchemaMismatch, check_revision, current_revision, head_revision, upgrade

REPO = Path(__file__).resolve().parents[2]


def _load_fixture_script():
    """The script that made the committed database (its constants: path, secrets, cases)."""
    path = Path(__file__).parent / "previous_release" / "make_fixture.py"
    spec = importlib.util.spec_from_file_location("previous_release_fixture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixture = _load_fixture_script()


def every_table_declared() -> list[sa.MetaData]:
    from app.api.idempotency import metadata as idempotency
    from eventlog.outbox import outbox_metadata
    from eventlog.schema import metadata as log
    from projections.schema import projection_metadata

    return [log, outbox_metadata, projection_metadata, idempotency]


def differences(engine: sa.Engine) -> list:
    with engine.connect() as conn:
        # alembic compares a list of MetaData as env.py's target_metadata does; its annotation names one
        found = compare_metadata(MigrationContext.configure(conn), every_table_declared())  # type: ignore[arg-type]
    return [d for d in found if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def test_upgrade_makes_exactly_the_tables_and_indexes_the_code_declares_on_sqlite(tmp_path):
    engines = make_engines(f"sqlite:///{tmp_path / 'e.db'}")
    try:
        before, after = upgrade(engines.write)
        assert (before, after) == (None, head_revision())
        assert differences(engines.write) == []
        assert upgrade(engines.write) == (head_revision(), head_revision())  # again: nothing to do
    finally:
        engines.dispose()


@pytest.mark.postgres
def test_upgrade_makes_exactly_the_tables_and_indexes_the_code_declares_on_postgres(postgres_url):
    schema = f"samskab_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engines = make_engines(postgres_url, {"options": f"-csearch_path={schema}"})
    try:
        upgrade(engines.write)
        assert differences(engines.write) == []
        with engines.write.connect() as conn:
            triggers = {row[0] for row in conn.execute(sa.text(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal"), {"s": schema})}  # fmt: skip
        assert {
            "events_append_only",
            "events_no_truncate",
            "log_head_forward_only",
            "merkle_frontier_grows_only",
        } <= triggers
    finally:
        engines.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_without_upgrade_a_fresh_database_is_refused_naming_both_revisions_and_nothing_is_made(tmp_path):
    database = tmp_path / "e.db"

    with pytest.raises(SchemaMismatch) as refused:
        open_event_store(f"sqlite:///{database}", upgrade=False)

    message = str(refused.value)
    assert "no samskab schema" in message and head_revision() in message and "samskab db upgrade" in message
    assert "\n" not in message
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []  # no DDL: not even Alembic's version table


def test_a_newer_revision_is_refused_and_not_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path / 'e.db'}"
    EventStore.from_url(url).create_schema()
    with sqlite3.connect(tmp_path / "e.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    engines = make_engines(url)
    try:
        with pytest.raises(SchemaMismatch) as refused:
            check_revision(engines.read)
        assert "0999" in str(refused.value) and head_revision() in str(refused.value) and "newer" in str(refused.value)
        with pytest.raises(SchemaMismatch):
            upgrade(engines.write)  # an older release never "upgrades" a newer schema
        assert current_revision(engines.read) == "0999"
    finally:
        engines.dispose()


def previous_release_copy(tmp_path: Path) -> Path:
    target = tmp_path / "eventlog.db"
    shutil.copy(make_fixture.DATABASE, target)
    return target


def test_a_database_of_the_previous_release_is_refused_in_production_until_upgraded(tmp_path):
    database = previous_release_copy(tmp_path)
    with pytest.raises(SchemaMismatch) as refused:
        open_event_store(f"sqlite:///{database}", upgrade=False)
    assert "before migrations" in str(refused.value) and "samskab db upgrade" in str(refused.value)


def test_upgrade_moves_the_event_logs_tree_into_its_head_and_rows_and_keeps_its_root(tmp_path):
    """0002: the events tree's frontier goes to log_head, its subtree roots to the events rows;
    the access log's tree stays; the root and every proof stay as they were."""
    from eventlog.merkle import Frontier, row_leaf, verify_inclusion
    from eventlog.merkle_store import NodeReader

    database = previous_release_copy(tmp_path)
    with sqlite3.connect(database) as conn:
        (size, packed) = conn.execute("SELECT size, frontier FROM merkle_frontier WHERE tree = 1").fetchone()
        old_nodes = dict(conn.execute("SELECT leaf + 1, hashes FROM merkle_nodes WHERE tree = 1").fetchall())
        access_before = conn.execute("SELECT * FROM merkle_frontier WHERE tree = 2").fetchall()
    assert size > 2 and old_nodes  # the fixture has a tree to move
    root = Frontier.from_bytes(size, packed).root()
    store = EventStore.from_url(f"sqlite:///{database}")
    try:
        upgrade(store.engines.write)
        assert differences(store.engines.write) == []
        with sqlite3.connect(database) as conn:
            assert conn.execute("SELECT position, frontier FROM log_head").fetchone() == (size, packed)
            moved = dict(conn.execute("SELECT position, merkle_nodes FROM events WHERE merkle_nodes IS NOT NULL"))
            assert moved == old_nodes
            assert conn.execute("SELECT count(*) FROM merkle_nodes WHERE tree = 1").fetchone() == (0,)
            assert conn.execute("SELECT * FROM merkle_frontier").fetchall() == access_before
            hashes = [h for (h,) in conn.execute("SELECT hash FROM events ORDER BY position")]
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the guards are back
                conn.execute("UPDATE events SET merkle_nodes = NULL")
        report = store.verify()
        assert report.ok and report.tree_root == root.hex()
        with store.engines.read.connect() as conn:
            reader = NodeReader(conn, 1)
            for index, row_hash in enumerate(hashes):
                verify_inclusion(index, size, row_leaf(row_hash), reader.inclusion_proof(index, size), root)
    finally:
        store.dispose()


@pytest.fixture
def previous_release(tmp_path, monkeypatch):
    """The committed database of the previous release, with the secrets it was made with."""
    database = previous_release_copy(tmp_path)
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("SAMSKAB_KEYSTORE_SECRET", make_fixture.KEYSTORE_SECRET)
    monkeypatch.setenv("SAMSKAB_CODEC_KEY", make_fixture.CODEC_KEY)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def test_db_upgrade_adopts_the_previous_release_and_its_chain_still_verifies(previous_release):
    from app.cli import app

    runner = CliRunner()
    rows_before = (
        sqlite3.connect(previous_release).execute("SELECT position, hash FROM events ORDER BY position").fetchall()
    )

    assert runner.invoke(app, ["db", "current"]).exit_code == 1
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from none to revision {head_revision()}" in upgraded.output
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and f"database: {head_revision()}" in current.output

    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    with sqlite3.connect(previous_release) as conn:
        assert conn.execute("SELECT position, hash FROM events ORDER BY position").fetchall() == rows_before
        assert conn.execute("SELECT count(*) FROM access_log").fetchone() == (2,)

    from app.tokens import issue_token

    token = issue_token(get_settings(), person_id="ida", role="auditor")
    shown = runner.invoke(app, ["audit", "events", make_fixture.CASES[0], "--token", token, "--purpose", "efter opgradering", "--json"],
                          env={"COLUMNS": "200"})  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)[0]["payload"]["citizen"]["name"] == make_fixture.CITIZENS[make_fixture.CASES[0]][1]
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0  # the read was chained into the access log


def test_db_upgrade_keeps_the_previous_release_read_models(previous_release):
    engines = make_engines(f"sqlite:///{previous_release}")
    try:
        upgrade(engines.write)
        with engines.read.connect() as conn:
            cases = conn.execute(sa.text("SELECT count(*) FROM case_summaries")).scalar()
            position = conn.execute(sa.text("SELECT position FROM projection_state WHERE name = 'cases'")).scalar()
        assert cases == 3 and position == 4  # not rebuilt, not emptied
        assert differences(engines.write) == []
    finally:
        engines.dispose()


def test_production_cli_api_and_worker_refuse_an_old_schema_in_one_line(previous_release, tmp_path):
    """The CLI, the API and the worker as processes, in production (a Temporal of its own): one line, no traceback."""
    from app.keys import init_secrets
    from app.settings import Settings

    init_secrets(Settings(data_dir=tmp_path))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKAB_")}
    environment.update(SAMSKAB_DATA_DIR=str(tmp_path), SAMSKAB_DATABASE_URL=f"sqlite:///{previous_release}",
                       SAMSKAB_TEMPORAL_ADDRESS="temporal.kommune.example:7233",
                       SAMSKAB_JWT_KEY="x" * 64, SAMSKAB_KEYSTORE_SECRET=make_fixture.KEYSTORE_SECRET,
                       SAMSKAB_CODEC_KEY=make_fixture.CODEC_KEY, SAMSKAB_ALLOW_LOCAL_ADMIN="true", COLUMNS="300")  # fmt: skip
    for command in (["-m", "app", "audit", "events", "K-2026-0001", "--local-admin", "--as", "auditor:ida", "--purpose", "x"],
                    ["-m", "app", "serve", "--port", "1"],  # refused before uvicorn starts
                    [str(REPO / "worker.py")]):  # refused before it connects to Temporal  # fmt: skip
        run = subprocess.run(
            [sys.executable, *command], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
        )
        assert run.returncode != 0, (command, run.stdout + run.stderr)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in run.stderr, (command, run.stderr)
        assert "before migrations" in lines[0] and head_revision() in lines[0] and "samskab db upgrade" in lines[0], (
            lines
        )
    assert current_revision(make_engines(f"sqlite:///{previous_release}").read) is None  # nothing was changed


def test_a_later_revision_adds_a_column_that_create_all_would_have_skipped(tmp_path, monkeypatch):
    """What revisions are for: a column added to an existing table. Until it is applied,
    production start-up refuses naming both revisions; 'db upgrade' adds it, rows kept."""
    from alembic.script import ScriptDirectory

    import eventlog.migrations as migrations

    url = f"sqlite:///{tmp_path / 'e.db'}"
    store = EventStore.from_url(url)
    store.create_schema()  # at the head (0004), with a row in a table the revision changes
    with store.engines.write.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO projection_state (name, position, generation, updated_at) VALUES ('x', 0, 1, 't')")
        )
    store.dispose()

    later = tmp_path / "migrations"
    shutil.copytree(Path(migrations.__file__).parent / "versions", later / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    (later / "versions" / "0005_priority.py").write_text(
        'revision = "0005"\ndown_revision = "0004"\nbranch_labels = None\ndepends_on = None\n'
        "import sqlalchemy as sa\nfrom alembic import op\n\n\n"
        "def upgrade():\n    op.add_column('projection_state', sa.Column('priority', sa.String(10), nullable=True))\n"
    )
    monkeypatch.setattr(migrations, "_script", lambda: ScriptDirectory(str(later)))
    engines = make_engines(url)
    try:
        with pytest.raises(SchemaMismatch) as refused:
            check_revision(engines.read)
        assert "at schema revision 0004, this samskab needs 0005" in str(refused.value)
        assert upgrade(engines.write) == ("0004", "0005")
        with engines.read.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("projection_state")}
            kept = conn.execute(sa.text("SELECT name FROM projection_state")).scalars().all()
        assert "priority" in columns and kept == ["x"]
        check_revision(engines.read)  # now at the head
    finally:
        engines.dispose()


def test_an_index_an_earlier_release_made_and_this_one_replaced_is_dropped(tmp_path):
    database = previous_release_copy(tmp_path)
    with sqlite3.connect(database) as conn:  # as releases before the (stream_id, position) index made it
        conn.execute("CREATE INDEX ix_access_log_stream_id ON access_log (stream_id)")
    engines = make_engines(f"sqlite:///{database}")
    try:
        upgrade(engines.write)
        assert differences(engines.write) == []
    finally:
        engines.dispose()


def test_upgrade_to_0004_reads_a_groups_items_by_their_own_index_and_dates_items_with_none(tmp_path):
    """Revision 0004: the group's index holds the person, and an item with no due date holds
    NO_DEADLINE (it sorts last along the indexes), the rows projected before it changed so."""
    from projections.schema import NO_DEADLINE

    url = f"sqlite:///{tmp_path / 'e.db'}"
    store = EventStore.from_url(url)
    store.create_schema()
    with store.engines.write.begin() as conn:  # the database as revision 0003 left it
        conn.execute(sa.text("DROP INDEX ix_work_items_group_due"))
        conn.execute(sa.text("CREATE INDEX ix_work_items_role_due ON work_items (generation, role, due_at)"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
        conn.execute(
            sa.text("INSERT INTO work_items (generation, case_id, seq, kind, what, role, person_id, due_at) VALUES "
                    "(1, 'c-1', 0, 'open_visitation', 'åbn', 'caseworkers', NULL, NULL), "
                    "(1, 'c-2', 0, 'make_decision', 'træf', 'caseworkers', 'cw-1', '2027-01-02T03:04:05.000000Z')")
        )  # fmt: skip
    try:
        assert upgrade(store.engines.write) == ("0003", "0004")
        assert differences(store.engines.write) == []
        with store.engines.read.connect() as conn:
            dues: dict[str, str] = dict(conn.execute(sa.text("SELECT case_id, due_at FROM work_items")).all())
        assert dues == {"c-1": NO_DEADLINE, "c-2": "2027-01-02T03:04:05.000000Z"}
    finally:
        store.dispose()
