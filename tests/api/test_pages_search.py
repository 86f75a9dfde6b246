"""The work list's search and filters on the pages (/sager): a bad value is refused in
Danish, naming the field, beside the field it came from; never the API's English."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import UNTRANSLATED


def cookies(api, who: str) -> dict[str, str]:
    return {"Cookie": f"samskab_token={api.token(who)}; samskab_purpose=sagsbehandling"}


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))


@pytest.mark.parametrize(
    "query, field, words",
    [
        ({"soeg": "a"}, "soeg", "mindst ét ord med to bogstaver"),
        ({"soeg": "x" * 500}, "soeg", "højst"),
        ({"cpr": "12"}, "cpr", "10 cifre"),
        ({"cpr": "abcdefghij"}, "cpr", "10 cifre"),
        ({"fase": "nonsense"}, "fase", "findes ikke"),
        ({"maalgruppe": "nonsense"}, "maalgruppe", "findes ikke"),
        ({"side": "not-a-cursor"}, "filtre", "siden"),
        ({"overskredet": "kanske"}, "overskredet", "ja"),
        ({"alle": "måske"}, "filtre", "Alle sager"),
        ({"position": "x1"}, "filtre", "position"),
    ],
)
async def test_a_bad_search_or_filter_is_refused_in_danish_beside_its_field(api, query, field, words):
    response = await api.http.get("/sager", params=query, headers=cookies(api, "caseworker"))
    assert response.status_code == 422, response.text
    text = visible(response.text)
    assert words in text, text
    assert f'href="#{field}"' in response.text  # the error summary links to the field
    if field != "filtre":  # an input the page shows: marked invalid, its message beside it
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', response.text), response.text
        assert f'id="{field}-fejl"' in response.text
    assert not UNTRANSLATED.findall(text), UNTRANSLATED.findall(text)


async def test_a_good_search_lists_without_an_error(api, case_id):
    response = await api.http.get("/sager", params={"soeg": "jo", "fase": "visitation", "overskredet": "ja"},
                                  headers=cookies(api, "caseworker"))  # fmt: skip
    assert response.status_code == 200
    assert "Søgningen kunne ikke bruges" not in response.text
