"""Least privilege on PostgreSQL: the application's role, with the grants of
``samskab db grants``, appends, reads and projects, but cannot rewrite the logs or touch
their triggers (only the owner, who ran ``samskab db upgrade``, could)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from app.keys import open_key_store
from app.settings import Settings
from domain.case.need import Need, NeedRegistered, ReportedBy
from domain.citizen import Citizen
from domain.messages import Actor, Role
from eventlog.access_log import AccessLog
from eventlog.engines import make_engines
from eventlog.migrations import upgrade
from eventlog.migrations.grants import APP_PRIVILEGES, grant_statements
from projections.setup import build_projector

pytestmark = pytest.mark.postgres

FORBIDDEN_ON_THE_LOGS = [
    "UPDATE {t} SET actor_id = 'mallory'",
    "DELETE FROM {t}",
    "TRUNCATE {t}",
    "ALTER TABLE {t} DISABLE TRIGGER ALL",
    "DROP TRIGGER {t}_append_only ON {t}",
    "DROP TABLE {t}",
]


@pytest.fixture
def owner_and_app(postgres_url, tmp_path):
    """A schema upgraded by the owner, and a new login role with only the application's grants."""
    schema = f"samskab_lp_{uuid.uuid4().hex[:12]}"
    role = f"samskab_app_{uuid.uuid4().hex[:12]}"
    owner = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with owner.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD 'app-secret' NOSUPERUSER NOCREATEDB NOCREATEROLE"))
    owner_engines = make_engines(postgres_url, {"options": f"-csearch_path={schema}"})
    upgrade(owner_engines.write)
    owner_engines.dispose()
    app_url = make_url(postgres_url).set(username=role, password="app-secret").render_as_string(hide_password=False)
    try:
        yield schema, role, app_url
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        owner.dispose()


def test_every_table_the_revisions_make_has_a_decision_in_the_grants(owner_and_app, postgres_url):
    schema, _, _ = owner_and_app
    engine = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
    engine.dispose()
    assert tables == set(APP_PRIVILEGES)


def test_the_app_role_appends_reads_and_projects_but_cannot_rewrite_the_logs(owner_and_app, postgres_url, tmp_path):
    schema, role, app_url = owner_and_app
    printed = CliRunner().invoke(
        __import__("app.cli", fromlist=["app"]).app, ["db", "grants", "--role", role, "--schema", schema]
    )
    assert printed.exit_code == 0 and f"GRANT SELECT, INSERT ON TABLE {schema}.events TO {role};" in printed.output
    owner = sa.create_engine(postgres_url, poolclass=sa.NullPool)
    with owner.begin() as conn:
        for statement in grant_statements(role, schema):
            conn.exec_driver_sql(statement)
    owner.dispose()

    connect = {"options": f"-csearch_path={schema}"}
    settings = Settings(data_dir=tmp_path, keystore_secret=base64.b64encode(b"k" * 32).decode())
    from eventlog import EventStore
    from eventlog.migrations import ensure_schema

    store = EventStore.from_url(app_url, connect_args=connect)
    try:
        ensure_schema(store.engines.write, upgrade_allowed=False)  # the start-up check: reads only
        keys = open_key_store(store, settings)
        event = NeedRegistered(occurred_at=datetime.now(UTC), actor=Actor(id="cw-anne", role=Role.CASEWORKER), case_id="K-1",
                               citizen=Citizen(cpr="0412981234", name="Jonas Holm"),
                               need=Need(description="Vil gerne have et job", reported_by=ReportedBy.CASEWORKER))  # fmt: skip
        store.append("K-1", 0, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, "K-1")])
        assert [e.event_type for e in store.read_stream("K-1")] == ["need_registered"]
        AccessLog(store.engines).record(
            actor_id="ida", actor_role="auditor", stream_id="K-1", what="events", purpose="revision"
        )
        projector = build_projector(store, keys, settings.deadlines)
        assert projector.run_once() >= 1
        with store.engines.read.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM case_summaries")).scalar() == 1
        assert store.verify().ok

        app = sa.create_engine(app_url, poolclass=sa.NullPool, connect_args=connect)
        refused = []
        for table in ("events", "access_log"):
            for template in FORBIDDEN_ON_THE_LOGS:
                statement = template.format(t=table)
                with app.connect() as conn:
                    with pytest.raises(sa.exc.ProgrammingError) as error:
                        conn.exec_driver_sql(statement)
                    conn.rollback()
                refused.append((statement, type(error.value.orig).__name__))
        app.dispose()
        assert {kind for _, kind in refused} == {"InsufficientPrivilege"}, refused
        assert store.verify().ok  # all still there
    finally:
        store.dispose()


def test_grants_refuse_a_role_name_that_is_not_plain():
    with pytest.raises(ValueError, match="role"):
        grant_statements("app; DROP TABLE events")
