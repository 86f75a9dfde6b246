"""Decoded cases are reused only while they are what the log holds: a new event,
a revoked consent or an erased key (also by another process) gives a fresh
answer at once, and every read is still recorded before it is answered.

No Temporal here: the cases' events are decided by the real domain and
appended (personal fields encrypted) straight to a real SQLite log."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from app.api import create_app
from app.cases import parse_command
from app.settings import Settings
from app.tokens import issue_token
from domain.appeal import appeal_id
from domain.case.decider import decide, evolve, initial_state
from domain.personal_data import ERASED_MARKER
from eventlog import EventStore
from eventlog.access_log import AccessLog
from eventlog.keystore import KeyStore
from tests import scenario

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CASE = "case-cache-1"
APPEAL = appeal_id(CASE, 1)
NAME = "Jonas Holm"
TEAM_PHASE = [
    scenario.register(CASE),
    {"type": "open_visitation", "actor": scenario.CASEWORKER},
    scenario.assessment(),
    scenario.decision(),
    scenario.invite(scenario.VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
    scenario.answer(scenario.VOLUNTEER),
    scenario.declaration(scenario.VOLUNTEER),
    scenario.consent(scenario.VOLUNTEER),
]


class Log:
    """The case's events, decided by the domain and appended to the log."""

    def __init__(self, store: EventStore, keys: KeyStore) -> None:
        self.store, self.keys = store, keys
        self.state, self.at, self.version = initial_state(), T0, 0

    def give(self, *commands: dict) -> None:
        new = []
        for raw in commands:
            self.at += timedelta(minutes=5)
            for event in decide(self.state, parse_command(raw).model_copy(update={"at": self.at})):
                self.state = evolve(self.state, event)
                new.append(to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=event), self.keys, CASE))
        self.version = self.store.append(CASE, self.version, new).stream_version


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'events.db'}",
        jwt_key="k" * 64,
        keystore_secret=base64.b64encode(os.urandom(32)).decode(),
    )


@pytest.fixture
def store(settings):
    store = EventStore.from_url(settings.database_url)
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def log(store, settings) -> Log:
    from app.keys import open_key_store

    log = Log(store, open_key_store(store, settings))
    log.give(*TEAM_PHASE)
    return log


@pytest_asyncio.fixture
async def http(settings, store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store=store)  # its own key store, as a server process has
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


def token(settings: Settings, person: dict, **claims) -> dict[str, str]:
    bearer = issue_token(settings, person_id=person["id"], role=person["role"], **claims)
    return {"Authorization": f"Bearer {bearer}", "X-Purpose": "test"}


async def timeline(http, settings, person=scenario.CASEWORKER) -> httpx.Response:
    return await http.get(f"/cases/{CASE}/timeline", headers=token(settings, person))


def reads_of_the_log(store, monkeypatch) -> list[str]:
    """Counts the case's full reads from the log (a reused decoding does none)."""
    calls: list[str] = []
    original = store.read_stream_rows

    def counting(stream_id, *args, **kwargs):
        calls.append(stream_id)
        return original(stream_id, *args, **kwargs)

    monkeypatch.setattr(store, "read_stream_rows", counting)
    return calls


async def test_an_unchanged_case_is_decoded_once_and_every_read_is_still_recorded(
    http, settings, store, log, monkeypatch
):
    full_reads = reads_of_the_log(store, monkeypatch)
    first, second = await timeline(http, settings), await timeline(http, settings)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert full_reads == [CASE, APPEAL]  # the case and its decision's appeal (none lodged), read once
    reads = [r for r in AccessLog(store.engines).for_case(CASE) if r.what == "read_timeline"]
    assert [(r.actor_id, r.purpose) for r in reads] == [("cw-anne", "test"), ("cw-anne", "test")]
    assert AccessLog(store.engines).verify().ok


async def test_a_new_event_gives_a_fresh_timeline(http, settings, store, log, monkeypatch):
    before = (await timeline(http, settings)).json()
    log.give(scenario.invite(scenario.STAFF, "Lise", "staff", "Jobcenter"))
    full_reads = reads_of_the_log(store, monkeypatch)
    after = (await timeline(http, settings)).json()
    assert full_reads == [CASE, APPEAL]
    assert len(after) == len(before) + 1
    assert after[-1]["type"] == "team_member_invited" and after[-1]["version"] == log.version


async def test_a_revoked_consent_shuts_the_volunteer_out_at_once(http, settings, log):
    seen = await timeline(http, settings, scenario.VOLUNTEER)
    assert seen.status_code == 200  # consent covers goals, plan and observations
    assert (await http.get(f"/cases/{CASE}", headers=token(settings, scenario.VOLUNTEER))).status_code == 200

    log.give(scenario.revoke(scenario.VOLUNTEER))
    for path in ("/timeline", "", "/deadlines"):
        answer = await http.get(f"/cases/{CASE}{path}", headers=token(settings, scenario.VOLUNTEER))
        assert answer.status_code == 403, (path, answer.text)


async def test_an_erasure_by_another_process_shows_the_fields_erased_at_once(http, settings, store, log):
    before = await timeline(http, settings)
    assert NAME in before.text and ERASED_MARKER not in before.text

    # The CLI (``samskab audit erase``) is another process with a key store of its own;
    # the API's key store still holds the unwrapped key in memory.
    from app.keys import keystore_secret

    elsewhere = KeyStore(store.engines, keystore_secret(settings))
    key_id = elsewhere.key_id_for_stream(CASE)
    assert key_id is not None  # the case's events were written under its key
    elsewhere.destroy(key_id, "GDPR art. 17(1)(a)")

    after = await timeline(http, settings)
    assert after.status_code == 200
    assert NAME not in after.text and "041298" not in after.text
    registered = after.json()[0]
    assert registered["type"] == "need_registered"
    assert registered["data"]["citizen"]["name"] == ERASED_MARKER


async def test_no_read_changes_the_kept_state_each_reader_s_cut_is_made_from(http, settings, store, log):
    """The case's state as JSON is made once per decoding and shared by every read: each
    reader's cut of it is a new dict, which the API and the pages add to; what is kept stays
    the state's own, whoever read it and however."""
    from app.pages.routes import CITIZEN_TABS, PURPOSE_COOKIE, STAFF_TABS, TOKEN_COOKIE

    citizen = {"cpr": scenario.register(CASE)["citizen"]["cpr"]}
    readers = [(scenario.CASEWORKER, {}, STAFF_TABS, None), (scenario.VOLUNTEER, {}, STAFF_TABS, "/hold"),
               (scenario.CITIZEN, citizen, CITIZEN_TABS, "/borger")]  # fmt: skip
    for person, claims, tabs, home in readers:
        assert (await http.get(f"/cases/{CASE}", headers=token(settings, person, **claims))).status_code == 200
        bearer = issue_token(settings, person_id=person["id"], role=person["role"], **claims)
        http.cookies = {TOKEN_COOKIE: bearer, PURPOSE_COOKIE: "test"}
        for tab, _ in tabs:
            page = await http.get(f"/sager/{CASE}?fane={tab}")
            assert page.status_code in (200, 403), (person, tab, page.status_code)
        if home:
            assert (await http.get(home)).status_code == 200
    kept = http.app.state.backend.reads.get(CASE)
    assert kept is not None and kept.state_json == kept.state.model_dump(mode="json")
