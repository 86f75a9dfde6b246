"""The API against a real time-skipping Temporal server and a real SQLite event log.

The Temporal fixtures are the workflow tests' own (one session server, a
worker per test, cases terminated at teardown)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from app.api import create_app
from app.keys import open_key_store
from app.tokens import issue_token
from projections.setup import build_projector, projector_running
from tests import scenario
from tests.workflows.conftest import TrackedCases, case_id, cases, env, settings, store, worker  # noqa: F401

#: The people of the tests' cases, with the claims their tokens carry.
PEOPLE: dict[str, dict[str, Any]] = {
    "caseworker": {"person_id": scenario.CASEWORKER["id"], "role": "caseworker"},
    "team_lead": {"person_id": getattr(scenario, "TEAM_LEAD", {"id": "tl-bo"})["id"], "role": "team_lead"},
    "staff": {"person_id": scenario.STAFF["id"], "role": "staff"},
    "volunteer": {"person_id": scenario.VOLUNTEER["id"], "role": "volunteer"},
    "relative": {"person_id": "rel-maria", "role": "relative"},
    "citizen": {"person_id": scenario.CITIZEN["id"], "role": "citizen", "cpr": "041298-1234"},
    "other_citizen": {"person_id": "citizen-2", "role": "citizen", "cpr": "010203-4567"},
    "auditor": {"person_id": "aud-hans", "role": "auditor"},
    "administrator": {"person_id": "adm-ole", "role": "administrator"},
    "stranger_staff": {"person_id": "staff-other", "role": "staff"},
    # need-to-know: caseworkers of two units
    "caseworker_unit_a": {"person_id": "cw-alma", "role": "caseworker", "unit": "unit-a"},
    "caseworker_unit_b": {"person_id": "cw-bent", "role": "caseworker", "unit": "unit-b"},
}
RELATIVE = {"id": "rel-maria", "role": "relative"}
BY_ID = {p["person_id"]: name for name, p in PEOPLE.items()}


class Api:
    """An httpx client on the app, speaking as whoever a call names."""

    def __init__(self, http: httpx.AsyncClient, settings) -> None:
        self.http = http
        self.settings = settings

    def token(self, who: str) -> str:
        return issue_token(self.settings, **PEOPLE[who])

    def headers(self, who: str | None, purpose: str | None = "test") -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        if purpose:
            headers["X-Purpose"] = purpose
        return headers

    async def get(self, path: str, who: str | None, purpose: str | None = "test") -> httpx.Response:
        return await self.http.get(path, headers=self.headers(who, purpose))

    async def post(self, path: str, who: str | None, json: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.headers(who), json=json)

    async def open(self, case_id: str, who: str = "caseworker") -> httpx.Response:
        body = scenario.register(case_id)
        body.pop("actor"), body.pop("type")
        return await self.post("/cases", who, body)

    async def give(self, case_id: str, command: dict, expected_version: int | None = None) -> httpx.Response:
        """A scenario command, sent with the token of the person it names as actor."""
        body = dict(command)
        actor = body.pop("actor")
        if expected_version is not None:
            body["expected_version"] = expected_version
        return await self.post(f"/cases/{case_id}/commands", BY_ID[actor["id"]], body)

    async def team_phase(self, case_id: str) -> None:
        """A case in the team phase: volunteer (with consent), staff and a relative (without) on the team."""
        assert (await self.open(case_id)).status_code == 201
        for command in [
            {"type": "open_visitation", "actor": scenario.CASEWORKER},
            scenario.assessment(),
            scenario.decision(),
            scenario.invite(scenario.VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
            scenario.invite(scenario.STAFF, "Lise", "staff", "Jobcenter"),
            scenario.invite(RELATIVE, "Maria", "relative", "Familien"),
            scenario.answer(scenario.VOLUNTEER),
            scenario.answer(scenario.STAFF),
            scenario.answer(RELATIVE),
            scenario.declaration(scenario.VOLUNTEER),
            scenario.declaration(RELATIVE),
            scenario.consent(scenario.VOLUNTEER),
        ]:
            response = await self.give(case_id, command)
            assert response.status_code == 200, (command["type"], response.text)


@pytest_asyncio.fixture
async def app(settings, store, cases):
    """The app, with the read models followed in a thread as the worker does."""
    application = create_app(settings, store=store, cases=cases)
    projector = build_projector(store, open_key_store(store, settings), settings.deadlines)
    with projector_running(projector, idle_s=0.01):
        yield application


@pytest_asyncio.fixture
async def api(app, settings) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as http:
        yield Api(http, settings)
