"""Attacks through the API's inputs (issue 18, findings 4, 5, 7, 8, 9, 11, 12), each
written as the attack and asserting it is refused (with a 4xx naming the field)
or finds nothing."""

from __future__ import annotations

import json
import uuid

import httpx
import jwt
import pytest

from app.tokens import AUDIENCE, issue_token
from domain.appeal import appeal_id
from domain.forum import forum_id
from domain.kl_delivery import DELIVERY_STREAM
from tests import scenario
from tests.api.conftest import RELATIVE

pytestmark = pytest.mark.asyncio


def field_of(response: httpx.Response) -> str:
    """The field a refusal names; these refusals each name one."""
    field = response.json()["error"]["field"]
    assert field is not None, response.text
    return field


# -- finding 4: a relative with consent for "need" only ------------------------------------


async def test_a_relative_with_consent_for_need_only_gets_no_cpr_or_name_from_the_timeline(api, case_id):
    await api.team_phase(case_id)
    consent = {**scenario.consent(RELATIVE, categories=("need",))}
    assert (await api.give(case_id, consent)).status_code == 200

    timeline = await api.get(f"/cases/{case_id}/timeline", "relative")
    case = await api.get(f"/cases/{case_id}", "relative")

    assert timeline.status_code == case.status_code == 200
    assert [e["type"] for e in timeline.json()] == ["need_registered"]  # the need, as consented
    for text in (timeline.text, case.text):
        assert "0412981234" not in text.replace("-", "") and "Jonas Holm" not in text
    assert "description" in timeline.json()[0]["data"]["need"]


# -- finding 5: case ids that take other streams' names ------------------------------------


@pytest.mark.parametrize(
    "stolen",
    [appeal_id("K-2026-001", 1), appeal_id("x" * 60, 2), forum_id("some-group"), DELIVERY_STREAM, "erasure-0123abcd",
     "kl-gateway-daily-delivery", "KL-GATEWAY-DELIVERIES"],
)  # fmt: skip
async def test_a_case_id_cannot_take_the_name_of_an_appeal_forum_erasure_or_delivery_stream(api, store, stolen):
    body = scenario.register(stolen)
    body.pop("actor"), body.pop("type")

    answer = await api.post("/cases", "caseworker", body)

    assert answer.status_code == 422 and field_of(answer) == "case_id", answer.text
    assert store.read_stream(stolen) == []


# -- finding 7: Idempotency-Key -------------------------------------------------------------


async def _post_with_key(api, case_id: str, who: str, body: dict, key: str) -> httpx.Response:
    headers = {**api.headers(who), "Idempotency-Key": key}
    return await api.http.post(f"/cases/{case_id}/commands", headers=headers, json=body)


async def test_an_idempotency_key_reused_with_another_body_or_by_another_caller_is_a_422(api, case_id, store):
    assert (await api.open(case_id)).status_code == 201
    key = f"k-{uuid.uuid4()}"
    first = await _post_with_key(api, case_id, "caseworker", {"type": "open_visitation"}, key)
    retry = await _post_with_key(api, case_id, "caseworker", {"type": "open_visitation"}, key)
    assert first.status_code == retry.status_code == 200 and first.json() == retry.json()
    version = store.stream_version(case_id)

    other_body = await _post_with_key(api, case_id, "caseworker", {"type": "record_assessment", **_assessment()}, key)
    other_caller = await _post_with_key(api, case_id, "team_lead", {"type": "open_visitation"}, key)

    for answer in (other_body, other_caller):
        assert answer.status_code == 422 and field_of(answer) == "Idempotency-Key", answer.text
        assert answer.json()["error"]["rule"] == "input.idempotency_key"
    assert store.stream_version(case_id) == version  # nothing dropped silently, nothing done twice


async def test_an_opening_sent_again_with_its_key_gets_the_same_answer_and_another_with_it_a_422(api, case_id, store):
    body = scenario.register(case_id)
    body.pop("actor"), body.pop("type")
    key = f"k-{uuid.uuid4()}"
    headers = {**api.headers("caseworker"), "Idempotency-Key": key}

    first = await api.http.post("/cases", headers=headers, json=body)
    retry = await api.http.post("/cases", headers=headers, json=body)
    plain = await api.post("/cases", "caseworker", body)  # no key: a second opening
    other = await api.http.post("/cases", headers=headers, json={**body, "case_id": f"{case_id}-b"})

    assert first.status_code == retry.status_code == 201 and first.json() == retry.json(), retry.text
    assert plain.status_code == 409 and plain.json()["error"]["rule"] == "case.duplicate_id", plain.text
    assert other.status_code == 422 and field_of(other) == "Idempotency-Key", other.text
    assert [s.event_type for s in store.read_stream(case_id)] == ["need_registered"]
    assert store.read_stream(f"{case_id}-b") == []


def _assessment() -> dict:
    body = dict(scenario.assessment())
    body.pop("actor"), body.pop("type")
    return body


async def test_a_10000_character_idempotency_key_is_a_422_naming_the_header(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    answer = await _post_with_key(api, case_id, "caseworker", {"type": "open_visitation"}, "k" * 10_000)
    assert answer.status_code == 422 and field_of(answer) == "Idempotency-Key", answer.text


# -- finding 8: CPR numbers in other digits, or with a newline --------------------------------


@pytest.mark.parametrize(
    "cpr",
    ["١٢٠٣٩٩-١٢٣٥", "１２０３９９－１２３５", "１２０３９９１２３５", "120399-1235\n", " 1203991235", "12039912355"],
)
async def test_a_cpr_number_in_other_digits_or_with_a_newline_is_a_422(api, case_id, store, cpr):
    body = scenario.register(case_id, citizen={"cpr": cpr, "name": "Jonas Holm"})
    body.pop("actor"), body.pop("type")

    answer = await api.post("/cases", "caseworker", body)

    assert answer.status_code == 422 and field_of(answer) == "citizen.cpr", answer.text
    assert store.read_stream(case_id) == []


async def test_a_citizen_token_with_a_cpr_in_other_digits_is_refused(api, settings):
    token = issue_token(settings, person_id="c", role="citizen", cpr="１２０３９９１２３５")
    answer = await api.http.get("/cases", headers={"Authorization": f"Bearer {token}", "X-Purpose": "test"})
    assert answer.status_code == 401


# -- finding 9: a citizen's access log and list views ----------------------------------------


async def test_a_citizen_s_access_log_shows_no_other_case_id(api, case_id):
    other = f"{case_id}-b"
    assert (await api.open(case_id)).status_code == 201
    assert (await api.open(other)).status_code == 201
    # A caseworker's list view shows both cases; a search by name another.
    assert (await api.get("/cases?purpose=arbejdsliste", "caseworker")).status_code == 200

    log = await api.get(f"/cases/{case_id}/access-log", "citizen")

    assert log.status_code == 200
    assert other not in log.text
    assert all(row["case_id"] in (case_id, None) for row in log.json())


# -- finding 11: bad input gets a 4xx naming the field ---------------------------------------


async def test_an_empty_sub_claim_is_a_401(api, settings):
    token = jwt.encode({"sub": "", "role": "caseworker", "municipality": settings.municipality, "aud": AUDIENCE,
                        "exp": 4_102_444_800}, settings.jwt_key, algorithm="HS256")  # fmt: skip
    answer = await api.http.get("/cases", headers={"Authorization": f"Bearer {token}", "X-Purpose": "x"})
    assert answer.status_code == 401


async def test_a_purpose_over_500_characters_is_a_422_naming_it(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    by_header = await api.http.get(
        f"/cases/{case_id}", headers={**api.headers("caseworker", None), "X-Purpose": "p" * 501}
    )
    by_query = await api.http.get(f"/cases/{case_id}?purpose={'p' * 501}", headers=api.headers("caseworker", None))
    assert by_header.status_code == by_query.status_code == 422
    assert field_of(by_header).lower() == "x-purpose" and field_of(by_query) == "purpose"


async def test_a_purpose_with_a_control_character_is_a_422_naming_it_and_nothing_is_recorded(api, case_id, store):
    """A NUL would fail the access log's batch on PostgreSQL (every read queued with it), a
    line break would forge a line of a text export: the purpose is one line of printable text."""
    from eventlog.access_log import AccessLog

    assert (await api.open(case_id)).status_code == 201
    before = len(list(AccessLog(store.engines).all()))
    for purpose in ("%00tilsyn", "tilsyn%0Aactor_id=auditor", "tilsyn%1B[2J"):
        refused = await api.http.get(f"/cases/{case_id}?purpose={purpose}", headers=api.headers("caseworker", None))
        assert refused.status_code == 422, (purpose, refused.text)
        assert field_of(refused) == "purpose"
    assert len(list(AccessLog(store.engines).all())) == before
    fine = await api.http.get(
        f"/cases/{case_id}?purpose=tilsyn%20%C3%A6%C3%B8%C3%A5", headers=api.headers("caseworker", None)
    )
    assert fine.status_code == 200, fine.text


async def test_a_negative_expected_version_is_a_422_naming_it(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    answer = await api.post(
        f"/cases/{case_id}/commands", "caseworker", {"type": "open_visitation", "expected_version": -1}
    )
    assert answer.status_code == 422 and field_of(answer) == "expected_version", answer.text


async def test_a_list_or_a_code_over_its_bound_is_a_422_naming_the_field_before_anything_is_decided(
    api, case_id, store
):
    assert (await api.open(case_id)).status_code == 201
    crowd = {"type": "schedule_meeting", "agenda": "Opstart", "planned_for": "2027-01-10T10:00:00+01:00",
             "participants": [f"vol-{n}" for n in range(101)]}  # fmt: skip
    answer = await api.post(f"/cases/{case_id}/commands", "caseworker", crowd)
    assert answer.status_code == 422 and "participants" in field_of(answer), answer.text
    long_id = {**crowd, "participants": ["x" * 65]}
    answer = await api.post(f"/cases/{case_id}/commands", "caseworker", long_id)
    assert answer.status_code == 422 and "participants" in field_of(answer), answer.text
    assert [e.event_type for e in store.read_stream(case_id)] == ["need_registered"]


async def test_a_body_over_the_limit_is_a_413_before_it_is_read(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    huge = json.dumps({"type": "open_visitation", "junk": "x" * (16 * 1024 * 1024)})
    sized = await api.http.post(f"/cases/{case_id}/commands", headers={**api.headers("caseworker"),
                                "Content-Type": "application/json"}, content=huge)  # fmt: skip

    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    streamed = await api.http.post(f"/cases/{case_id}/commands", headers={**api.headers("caseworker"),
                                   "Content-Type": "application/json"}, content=chunks())  # fmt: skip
    assert sized.status_code == streamed.status_code == 413
    assert field_of(sized) == field_of(streamed) == "body"


async def test_a_meeting_time_without_a_time_zone_is_a_422_naming_it(api, case_id):
    await api.team_phase(case_id)
    meeting = {
        k: v
        for k, v in scenario.schedule_meeting(planned_for="2035-01-15T10:00:00").items()
        if k not in ("actor", "type")
    }
    answer = await api.post(f"/cases/{case_id}/commands/schedule_meeting", "caseworker", meeting)
    assert answer.status_code == 422 and (field_of(answer) or "").endswith("planned_for"), answer.text


@pytest.mark.parametrize("valid_until", ["3000-01-01", "9999-12-31"])
async def test_a_date_in_the_year_3000_or_9999_is_a_422_naming_it(api, case_id, valid_until):
    await api.team_phase(case_id)
    consent = scenario.consent(scenario.STAFF, valid_until=valid_until)
    answer = await api.give(case_id, consent)
    assert answer.status_code == 422 and field_of(answer) == "valid_until", answer.text


# -- finding 12: headers, login CSRF, 404 for outsiders --------------------------------------


async def test_every_page_and_answer_carries_the_security_headers(api):
    for path in ("/log-ind", "/cases", "/nothing-here"):
        answer = await api.http.get(path)
        csp = answer.headers.get("content-security-policy", "")
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["frame-ancestors"] == "'none'" and directives["default-src"] == "'none'"
        assert (
            directives["script-src"] == "'self'"
        )  # the pages' own script files only: no inline script, no other origin
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"


async def test_another_site_cannot_log_a_victim_in_as_someone_else(api, settings):
    """Login CSRF: a form on another site posts the attacker's token; without the
    form's own token (from samskab's login page) it is refused and sets no cookie."""
    attacker_token = issue_token(settings, person_id="attacker", role="caseworker")
    forged = await api.http.post("/log-ind", data={"token": attacker_token, "purpose": "x", "naeste": "/sager"})
    assert forged.status_code == 403 and "samskab_token" not in forged.headers.get("set-cookie", "")

    page = await api.http.get("/log-ind")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    honest = await api.http.post("/log-ind", data={"token": attacker_token, "purpose": "x", "csrf": csrf})
    assert honest.status_code == 303 and "samskab_token" in honest.headers.get("set-cookie", "")


async def test_a_login_purpose_over_500_characters_is_refused_and_breaks_nothing(api, settings):
    page = await api.http.get("/log-ind")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    token = issue_token(settings, person_id="cw-anne", role="caseworker")
    answer = await api.http.post("/log-ind", data={"token": token, "purpose": "p" * 501, "csrf": csrf})
    assert answer.status_code == 422
    assert (await api.http.get("/log-ind")).status_code == 200
    page = await api.http.get("/log-ind")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    pasted = await api.http.post("/log-ind", data={"token": token, "purpose": "tilsyn\tsag 7", "csrf": csrf})
    assert pasted.status_code == 422 and "én linje tekst uden styretegn" in pasted.text
    assert "samskab_purpose" not in pasted.headers.get("set-cookie", "")


async def test_an_outsider_gets_the_same_404_for_a_case_they_may_not_see_as_for_no_case(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    for path in ("", "/timeline", "/deadlines", "/access-log"):
        existing = await api.get(f"/cases/{case_id}{path}", "other_citizen")
        missing = await api.get(f"/cases/no-such-{case_id}{path}", "other_citizen")
        assert existing.status_code == missing.status_code == 404
        assert existing.json()["error"]["message"].replace(case_id, "ID") == missing.json()["error"]["message"].replace(
            f"no-such-{case_id}", "ID"
        )
    command = await api.post(f"/cases/{case_id}/commands", "stranger_staff", {"type": "open_visitation"})
    assert command.status_code == 404
