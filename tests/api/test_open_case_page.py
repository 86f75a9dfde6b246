"""Opening a case on the pages (/sager/ny): a caseworker registers the citizen's need
(CPR number and name, the need in the words it was told, who told it, life areas);
bad input is refused in Danish beside its field, with the error summary, keeping what
was typed; the caseworker lands on the new case's page and the work list shows it at once."""

from __future__ import annotations

import html
import re

from tests.api.test_appeal_pages import cookies, form_post, page
from tests.browser.conftest import UNTRANSLATED

GOOD = {
    "citizen.cpr": "150385-1234",
    "citizen.name": "Mette Kjær",
    "need.description": 'Mette siger: "Jeg kan ikke overskue at komme ud af døren om morgenen"',
    "need.reported_by": "relative",
    "need.life_areas": "leisure",
}


def found(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in ``text``, which must hold it."""
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not in {text[:2000]!r}"
    return match.group(1)


def visible(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", text, flags=re.S))


async def _new_form(api, who="caseworker") -> tuple[str, str]:
    response = await page(api, who, "/sager/ny")
    assert response.status_code == 200, response.text
    case_id = found(r'name="case_id" value="([^"]+)"', response.text)
    return response.text, case_id


async def test_a_caseworker_opens_a_case_and_lands_on_it(api):
    listing = await page(api, "caseworker", "/sager")
    assert 'href="/sager/ny"' in listing.text
    form, case_id = await _new_form(api)
    for label in (
        "CPR-nummer",
        "Navn",
        "Behovet, som det blev fortalt",
        "Hvem fortalte om behovet",
        "Livsområder",
        "Pårørende",
    ):
        assert label in form
    assert not UNTRANSLATED.findall(visible(form)), UNTRANSLATED.findall(visible(form))
    data = {**GOOD, "case_id": case_id}
    done = await api.http.post("/sager/ny", data={**data, "need.life_areas": ["leisure", "health"]},
                               headers=cookies(api, "caseworker"), follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith(f"/sager/{case_id}?besked=")
    assert "samskab_position" in done.headers.get("set-cookie", "")
    case = await page(api, "caseworker", f"/sager/{case_id}?fane=borger")
    assert case.status_code == 200
    assert (
        "Mette Kjær" in case.text
        and "Mette siger: &#34;Jeg kan ikke overskue at komme ud af døren om morgenen&#34;" in case.text
    )
    position = found(r"samskab_position=(\d+)", done.headers["set-cookie"])
    listed = await api.http.get(
        "/sager", headers={"Cookie": cookies(api, "caseworker")["Cookie"] + f"; samskab_position={position}"}
    )
    assert f"/sager/{case_id}" in listed.text  # the work list waited for the caseworker's own write


async def test_a_bad_cpr_number_and_a_missing_need_are_refused_in_danish_keeping_the_text(api):
    _, case_id = await _new_form(api)
    refused = await form_post(api, "caseworker", "/sager/ny",
                              {**GOOD, "case_id": case_id, "citizen.cpr": "320185-1234", "need.description": ""})  # fmt: skip
    assert refused.status_code == 422, refused.text
    text = visible(refused.text)
    assert "Ikke et gyldigt CPR-nummer" in text and "DDMMÅÅ-SSSS" in text
    assert 'id="fejlopsummering"' in refused.text and "Der er problemer med det, du har udfyldt" in text
    assert re.search(r'<a href="#f-citizen-cpr">CPR-nummer: Ikke et gyldigt CPR-nummer', refused.text), refused.text
    assert re.search(r'<a href="#f-need-description">Behovet, som det blev fortalt: ', refused.text), refused.text
    assert 'value="320185-1234"' in refused.text and 'value="Mette Kjær"' in refused.text  # what was typed is kept
    assert not UNTRANSLATED.findall(text), UNTRANSLATED.findall(text)
    short = await form_post(api, "caseworker", "/sager/ny", {**GOOD, "case_id": case_id, "citizen.cpr": "12345"})
    assert short.status_code == 422 and "Ikke et gyldigt CPR-nummer" in short.text


async def test_the_same_form_sent_twice_opens_one_case(api):
    _, case_id = await _new_form(api)
    first = await form_post(api, "caseworker", "/sager/ny", {**GOOD, "case_id": case_id})
    assert first.status_code == 303, first.text
    again = await form_post(api, "caseworker", "/sager/ny", {**GOOD, "case_id": case_id})
    assert again.status_code == 409 and "allerede oprettet" in again.text
    assert f'name="case_id" value="{case_id}"' not in again.text  # sending once more makes a new case


async def test_a_citizen_or_volunteer_cannot_open_a_case_on_the_pages(api):
    for who in ("citizen", "volunteer"):
        response = await page(api, who, "/sager/ny")
        assert response.status_code == 403 and "Du kan ikke oprette sager" in response.text
        listing = await page(api, who, "/sager")
        assert 'href="/sager/ny"' not in listing.text


async def test_an_expired_session_keeps_the_typed_need_through_a_new_login(api):
    _, case_id = await _new_form(api)
    lost = await api.http.post("/sager/ny", data={**GOOD, "case_id": case_id}, follow_redirects=False)
    assert lost.status_code == 401 and "Du er blevet logget ud" in lost.text
    draft = html.unescape(found(r'name="udkast" value="([^"]*)"', lost.text))
    csrf = found(r'name="csrf" value="([^"]+)"', lost.text)
    back = await api.http.post("/log-ind", data={"token": api.token("caseworker"), "purpose": "sagsbehandling", "naeste": "/sager/ny",
                                                 "udkast": draft, "csrf": csrf},
                               headers={"Cookie": f"samskab_login_csrf={csrf}"}, follow_redirects=False)  # fmt: skip
    assert back.status_code == 200, back.text
    assert (
        "Du er logget ind igen" in back.text
        and 'value="Mette Kjær"' in back.text
        and 'value="150385-1234"' in back.text
    )
