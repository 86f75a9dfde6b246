"""The command line proves who you are like the API does: a bearer token, or the
operator's explicit ``--local-admin``; every read passes the permission matrix
and is in the access log (refused reads too) before anything is shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import typer
from typer.testing import CliRunner

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.identity import LOCAL_ADMIN_ROLE, authenticate
from app.keys import open_key_store
from app.settings import Settings, get_settings
from app.tokens import issue_token
from domain.case.need import Need, NeedRegistered, ReportedBy
from domain.citizen import Citizen
from domain.messages import Actor, Role
from eventlog.access_log import AccessLog

CW = Actor(id="cw-anne", role=Role.CASEWORKER)
CPR = "041298-1234"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{tmp_path / 'eventlog.db'}")
    monkeypatch.delenv("SAMSKAB_TOKEN", raising=False)
    get_settings.cache_clear()
    from app.cli import app

    runner = CliRunner()
    yield lambda *args, env=None: runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    get_settings.cache_clear()


@pytest.fixture
def case(cli, tmp_path) -> str:
    settings = get_settings()
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    event = NeedRegistered(
        occurred_at=datetime.now(UTC),
        actor=CW,
        case_id="K-1",
        citizen=Citizen(cpr=CPR, name="Jonas Holm"),
        need=Need(description="Vil gerne have et job", reported_by=ReportedBy.CASEWORKER),
    )
    store.append("K-1", 0, [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), keys, "K-1")])
    store.dispose()
    return "K-1"


def reads() -> list:
    store = open_event_store(get_settings().database_url)
    try:
        return AccessLog(store.engines).for_case("K-1")
    finally:
        store.dispose()


def token(role: str, user: str, cpr: str | None = None, settings: Settings | None = None) -> str:
    return issue_token(settings or get_settings(), person_id=user, role=role, cpr=cpr)


def test_a_typed_name_is_not_an_identity_the_read_is_refused_and_shows_nothing(cli, case):
    forged = cli("case", "show", case, "--as", "citizen:fake", "--purpose", "nysgerrig", "--as-of", "1")
    assert forged.exit_code == 2 and "rule: access.actor_required" in forged.output
    assert "Jonas" not in forged.output and CPR not in forged.output
    also = cli("audit", "events", case, "--as", "auditor:ida", "--purpose", "revision", "--json")
    assert also.exit_code == 2 and "Jonas" not in also.output
    assert reads() == []


def test_a_token_signed_with_another_key_is_refused(cli, case):
    other = Settings(jwt_key="a-key-an-attacker-chose-" + "x" * 40)
    forged = cli(
        "audit", "events", case, "--token", token("auditor", "ida", settings=other), "--purpose", "r", "--json"
    )
    assert forged.exit_code == 2 and "rule: access.token_invalid" in forged.output and "Jonas" not in forged.output
    assert reads() == []


def test_a_citizen_s_token_opens_only_their_own_case_and_the_refusal_is_logged(cli, case):
    someone_else = cli(
        "audit", "access", case, "--token", token("citizen", "eve", "010101-0101"), "--purpose", "indsigt"
    )
    assert someone_else.exit_code == 3 and "rule: access.denied" in someone_else.output
    [refused] = reads()
    assert refused.actor_id == "eve" and refused.what.startswith("refused:read_access_log")
    own = cli("audit", "access", case, "--token", token("citizen", "jonas", CPR), "--purpose", "indsigt (art. 15)")
    assert own.exit_code == 0 and "eve" in own.output


def test_an_administrator_s_token_does_not_read_a_case(cli, case):
    refused = cli("audit", "events", case, "--token", token("administrator", "ole"), "--purpose", "drift", "--json")
    assert refused.exit_code == 3 and "Jonas" not in refused.output


def test_the_token_may_come_from_the_environment(cli, case):
    shown = cli(
        "case",
        "show",
        case,
        "--purpose",
        "visitation",
        "--as-of",
        "1",
        "--json",
        env={"SAMSKAB_TOKEN": token("caseworker", "cw-anne")},
    )
    assert shown.exit_code == 0, shown.output
    assert "Jonas Holm" in shown.output
    [read] = reads()
    assert (read.actor_id, read.actor_role, read.purpose) == ("cw-anne", "caseworker", "visitation")


def test_the_kl_gateway_report_of_a_citizen_needs_a_token_and_a_purpose_and_is_logged(cli, case):
    anonymous = cli("report", "kl-gateway", "--citizen", case, "--day", "2026-03-02")
    assert anonymous.exit_code == 2 and CPR.replace("-", "") not in anonymous.output and reads() == []
    cw = token("caseworker", "cw-anne")
    no_purpose = cli("report", "kl-gateway", "--citizen", case, "--day", "2026-03-02", "--token", cw)
    assert no_purpose.exit_code == 2 and "rule: access.purpose_required" in no_purpose.output
    made = cli(
        "report", "kl-gateway", "--citizen", case, "--day", "2026-03-02", "--token", cw, "--purpose", "FFB-indberetning"
    )
    assert made.exit_code in (0, 1), made.output
    [read] = reads()
    assert read.actor_id == "cw-anne" and read.purpose == "FFB-indberetning" and "kl-gateway" in read.what


def test_local_admin_mode_is_explicit_applies_the_matrix_and_is_logged_as_such(cli, case):
    outsider = cli("audit", "events", case, "--local-admin", "--as", "citizen:fake", "--purpose", "x", "--json")
    assert outsider.exit_code == 3 and "Jonas" not in outsider.output
    shown = cli("audit", "trail", case, "--local-admin", "--as", "auditor:ida", "--purpose", "revision")
    assert shown.exit_code == 0, shown.output
    refused, allowed = reads()
    assert refused.actor_role == allowed.actor_role == LOCAL_ADMIN_ROLE
    assert "[local-admin as auditor:ida]" in allowed.what and "[local-admin as citizen:fake]" in refused.what


def test_local_admin_mode_is_refused_in_production_unless_allowed():
    production = Settings(env="production")
    with pytest.raises(typer.Exit):
        authenticate(None, "auditor:ida", True, production)
    allowed = authenticate(None, "auditor:ida", True, Settings(env="production", allow_local_admin=True))
    assert allowed.local_admin and allowed.logged_role == LOCAL_ADMIN_ROLE


def test_a_token_and_a_typed_name_together_are_refused(cli, case):
    both = cli("audit", "trail", case, "--token", token("auditor", "ida"), "--as", "caseworker:anne", "--purpose", "x")
    assert both.exit_code == 2 and reads() == []
