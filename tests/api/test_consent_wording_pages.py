"""What a consent lets a team member see is worded for the reader: the citizen reads "Dine
egne mål" (their own goals), the caseworker and the volunteer read "Borgerens egne mål"."""

from __future__ import annotations

from tests import scenario
from tests.api.test_appeal_pages import page
from tests.browser.test_pages import _team_case


async def test_consent_categories_are_worded_for_who_reads_them(api, case_id):
    await api.open(case_id)
    await _team_case(api, case_id)
    assert (await api.give(case_id, scenario.consent(scenario.VOLUNTEER))).status_code == 200
    citizen = await page(api, "citizen", f"/sager/{case_id}?fane=hold")
    assert "Dine egne mål" in citizen.text and "Borgerens egne mål" not in citizen.text
    for who, path in (("caseworker", f"/sager/{case_id}?fane=hold"), ("volunteer", "/hold")):
        shown = await page(api, who, path)
        assert shown.status_code == 200, shown.text
        assert "Borgerens egne mål" in shown.text and "Dine egne mål" not in shown.text, who
