"""Erasure end to end, as the security review asked: run the demo's three
citizens, erase them all with the CLI, then scan everything the installation
wrote for every personal string the scenario put in: the event log's database
(every table, raw: SQLite's file and its WAL, or every PostgreSQL table as
text), the outbox (in the same database), the audit folder, the secrets
folder, the Temporal dev server's own database and its log, and the
structured log lines the processes printed. Zero hits, and the chain still
verifies.

The personal strings are not typed into the test: they are read back from the
log before the erasure, through the one decoding path, at the fields the event
classes mark personal (``domain.personal_data.personal_paths``), plus the
letters in the outbox, the CPR numbers and the names. A scan that found
nothing because it read nothing would pass too, so it must first find public
strings (case ids, event types) in the same places.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.devstack import free_port

pytestmark = pytest.mark.e2e

#: Shorter strings (a first name alone, "ja") hit by chance in binary pages and say nothing.
MIN_LENGTH = 6
ERASE_BASIS = "GDPR art. 17(1)(a)"
#: The municipality's kassationsplan in this test: no retention, so the closed cases may be erased at once.
NO_RETENTION = json.dumps({"by_kind": {"social_service": {"years": 0, "source": "testens kassationsplan: 0 år"}}})
#: A structured log line (structlog's console or JSON renderer), as opposed to the demo's narration.
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\S+ \[|\{\")")


def samskab(*args: str, env: dict[str, str], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "samskab"), *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def values_at(node: Any, path: str) -> list[Any]:
    """The values at a declared path (``a.b``, ``a[*].b``) of a payload."""
    found = [node]
    for part in path.split("."):
        many = part.endswith("[*]")
        name = part[:-3] if many else part
        step = []
        for value in found:
            if isinstance(value, dict) and name in value:
                inner = value[name]
                step.extend(inner if many and isinstance(inner, list) else [inner])
        found = step
    return found


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def searchable(text: str) -> set[str]:
    """A text and each of its lines, long enough to mean something."""
    pieces = {text, *text.splitlines()}
    return {p.strip() for p in pieces if len(p.strip()) >= MIN_LENGTH}


def personal_strings(env: dict[str, str]) -> tuple[set[str], list[str]]:
    """Every personal string in the log and the outbox, read as the system reads them; and the case ids.

    A text that the log also holds in a public field (an actor id, the standard
    klagevejledning a letter quotes) is public; any other line of a letter is personal."""
    from activities.readmodels import readable_payload
    from app.demo_citizens import demo_citizens
    from app.keys import open_key_store
    from app.settings import Settings
    from domain.personal_data import personal_paths
    from eventlog import EventStore
    from eventlog.outbox import Outbox

    # the children's settings, from the same environment
    settings = Settings(
        _env_file=None, data_dir=Path(env["SAMSKAB_DATA_DIR"]), database_url=env["SAMSKAB_DATABASE_URL"]
    )
    store = EventStore.from_url(settings.database_url)
    try:
        keys = open_key_store(store, settings)
        found: set[str] = set()
        # What the log holds as public facts (actor ids, the standard klagevejledning a letter
        # quotes, codes): a letter's line that is one of them is no personal string.
        public: set[str] = set()
        cases = []
        for stored in store.read_all(limit=1_000_000):
            if stored.stream_version == 1 and stored.event_type == "need_registered":
                cases.append(stored.stream_id)
            payload, erased = readable_payload(stored, keys)
            assert not erased, f"an event was erased before the test erased anyone: {stored.event_type}"
            personal = {text for path in personal_paths(stored.event_type)
                        for value in values_at(payload, path) for text in strings_in(value)}  # fmt: skip
            for text in personal:
                found |= searchable(text)
            public |= {stored.actor_id, stored.stream_id, *(t for t in strings_in(payload) if t not in personal)}
        outbox = Outbox(settings.database_url, keys)
        for case_id in cases:
            for message in outbox.for_case(case_id):
                found |= searchable(message.subject) | searchable(message.body)
    finally:
        store.dispose()
    found -= public
    for citizen in demo_citizens():
        found |= {citizen.name, citizen.cpr, citizen.cpr.replace("-", "")}
    return found, cases


def forms_of(text: str) -> set[bytes]:
    """The ways a text can sit in a file: UTF-8, and JSON-escaped (ASCII-only encoders)."""
    return {text.encode(), json.dumps(text)[1:-1].encode(), json.dumps(text, ensure_ascii=False)[1:-1].encode()}


def hits(strings: set[str], places: dict[str, bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for text in sorted(strings):
        where = [name for name, blob in places.items() if any(form in blob for form in forms_of(text))]
        if where:
            found[text] = where
    return found


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def tables_as_text(url: str) -> dict[str, bytes]:
    """Every table of a PostgreSQL database, each row as its text form (what a dump would hold)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).scalars().all()  # fmt: skip
            return {name: "\n".join(conn.execute(sa.text(f"SELECT t::text FROM {name} t")).scalars()).encode()
                    for name in names}  # fmt: skip
    finally:
        engine.dispose()


def run_demo_and_erase(tmp_path: Path, database_url: str) -> tuple[dict[str, str], set[str], list[str], str]:
    env = {
        **os.environ,
        "SAMSKAB_DATA_DIR": str(tmp_path / "data"),
        "SAMSKAB_DATABASE_URL": database_url,
        "SAMSKAB_DEV_SERVER_PORT": str(free_port()),
        "SAMSKAB_DEV_UI_PORT": str(free_port()),
        "SAMSKAB_TEMPORAL_ADDRESS": "",
        "SAMSKAB_RETENTION": NO_RETENTION,
        "COLUMNS": "160",
    }
    demo = samskab("demo", env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    secrets, cases = personal_strings(env)
    assert len(cases) == 3 and len(secrets) > 30, (cases, len(secrets))
    printed = demo.stdout + demo.stderr
    from app.demo_citizens import demo_citizens

    for citizen in demo_citizens():
        erased = samskab("audit", "erase", citizen.cpr, "--basis", ERASE_BASIS, "--local-admin", "--as",
                         "administrator:ole", env=env, cwd=tmp_path, timeout=120)  # fmt: skip
        assert erased.returncode == 0, erased.stdout + erased.stderr
        assert "Erased: key" in erased.stdout
        printed += erased.stderr
    verified = samskab("audit", "verify", env=env, cwd=tmp_path, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    logs = "\n".join(line for line in printed.splitlines() if LOG_LINE.match(line))
    return env, secrets, cases, logs


def assert_erased_everywhere(secrets: set[str], cases: list[str], places: dict[str, bytes], log_place: str) -> None:
    # The scan reads what it claims to: public facts are in the same places.
    log_places = {name: blob for name, blob in places.items() if name != log_place}
    public = hits({cases[0], "need_registered", "personal_data_erased"}, log_places)
    assert set(public) == {cases[0], "need_registered", "personal_data_erased"}, public
    left = hits(secrets, places)
    assert left == {}, f"personal data left after erasure: {json.dumps(left, ensure_ascii=False, indent=1)[:3000]}"


def test_after_erasing_every_demo_citizen_no_personal_string_is_left_in_sqlite_temporal_or_the_logs(tmp_path: Path):
    env, secrets, cases, logs = run_demo_and_erase(tmp_path, f"sqlite:///{tmp_path / 'data' / 'eventlog.db'}")
    data = Path(env["SAMSKAB_DATA_DIR"])
    places = files_under(data)
    assert "eventlog.db" in places and "temporal.db" in places  # the log's and Temporal's own databases
    places["printed log lines"] = logs.encode()
    assert_erased_everywhere(secrets, cases, places, "printed log lines")


@pytest.mark.postgres
def test_after_erasing_every_demo_citizen_no_personal_string_is_left_in_postgresql(tmp_path: Path):
    base = os.environ.get("SAMSKAB_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"samskab_erasure_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        env, secrets, cases, logs = run_demo_and_erase(tmp_path, url)
        places = {f"table {table}": rows for table, rows in tables_as_text(url).items()}
        assert any("events" in table for table in places) and any("outbox" in table for table in places)
        places.update(files_under(Path(env["SAMSKAB_DATA_DIR"])))
        places["printed log lines"] = logs.encode()
        assert_erased_everywhere(secrets, cases, places, "printed log lines")
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
