"""``samskab audit`` as a person uses it: reads recorded with who and why, a
checkpoint and an export checked without the database, erasure that keeps the chain."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.keys import open_key_store
from app.settings import Settings, get_settings
from domain.case.closing import CaseClosed
from domain.case.need import Need, NeedRegistered, ReportedBy
from domain.citizen import Citizen
from domain.messages import Actor, Role

CW = Actor(id="cw-anne", role=Role.CASEWORKER)


def token(role: str, user: str, cpr: str | None = None) -> str:
    """A bearer token as the CLI takes it (``--token``), signed with the installation's key."""
    from app.tokens import issue_token

    return issue_token(get_settings(), person_id=user, role=role, cpr=cpr)


def as_(role: str, user: str, cpr: str | None = None) -> tuple[str, str]:
    return ("--token", token(role, user, cpr))


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{tmp_path / 'eventlog.db'}")
    get_settings.cache_clear()
    from app.cli import app

    runner = CliRunner()
    yield lambda *args: runner.invoke(app, ["audit", *args], env={"COLUMNS": "200"})
    get_settings.cache_clear()


@pytest.fixture
def case(cli, tmp_path) -> str:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'eventlog.db'}")
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    now = datetime.now(UTC)
    events = [
        NeedRegistered(
            occurred_at=now,
            actor=CW,
            case_id="K-1",
            citizen=Citizen(cpr="0412981234", name="Jonas Holm"),
            need=Need(description="Vil gerne have et job", reported_by=ReportedBy.CASEWORKER),
        ),
        CaseClosed(occurred_at=now, actor=CW, reason="Målet er nået"),
    ]
    store.append(
        "K-1", 0, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, "K-1") for e in events]
    )
    store.dispose()
    return "K-1"


def test_reads_need_a_reader_and_a_purpose_and_the_citizen_sees_them(cli, case):
    refused = cli("events", case, *as_("auditor", "ida"), "--purpose", " ")
    assert refused.exit_code == 2 and "say why you read this" in refused.output

    shown = cli("events", case, *as_("auditor", "ida"), "--purpose", "årlig revision", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)[0]["payload"]["citizen"]["name"] == "Jonas Holm"

    seen = cli("access", case, *as_("citizen", "jonas", "041298-1234"), "--purpose", "indsigt (art. 15)")
    assert seen.exit_code == 0
    assert "ida" in seen.output and "årlig revision" in seen.output and "access_log" in seen.output


def test_checkpoint_verify_export_verify_export_and_erase(cli, case, tmp_path, monkeypatch):
    checkpoint = tmp_path / "outside" / "cp.json"
    assert cli("checkpoint", "--out", str(checkpoint)).exit_code == 0
    verified = cli("verify", "--checkpoint", str(checkpoint))
    assert verified.exit_code == 0 and "signed head(s) vouch for" in verified.output
    grown = cli("verify", "--since", str(checkpoint))
    assert grown.exit_code == 0 and "consistency proof" in grown.output

    out = tmp_path / "outside" / "all.jsonl"
    exported = cli("export", "--all", "--out", str(out), *as_("auditor", "ida"), "--purpose", "revision")
    assert exported.exit_code == 0, exported.output
    assert "Jonas" not in out.read_text() and "0412981234" not in out.read_text()
    alone = cli("verify-export", str(out))
    assert alone.exit_code == 0 and "export OK" in alone.output

    proofs = tmp_path / "outside" / "proofs.jsonl"
    proven = cli("prove", case, "--out", str(proofs), *as_("auditor", "ida"), "--purpose", "revision")
    assert proven.exit_code == 0, proven.output
    assert cli("verify-export", str(proofs)).exit_code == 0

    wrong_role = cli("erase", "041298-1234", "--basis", "GDPR art. 17", *as_("caseworker", "anne"))
    assert wrong_role.exit_code == 1 and "rule: erasure.role_not_allowed" in wrong_role.output
    kept = cli("erase", "041298-1234", "--basis", "GDPR art. 17(1)(a)", *as_("administrator", "ole"))
    assert kept.exit_code == 1 and "rule: erasure.retention_running" in kept.output  # GDPR art. 17(3)(b)
    monkeypatch.setenv(
        "SAMSKAB_RETENTION", '{"by_kind": {"social_service": {"years": 0, "source": "testens kassationsplan"}}}'
    )
    get_settings.cache_clear()
    erased = cli("erase", "041298-1234", "--basis", "GDPR art. 17(1)(a)", *as_("administrator", "ole"))
    assert erased.exit_code == 0, erased.output
    assert cli("verify", "--checkpoint", str(checkpoint)).exit_code == 0
    after = cli("events", case, *as_("auditor", "ida"), "--purpose", "kontrol", "--json")
    assert "Jonas" not in after.output and "[slettet]" in after.output

    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    broken = cli("verify-export", str(out))
    assert broken.exit_code == 1 and "gap" in broken.output


def test_verify_never_creates_a_database_and_names_a_wrong_path(tmp_path, monkeypatch):
    misspelt = tmp_path / "no-such-dir" / "eventlog.db"
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{misspelt}")
    get_settings.cache_clear()
    from app.cli import app

    result = CliRunner().invoke(app, ["audit", "verify"], env={"COLUMNS": "200"})
    get_settings.cache_clear()

    assert result.exit_code == 2 and str(misspelt) in result.output and "does not exist" in result.output
    assert not misspelt.exists() and not misspelt.parent.exists()


def test_verify_does_not_recreate_a_dropped_trigger_or_a_deleted_head(cli, case, tmp_path):
    import sqlite3

    db = tmp_path / "eventlog.db"
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER log_head_no_delete")
    conn.execute("DELETE FROM log_head")
    conn.commit()
    conn.close()

    result = cli("verify")

    assert result.exit_code == 1 and "head_mismatch" in result.output and "log_head_no_delete" in result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM log_head").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'log_head_no_delete'").fetchone() == (0,)
    conn.close()


def test_bad_input_is_a_clear_error_and_writes_nothing(cli, case, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "samskab-tree-head/1", "events": {"size": "x"}}')
    assert cli("verify", "--since", str(bad)).exit_code == 2
    bad.write_text("not json")
    malformed = cli("verify", "--since", str(bad))
    assert malformed.exit_code == 2 and "not JSON" in malformed.output

    before = cli("access", case, *as_("auditor", "ida"), "--purpose", "count").output.count("auditor")
    none = cli("prove", "K-404", "--out", str(tmp_path / "p.jsonl"), *as_("auditor", "ida"), "--purpose", "p")
    assert none.exit_code == 1 and "no events for case K-404" in none.output and not (tmp_path / "p.jsonl").exists()
    after = cli("access", case, *as_("auditor", "ida"), "--purpose", "count").output.count("auditor")
    assert after == before + 1  # only the second listing itself was recorded
