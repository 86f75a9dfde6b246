"""The partshøring letter (forvaltningsloven § 19) on the pages: the citizen sees the
letter they were sent, with its deadline, on their own page and on the case's decision
tab; the caseworker sees the same letter on the decision tab; a volunteer without
consent to the assessment does not."""

from __future__ import annotations

import html

from tests import scenario
from tests.api.test_appeal_pages import page


async def _heard_not_answered(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    for command in [
        {"type": "open_visitation", "actor": scenario.CASEWORKER},
        scenario.assessment(),
        scenario.heard()[0],
    ]:
        response = await api.give(case_id, command)
        assert response.status_code == 200, response.text


async def test_the_hearing_letter_is_shown_to_the_citizen_and_the_caseworker(api, case_id):
    await _heard_not_answered(api, case_id)
    state = (await api.get(f"/cases/{case_id}", "caseworker")).json()
    letter = state["hearing_letter"]
    assert letter.startswith("Kære ") and "senest den" in letter and "bemærkninger" in letter

    mine = await page(api, "citizen", "/borger")
    assert mine.status_code == 200, mine.text
    assert "Dit høringsbrev" not in mine.text and "Vi vil gerne høre dig" in mine.text
    assert html.escape(letter, quote=False) in mine.text
    assert f"/sager/{case_id}/handling/answer_hearing" in mine.text  # answering is offered beside it

    for who, heading in (("citizen", "Dit høringsbrev"), ("caseworker", "Høringsbrevet til borgeren")):
        tab = await page(api, who, f"/sager/{case_id}?fane=afgoerelse")
        assert tab.status_code == 200, tab.text
        assert heading in tab.text and html.escape(letter, quote=False) in tab.text

    answered = await api.give(case_id, scenario.heard()[1])
    assert answered.status_code == 200, answered.text
    mine = await page(api, "citizen", "/borger")
    assert "Vi vil gerne høre dig" not in mine.text  # answered: nothing more to answer
    tab = await page(api, "citizen", f"/sager/{case_id}?fane=afgoerelse")
    assert "Dit høringsbrev" in tab.text and "Dit svar:" in tab.text and "Jeg er enig i vurderingen" in tab.text


async def test_a_volunteer_whose_consent_leaves_out_the_assessment_does_not_get_the_letter(api, case_id):
    await _heard_not_answered(api, case_id)
    for command in [
        scenario.heard()[1], scenario.decision(),
        scenario.invite(scenario.VOLUNTEER, "Karim", "volunteer", "Røde Kors"), scenario.answer(scenario.VOLUNTEER),
        scenario.approve_team(), scenario.consent(scenario.VOLUNTEER), scenario.declaration(scenario.VOLUNTEER),
    ]:  # fmt: skip
        response = await api.give(case_id, command)
        assert response.status_code == 200, response.text
    assert (await api.get(f"/cases/{case_id}", "caseworker")).json()["hearing_letter"].startswith("Kære ")
    seen = await api.get(f"/cases/{case_id}", "volunteer")
    assert seen.status_code == 200, seen.text
    assert "hearing_letter" not in seen.json() and "visitation" not in seen.json()
    shown = await page(api, "volunteer", f"/sager/{case_id}?fane=afgoerelse")
    assert shown.status_code == 200 and "Kære " not in shown.text
