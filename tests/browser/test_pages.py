"""The pages as a caseworker, a team lead, an auditor, a volunteer and a citizen use them."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.async_api import expect

from eventlog.schema import GUARD_TRIGGERS, guard_statements
from tests import scenario
from tests.api.conftest import PEOPLE
from tests.browser.conftest import check_page, choose_by_keyboard, failures, log_in, screenshot, tab_to


async def _keyboard_log_in(page, base_url, api, who, purpose):
    await page.goto(f"{base_url}/log-ind")
    await tab_to(page, "#token")
    await page.keyboard.insert_text(api.token(who))
    await tab_to(page, "#purpose")
    await page.keyboard.type(purpose)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def type_date(page, selector, iso):
    """Types a date into a date field from the keyboard, in the order the browser's date field asks for."""
    year, month, day = iso.split("-")
    for order in (day + month + year, month + day + year):
        await tab_to(page, selector)
        await page.keyboard.type(order)
        if await page.eval_on_selector(selector, "e => e.value") == iso:
            return
        for _ in range(3):
            await page.keyboard.press("Backspace")
            await page.keyboard.press("Shift+Tab")
    raise AssertionError(f"could not type {iso} into {selector}")


async def _follow(page, selector):
    """Tabs to a link or button and presses Enter, waiting for the page it leads to."""
    await tab_to(page, selector)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def test_a_caseworker_takes_a_case_from_need_to_decision_with_the_keyboard_alone(browser, base_url, api, case_id):
    assert (await api.open(case_id)).status_code == 201
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = await context.new_page()
    await _keyboard_log_in(page, base_url, api, "caseworker", "sagsbehandling")
    await expect(page.get_by_role("heading", name="Mine opgaver og sager")).to_be_visible()

    await _follow(page, "a[href='/sager?alle=true']")  # not yet anyone's: among all cases
    await _follow(page, f"a[href='/sager/{case_id}']")
    await expect(page.locator("#fase")).to_have_text("behov registreret")
    await _follow(page, f"a[href='/sager/{case_id}/handling/open_visitation']")
    await _follow(page, "#formular button[type=submit]")
    await expect(page.get_by_role("status")).to_contain_text("Åbn visitation: udført")
    await expect(page.locator("#fase")).to_have_text("visitation")

    # the assessment: codes picked from the FFB lists, the citizen's words, a goal
    await _follow(page, f"a[href='/sager/{case_id}/handling/record_assessment']")
    await choose_by_keyboard(page, "f-target_group", "Social isolation")
    await choose_by_keyboard(page, "f-conditions-0-condition", "Varetage beskæftigelse")
    await choose_by_keyboard(page, "f-conditions-0-function_level", "Svært nedsat funktionsevne")
    await tab_to(page, "#f-conditions-0-citizen_words")
    await page.keyboard.type("Jeg vil gerne arbejde, men samtaler er for meget")
    await tab_to(page, "#f-goals-0-in_own_words")
    await page.keyboard.type("Have et job nogle timer om ugen")
    await choose_by_keyboard(page, "f-goals-0-goal_type", "Udvikle funktionsevne")
    await screenshot(page, "keyboard-assessment-filled.png")
    await _follow(page, "#formular button[type=submit]")
    await expect(page.get_by_role("status")).to_contain_text("Registrér udredning: udført")

    # the recommendation, with the assessment beside it
    await _follow(page, f"a[href='/sager/{case_id}/handling/recommend_decision']")
    await expect(page.get_by_role("complementary")).to_contain_text("Jeg vil gerne arbejde")
    await tab_to(page, "#f-outcome-0")
    await page.keyboard.press("Space")  # Bevilget
    await choose_by_keyboard(page, "f-services-0-service", "Støtte til beskæftigelse")
    await choose_by_keyboard(page, "f-services-0-legal_basis", "SEL § 85: Socialpædagogisk bistand")
    await tab_to(page, "#f-services-0-hours_per_week")
    await page.keyboard.type("3")
    await _follow(page, "#formular button[type=submit]")
    await expect(page.get_by_role("status")).to_contain_text("Indstil afgørelse: udført")

    # the team lead approves with the assessment in view
    lead = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    lead_page = await lead.new_page()
    await _keyboard_log_in(lead_page, base_url, api, "team_lead", "godkendelse")
    await lead_page.goto(f"{base_url}/sager/{case_id}/handling/review_recommendation")
    await expect(lead_page.get_by_role("complementary")).to_contain_text("Varetage beskæftigelse")
    await tab_to(lead_page, "#f-approve-0")
    await lead_page.keyboard.press("Space")
    await _follow(lead_page, "#formular button[type=submit]")
    await expect(lead_page.get_by_role("status")).to_contain_text("udført")
    await lead.close()

    # the decision, filled in from the approved recommendation
    await page.goto(f"{base_url}/sager/{case_id}")
    await _follow(page, f"a[href='/sager/{case_id}/handling/make_decision']")
    await expect(page.locator("#f-services-0-service")).to_have_value(
        scenario.code(__import__("domain.terminology", fromlist=["x"]).services(), "Støtte til beskæftigelse")
    )
    await _follow(page, "#formular button[type=submit]")
    await expect(page.get_by_role("status")).to_contain_text("Træf afgørelse: udført")
    await expect(page.locator("#fase")).to_have_text("holdet samles")
    await page.goto(f"{base_url}/sager/{case_id}?fane=afgoerelse")
    await expect(page.locator("#afgoerelsesbrev")).to_contain_text("Klagevejledning")
    await screenshot(page, "keyboard-decision-made.png")
    await context.close()


async def _team_case(api, case_id):
    for command in [
        {"type": "open_visitation", "actor": scenario.CASEWORKER},
        scenario.assessment(),
        *scenario.heard(),  # FVL § 19: heard on the assessment before a decision against them
        scenario.decision("partly_granted", "Tre timer om ugen er nok nu"),
        scenario.invite(scenario.VOLUNTEER, "Karim Ali", "volunteer", "Røde Kors"),
        scenario.answer(scenario.VOLUNTEER),
        scenario.declaration(scenario.VOLUNTEER),  # the tavshedserklæring before the citizen's consent
    ]:
        response = await api.give(case_id, command)
        assert response.status_code == 200, response.text


async def test_a_citizen_gives_consent_and_lodges_an_appeal_with_the_keyboard_alone(browser, base_url, api, case_id):
    await api.open(case_id)
    await _team_case(api, case_id)
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")
    page = await context.new_page()
    await _keyboard_log_in(page, base_url, api, "citizen", "min egen sag")
    await expect(page.get_by_role("heading", name="Min sag", exact=True)).to_be_visible()

    await page.goto(f"{base_url}/sager/{case_id}?fane=hold")
    await _follow(page, f"a[href='/sager/{case_id}/handling/give_consent']")
    await expect(page.get_by_text("Karim Ali (frivillig, Røde Kors)")).to_be_visible()
    await tab_to(page, "#f-person_id-0")
    await page.keyboard.press("Space")
    for i in (1, 5):  # "Dine egne mål", "Handleplanen"
        await tab_to(page, f"#f-categories-{i}")
        await page.keyboard.press("Space")
    await tab_to(page, "#f-purpose")
    await page.keyboard.type("Mentorforløb: mine mål og planen")
    await type_date(page, "#f-valid_until", "2035-12-31")
    await screenshot(page, "keyboard-consent-filled.png")
    await _follow(page, "#formular button[type=submit]")
    await expect(page.get_by_role("status")).to_contain_text("Giv samtykke: udført")
    await page.goto(f"{base_url}/sager/{case_id}?fane=hold")
    await expect(page.get_by_role("cell", name="Handleplanen")).to_be_visible()

    await page.goto(f"{base_url}/sager/{case_id}?fane=afgoerelse")
    await expect(page.locator("#afgoerelsesbrev")).to_contain_text("Kære Jonas Holm")
    await _follow(page, f"a[href='/sager/{case_id}/klage']")
    await tab_to(page, "#f-complaint")
    await page.keyboard.type("Jeg har brug for flere timer end tre")
    await _follow(page, "form[action$='/klage'] button")
    await expect(page.get_by_role("status")).to_contain_text("Din klage er modtaget")
    await expect(page.locator("#klagestatus")).to_contain_text("genvurderer")
    await screenshot(page, "keyboard-appeal-lodged-390.png")
    await context.close()

    # the team lead reconsiders (retssikkerhedslovens § 66) from the case page, the decision,
    # the complaint and the assessment beside the form, with the keyboard alone
    lead = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    lead_page = await lead.new_page()
    await _keyboard_log_in(lead_page, base_url, api, "team_lead", "genvurdering af klage")
    await lead_page.goto(f"{base_url}/sager/{case_id}?fane=afgoerelse")
    await _follow(lead_page, f"a[href='/sager/{case_id}/klage/reconsider']")
    context_box = lead_page.get_by_role("complementary")
    await expect(context_box).to_contain_text("Jeg har brug for flere timer end tre")  # the complaint
    await expect(context_box).to_contain_text("Tre timer om ugen er nok nu")  # the decision's reasons
    await expect(context_box).to_contain_text("Varetage beskæftigelse")  # the assessment
    await expect(lead_page.get_by_role("heading", name="Genvurdér afgørelsen", exact=True)).to_be_visible()
    checked: list = []
    await check_page(lead_page, "team-lead-reconsider-form", checked)
    assert not failures(checked), failures(checked)
    await tab_to(lead_page, "#f-outcome-0")
    await lead_page.keyboard.press("Space")
    await tab_to(lead_page, "#f-reasons")
    await lead_page.keyboard.type("Tre timer svarer til det vurderede støttebehov")
    await screenshot(lead_page, "keyboard-reconsider-filled.png")
    await _follow(lead_page, "#formular button[type=submit]")
    await expect(lead_page.get_by_role("status")).to_contain_text("Genvurdér afgørelsen: udført")
    await expect(lead_page.locator("#klagestatus")).to_contain_text("Ankestyrelsen")
    await lead.close()


async def test_a_refused_form_shows_an_error_summary_that_takes_focus_and_links_to_the_field(
    page, base_url, api, case_id
):
    await api.open(case_id)
    await log_in(page, base_url, api, "caseworker")
    await page.goto(f"{base_url}/sager/{case_id}/handling/close_case")
    await page.get_by_label("Begrundelse").fill("x")
    await page.get_by_role("button", name="Luk sagen").click()
    summary = page.locator("#fejlopsummering")
    await expect(summary).to_be_focused()
    await expect(summary).to_contain_text("Begrundelse: Skriv mindst 3 tegn.")
    await expect(page.get_by_label("Begrundelse")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Begrundelse")).to_have_value("x")
    await summary.get_by_role("link").first.click()
    await expect(page.get_by_label("Begrundelse")).to_be_focused()
    await expect(page.locator("#fase")).to_have_count(0)
    await screenshot(page, "caseworker-form-error.png")


async def test_a_stale_version_says_what_changed_and_keeps_the_typed_text(page, base_url, api, case_id):
    await api.open(case_id)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    await log_in(page, base_url, api, "caseworker")
    await page.goto(f"{base_url}/sager/{case_id}/handling/record_case_information")
    await page.get_by_label("Kilde").fill("Jonas selv")
    await page.get_by_label("Opsummering").fill("Jonas fortæller om ondt i ryggen")
    await page.get_by_label("Oplysningen kommer fra borgeren selv").check()
    # meanwhile another caseworker records something in the same case
    other = dict(scenario.CASEWORKER)
    response = await api.give(case_id, {"type": "record_case_information", "actor": other, "source": "Jonas selv",
                                         "summary": "Jonas ringede om sin uge", "from_citizen": True})  # fmt: skip
    assert response.status_code == 200, response.text
    await page.get_by_role("button", name="Registrér oplysning i sagen").click()
    alert = page.locator("#fejlopsummering")
    await expect(alert).to_be_focused()
    await expect(alert).to_contain_text("Sagen er ændret")
    await expect(alert).to_contain_text("Oplysning registreret i sagen – Anne Larsen")
    await expect(page.get_by_label("Opsummering")).to_have_value("Jonas fortæller om ondt i ryggen")
    await screenshot(page, "caseworker-stale-version.png")
    await page.get_by_role("button", name="Registrér oplysning i sagen").click()  # sent again on the new version
    await expect(page.get_by_role("status")).to_contain_text("udført")


async def test_an_expired_session_logs_in_again_without_losing_the_typed_form(page, base_url, api, case_id):
    await api.open(case_id)
    await log_in(page, base_url, api, "caseworker")
    await page.goto(f"{base_url}/sager/{case_id}/handling/close_case")
    await page.get_by_label("Begrundelse").fill("Borgeren er flyttet til en anden kommune")
    await page.context.clear_cookies()  # the session runs out while typing
    await page.get_by_role("button", name="Luk sagen").click()
    await expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    await expect(page.locator("#fejlopsummering")).to_contain_text("Log ind igen")
    await page.get_by_label("Adgangstoken").fill(api.token("caseworker"))
    await page.get_by_label("Formål med dine opslag").fill("sagsbehandling")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Luk sagen")).to_be_visible()
    await expect(page.get_by_label("Begrundelse")).to_have_value("Borgeren er flyttet til en anden kommune")
    await expect(page.get_by_role("status")).to_contain_text("Det, du skrev, er bevaret")


async def test_the_focus_indicator_has_at_least_3_to_1_contrast(page, base_url):
    await page.goto(f"{base_url}/log-ind")
    await page.keyboard.press("Tab")  # the skip link
    await page.keyboard.press("Tab")
    color = await page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineColor, s.outlineStyle, s.outlineWidth]; }"
    )
    rgb = [int(x) for x in color[0][color[0].index("(") + 1 : color[0].index(")")].split(",")[:3]]

    def luminance(c):
        channels = [v / 255 for v in c]
        channels = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    contrast = (1.05) / (luminance(rgb) + 0.05)  # against white
    assert color[1] != "none" and float(color[2].rstrip("px")) >= 2
    assert contrast >= 3, (color, contrast)


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
    await expect(page.get_by_role("cell", name="Hans Berg (revisor, Intern revision)").first).to_be_visible()
    await screenshot(page, "auditor-tampered.png")


async def test_a_volunteer_lands_on_their_cases_and_sees_what_the_consent_allows(page, base_url, api, case_id):
    await api.open(case_id)
    await _team_case(api, case_id)
    await log_in(page, base_url, api, "volunteer", purpose="mentorforløb")
    await expect(page.get_by_role("heading", name="Mine forløb")).to_be_visible()
    await expect(page.get_by_text("Borgeren har ikke givet dig samtykke")).to_be_visible()
    await screenshot(page, "volunteer-without-consent.png")
    assert (await api.give(case_id, scenario.consent(scenario.VOLUNTEER))).status_code == 200
    await page.reload()
    await expect(page.get_by_text("Borgerens egne mål")).to_be_visible()  # the citizen's goals, not the volunteer's own
    await expect(page.get_by_text("Dine egne mål")).to_have_count(0)
    await expect(page.get_by_text("Holdets observationer")).to_be_visible()
    await screenshot(page, "volunteer-landing.png")


async def test_a_citizen_sees_who_looked_by_name_role_and_purpose(page, base_url, api, case_id):
    await api.open(case_id)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    await api.get(f"/cases/{case_id}", "caseworker", purpose="visitation")
    await log_in(page, base_url, api, "citizen", purpose="min egen sag")
    await page.goto(f"{base_url}/sager/{case_id}?fane=adgang")
    # GDPR art. 15 as read in C-579/21: when, why and the reader's role, not the employee's identity
    await expect(page.get_by_role("cell", name="sagsbehandler", exact=True).first).to_be_visible()
    assert "Anne Larsen" not in await page.inner_text("main")
    await expect(page.get_by_role("cell", name="så din sag", exact=True).first).to_be_visible()
    await expect(page.get_by_role("cell", name="visitation", exact=True).first).to_be_visible()
    assert "list_cases" not in await page.inner_text("main")
    assert PEOPLE["caseworker"]["person_id"] not in await page.inner_text("main")
    await screenshot(page, "citizen-who-looked.png")


async def test_a_token_for_the_login_form_is_checked(page, base_url):
    await page.goto(f"{base_url}/log-ind")
    await page.get_by_label("Adgangstoken").fill("not-a-token")
    await page.get_by_label("Formål med dine opslag").fill("x")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.locator("#fejlopsummering")).to_contain_text("ikke gyldigt")
