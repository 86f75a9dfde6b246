"""The pages as a caseworker, an auditor, a volunteer and a citizen use them."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.async_api import expect

from eventlog.schema import GUARD_TRIGGERS, guard_statements
from tests import scenario
from tests.browser.conftest import log_in, screenshot


async def test_a_caseworker_moves_a_case_into_visitation_by_clicking(page, base_url, api, case_id):
    assert (await api.open(case_id)).status_code == 201
    await log_in(page, base_url, api, "caseworker")
    await expect(page.get_by_role("heading", name="Mine sager")).to_be_visible()
    tasks = page.get_by_role("region", name="Mine opgaver")
    await expect(tasks.get_by_role("row").filter(has_text=case_id)).to_contain_text("åbn visitationen")
    await screenshot(page, "caseworker-my-cases.png")

    await page.get_by_role("region", name="Sager").get_by_role("link", name=case_id).click()
    await expect(page.get_by_role("heading", name=f"Sag {case_id}")).to_be_visible()
    await expect(page.locator("#fase")).to_have_text("behov registreret")
    await screenshot(page, "caseworker-case-page.png")

    await page.get_by_text("Åbn visitation", exact=True).first.click()  # the disclosure's summary
    await page.get_by_role("button", name="Åbn visitation").click()
    await expect(page.get_by_role("status")).to_contain_text("Åbn visitation: udført")
    await expect(page.locator("#fase")).to_have_text("visitation")
    await expect(page.get_by_role("cell", name="Visitation åbnet")).to_be_visible()
    await screenshot(page, "caseworker-after-step.png")


async def test_a_refused_form_shows_the_domain_s_error_next_to_the_field(page, base_url, api, case_id):
    await api.open(case_id)
    await log_in(page, base_url, api, "caseworker")
    await page.goto(f"{base_url}/sager/{case_id}")
    await page.get_by_text("Luk sagen", exact=True).first.click()
    await page.get_by_label("Begrundelse").fill("x")
    await page.get_by_role("button", name="Luk sagen").click()
    field = page.get_by_label("Begrundelse")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#close_case-reason-fejl")).to_contain_text("at least 3 characters")
    await expect(page.locator("#fase")).to_have_text("behov registreret")
    await screenshot(page, "caseworker-form-error.png")


async def test_an_auditor_sees_a_tampered_log_flagged(page, base_url, api, case_id, settings):
    await api.open(case_id)
    await log_in(page, base_url, api, "auditor", purpose="tilsyn")
    await page.goto(f"{base_url}/revision/sager/{case_id}")
    await expect(page.locator("#verifikation")).to_contain_text("Loggen er verificeret")
    await screenshot(page, "auditor-verified.png")

    engine = sa.create_engine(settings.database_url, poolclass=sa.NullPool)
    with engine.begin() as conn:  # an attacker with the database owner's rights
        for drop in GUARD_TRIGGERS["sqlite"]:
            conn.exec_driver_sql(drop)
        conn.execute(sa.text("UPDATE events SET actor_id = 'someone-else' WHERE stream_id = :c"), {"c": case_id})
        cursor = conn.connection.cursor()
        for guard in guard_statements("sqlite"):
            cursor.execute(guard)
        cursor.close()
    engine.dispose()

    await page.reload()
    await expect(page.locator("#verifikation")).to_contain_text("Loggen er ændret")
    await expect(page.get_by_role("heading", name="Adgangslog")).to_be_visible()
    await expect(page.get_by_role("cell", name="aud-hans").first).to_be_visible()
    await screenshot(page, "auditor-tampered.png")


async def test_a_volunteer_without_consent_cannot_open_the_case(page, base_url, api, case_id):
    await api.open(case_id)
    for command in [
        {"type": "open_visitation", "actor": scenario.CASEWORKER},
        scenario.assessment(),
        scenario.decision(),
        scenario.invite(scenario.VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
        scenario.answer(scenario.VOLUNTEER),
        scenario.declaration(scenario.VOLUNTEER),  # the tavshedserklæring is there; the consent is not
    ]:
        assert (await api.give(case_id, command)).status_code == 200
    await log_in(page, base_url, api, "volunteer", purpose="mentorforløb")
    response = await page.goto(f"{base_url}/sager/{case_id}")
    assert response.status == 403
    await expect(page.get_by_role("heading", name="Ingen adgang")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("borgerens samtykke")
    await expect(page.get_by_role("alert")).to_contain_text("not given you consent")
    await screenshot(page, "volunteer-no-consent.png")


async def test_a_citizen_sees_their_case_team_plan_and_who_looked(page, base_url, api, case_id):
    await api.open(case_id)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    await api.get(f"/cases/{case_id}", "caseworker", purpose="visitation")
    await log_in(page, base_url, api, "citizen", purpose="min egen sag")
    await expect(page.get_by_role("heading", name="Min sag", exact=True)).to_be_visible()
    for heading in ("Mit hold", "Min plan", "Hvem har set mine data"):
        await expect(page.get_by_role("heading", name=heading)).to_be_visible()
    # GDPR art. 15 as read in C-579/21: when, why and the reader's role, not the employee's identity
    await expect(page.get_by_role("cell", name="sagsbehandler").first).to_be_visible()
    await expect(page.get_by_role("cell", name="cw-anne")).to_have_count(0)
    await screenshot(page, "citizen-my-case.png")


async def test_a_token_for_the_login_form_is_checked(page, base_url):
    await page.goto(f"{base_url}/log-ind")
    await page.get_by_label("Adgangstoken").fill("not-a-token")
    await page.get_by_label("Formål med dine opslag").fill("x")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("alert")).to_contain_text("not valid")
    await page.keyboard.press("Tab")  # the page is usable from the keyboard: focus moves to the skip link first
