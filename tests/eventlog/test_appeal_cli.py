"""``samskab appeal``: who may give which command (refused before anything reaches the
appeal), input named by its option, and ``show`` reading every decision's appeal
from the event log with the read in the access log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from activities.eventlog import open_event_store, to_new_event
from activities.messages import RecordedEvent
from app.keys import open_key_store
from app.settings import get_settings
from app.tokens import issue_token
from domain.appeal import AppealChannel, AppealLodged, AppealWindowOpened, appeal_id
from domain.appeal_window import appeal_window_ends
from domain.case.decision import DecisionMade, Outcome
from domain.case.need import Need, NeedRegistered, ReportedBy
from domain.citizen import Citizen
from domain.messages import SYSTEM_ACTOR, Actor, Role
from eventlog.access_log import AccessLog

CW = Actor(id="cw-anne", role=Role.CASEWORKER)
CPR = "041298-1234"
DECIDED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday: the window's 28th day is Christmas Day


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMSKAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMSKAB_DATABASE_URL", f"sqlite:///{tmp_path / 'eventlog.db'}")
    monkeypatch.delenv("SAMSKAB_TOKEN", raising=False)
    get_settings.cache_clear()
    from app.cli import app

    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), env={"COLUMNS": "200"})
    get_settings.cache_clear()


def _append(store, keys, stream: str, version: int, events: list, key_of: str) -> None:
    store.append(
        stream,
        version,
        [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, key_of) for e in events],
    )


@pytest.fixture
def case(cli) -> str:
    settings = get_settings()
    store = open_event_store(settings.database_url)
    keys = open_key_store(store, settings)
    registered = NeedRegistered(occurred_at=DECIDED - timedelta(days=30), actor=CW, case_id="K-1",
                                citizen=Citizen(cpr=CPR, name="Jonas Holm"),
                                need=Need(description="Vil gerne have et job", reported_by=ReportedBy.CASEWORKER))  # fmt: skip
    decided = DecisionMade(occurred_at=DECIDED, actor=CW, outcome=Outcome.REFUSED, services=(), reasons="Ikke omfattet",
                           appeal_guidance="Du kan klage inden 4 uger", rests_on=("SEL § 85",))  # fmt: skip
    _append(store, keys, "K-1", 0, [registered, decided], "K-1")
    opened = AppealWindowOpened(occurred_at=DECIDED, actor=SYSTEM_ACTOR, case_id="K-1", decision_number=1,
                                outcome="refused", decided_at=DECIDED, window_ends_at=appeal_window_ends(DECIDED))  # fmt: skip
    lodged = AppealLodged(occurred_at=DECIDED + timedelta(days=40), actor=CW, complaint="Ringede: vil have hjælp",
                          late=True, late_by=timedelta(days=4), reconsideration_due_at=DECIDED + timedelta(days=68),
                          channel=AppealChannel.PHONE, received_on=date(2027, 1, 1), late_reason="Var indlagt")  # fmt: skip
    _append(store, keys, appeal_id("K-1", 1), 0, [opened, lodged], "K-1")
    store.dispose()
    return "K-1"


def token(role: str, user: str, cpr: str | None = None) -> str:
    return issue_token(get_settings(), person_id=user, role=role, cpr=cpr)


def test_show_reads_the_appeal_from_the_log_with_its_last_day_and_logs_the_read(cli, case):
    result = cli("appeal", "show", case, "--token", token("caseworker", "cw-anne"), "--purpose", "klagesag")
    assert result.exit_code == 0, result.output
    assert "28.12.2026" in result.output  # Christmas Day and Boxing Day (a Saturday), then Sunday: Monday 28th
    assert "01.01.2027 (phone)" in result.output and "ja" in result.output
    store = open_event_store(get_settings().database_url)
    try:
        assert any("appeals (samskab appeal show)" in r.what for r in AccessLog(store.engines).for_case(case))
    finally:
        store.dispose()
    as_json = cli("appeal", "show", case, "--token", token("caseworker", "cw-anne"), "--purpose", "klagesag", "--json")
    assert '"last_day": "2026-12-28"' in as_json.output


def test_refusals_before_the_appeal_is_reached(cli, case):
    citizen = token("citizen", "jonas", CPR)
    register = cli("appeal", "register", case, "--channel", "phone", "--received-on", "2026-12-01", "--complaint", "x x x",
                   "--token", citizen)  # fmt: skip
    assert register.exit_code == 3 and "access.denied" in register.output
    lodge_by_caseworker = cli(
        "appeal", "lodge", case, "--complaint", "For borgeren", "--token", token("caseworker", "cw-anne")
    )
    assert lodge_by_caseworker.exit_code == 3 and "access.denied" in lodge_by_caseworker.output
    no_such = cli("appeal", "lodge", case, "--decision", "2", "--complaint", "Forkert", "--token", citizen)
    assert no_such.exit_code == 2 and "appeal.not_found" in no_such.output
    digital = cli("appeal", "register", case, "--channel", "digital", "--received-on", "2026-12-01", "--complaint", "Ringede",
                  "--token", token("caseworker", "cw-anne"))  # fmt: skip
    assert digital.exit_code == 2 and "channel" in digital.output and "input.invalid" in digital.output
    outsider = cli("appeal", "show", case, "--token", token("citizen", "eve", "010101-0101"), "--purpose", "nysgerrig")
    assert outsider.exit_code == 3
