"""Commands over HTTP: the domain's accept or refusal at once, with the right status."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.api import create_app
from app.cases import CaseClient
from app.command_signing import CommandSigner
from app.tokens import issue_token
from tests import scenario
from tests.api.conftest import PEOPLE


async def test_a_caseworker_opens_a_case_and_moves_it_into_visitation(api, case_id):
    opened = await api.open(case_id)
    assert opened.status_code == 201, opened.text
    assert opened.json() == {"case_id": case_id, "location": f"/cases/{case_id}", "position": 1}

    moved = await api.post(f"/cases/{case_id}/commands/open_visitation", "caseworker", {"expected_version": 1})
    assert moved.status_code == 200, moved.text
    assert moved.json()["phase"] == "visitation"
    assert moved.json()["events"] == ["visitation_opened"]

    state = (await api.get(f"/cases/{case_id}", "caseworker")).json()
    assert state["phase"] == "visitation" and state["caseworker_id"] == "cw-anne"
    assert "record_assessment" in state["allowed_now"]


async def test_the_actor_is_the_token_s_person_whatever_the_body_says(api, case_id):
    await api.open(case_id)
    refused = await api.post(
        f"/cases/{case_id}/commands",
        "caseworker",
        {"type": "open_visitation", "actor": {"id": "x", "role": "caseworker"}},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "actor"


async def test_a_stale_version_is_409_naming_expected_version(api, case_id):
    await api.open(case_id)
    stale = await api.post(
        f"/cases/{case_id}/commands", "caseworker", {"type": "open_visitation", "expected_version": 0}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["kind"] == "StaleVersion"
    assert stale.json()["error"]["field"] == "expected_version"


async def test_a_command_out_of_phase_is_409_with_the_phase_rule(api, case_id):
    await api.open(case_id)
    early = await api.give(case_id, scenario.complete_pilot())
    assert early.status_code == 409
    assert early.json()["error"]["rule"] == "case.wrong_phase"
    assert "Allowed now" in early.json()["error"]["message"]


async def test_invalid_input_is_422_naming_the_field(api, case_id):
    await api.open(case_id)
    typed = await api.post(f"/cases/{case_id}/commands/close_case", "caseworker", {"reason": ""})
    assert typed.status_code == 422
    assert typed.json()["error"]["field"] == "reason"
    generic = await api.post(f"/cases/{case_id}/commands", "caseworker", {"type": "close_case"})
    assert generic.status_code == 422
    assert generic.json()["error"] == {
        **generic.json()["error"],
        "field": "reason",
        "rule": "input.invalid",
    }  # the field, as the typed route names it


async def test_a_domain_refusal_naming_a_field_is_422_with_its_rule(api, case_id):
    await api.team_phase(case_id)
    staff_consent = await api.give(case_id, scenario.consent(scenario.STAFF))
    assert staff_consent.status_code == 422
    assert staff_consent.json()["error"]["rule"] == "consent.not_needed_for_staff"
    assert staff_consent.json()["error"]["field"] == "person_id"


async def test_an_unknown_case_is_404_and_a_missing_or_bad_token_401(api):
    assert (await api.get("/cases/no-such-case", "caseworker")).status_code == 404
    assert (
        await api.post("/cases/no-such-case/commands", "caseworker", {"type": "open_visitation"})
    ).status_code == 404
    missing = await api.get("/cases/no-such-case", None)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    forged = await api.http.get("/cases", headers={"Authorization": "Bearer not.a.token", "X-Purpose": "x"})
    assert forged.status_code == 401


async def test_a_duplicate_case_id_is_409(api, case_id):
    await api.open(case_id)
    again = await api.open(case_id)
    assert again.status_code == 409
    assert again.json()["error"]["rule"] == "case.duplicate_id"


async def test_openapi_documents_every_person_s_command(app):
    paths = app.openapi()["paths"]
    for name in ("open_visitation", "record_assessment", "give_consent", "approve_team", "close_case"):
        assert f"/cases/{{case_id}}/commands/{name}" in paths
    assert "/cases/{case_id}/commands/record_missed_deadline" not in paths
    body = paths["/cases/{case_id}/commands/close_case"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("CloseCaseBody")


async def test_a_child_s_registration_is_422_naming_rule_and_field_and_opens_nothing(api, case_id, store):
    body = scenario.register(case_id, citizen={"cpr": "0101204000", "name": "Alma"})  # born 2020
    body.pop("actor"), body.pop("type")
    refused = await api.post("/cases", "caseworker", body)
    assert refused.status_code == 422
    assert (refused.json()["error"]["rule"], refused.json()["error"]["field"]) == ("case.under_18", "citizen.cpr")
    assert store.read_stream(case_id) == []
    assert (await api.get(f"/cases/{case_id}", "caseworker")).status_code == 404
    assert (await api.open(case_id)).status_code == 201  # the id stays free for the corrected registration


async def test_an_opening_the_case_itself_refuses_comes_back_at_once_with_its_rule(
    env, worker, settings, store, case_id
):
    """A front door whose signing key the worker does not trust: the case's own validator refuses
    the registration, and the caller hears it in the answer, not from a case failing later."""
    untrusted = CaseClient(env.client, settings, signer=CommandSigner(Ed25519PrivateKey.generate()))
    app = create_app(settings, store=store, cases=untrusted)
    body = scenario.register(case_id)
    body.pop("actor"), body.pop("type")
    headers = {"Authorization": f"Bearer {issue_token(settings, **PEOPLE['caseworker'])}", "X-Purpose": "test"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://samskab.test") as http:
        refused = await http.post("/cases", headers=headers, json=body)
    assert refused.status_code == 422
    assert (refused.json()["error"]["rule"], refused.json()["error"]["field"]) == ("command.forged", "signature")
    assert store.read_stream(case_id) == []
    await env.client.get_workflow_handle(case_id).terminate("the test is over")
