"""Every page, for every role that sees it, in every phase, with forms opened and in error
states: axe-core (WCAG 2.1 A and AA) finds nothing, no English or raw identifiers show,
nothing scrolls sideways at 320 px, and a screenshot at 1280 and 390 px is kept."""

from __future__ import annotations

import pytest

from app.pages.routes import CITIZEN_TABS as CITIZEN_PAGE_TABS
from app.pages.routes import STAFF_TABS as STAFF_PAGE_TABS
from tests import scenario
from tests.api.conftest import RELATIVE
from tests.browser.conftest import ARTIFACTS, check_page, failures, log_in

#: Every tab of the case page as each sees it (the pages' own lists).
STAFF_TABS = [key for key, _ in STAFF_PAGE_TABS]
CITIZEN_TABS = [key for key, _ in CITIZEN_PAGE_TABS]


async def _sweep_case(page, base_url, case_id, role, phase, tabs, results, forms=True):
    for tab in tabs:
        await page.goto(f"{base_url}/sager/{case_id}?fane={tab}")
        await check_page(page, f"{phase}-{role}-case-{tab}", results, reflow=tab in ("oversigt", "historik", "hold"))
    if not forms:
        return
    await page.goto(f"{base_url}/sager/{case_id}")
    hrefs = await page.eval_on_selector_all(".actions a", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        await page.goto(base_url + href)
        name = f"{phase}-{role}-form-{href.rsplit('/', 1)[-1]}"
        await check_page(page, name, results, widths=(1280,), reflow=False)
        # sent empty (only forms with a field that must be filled in: the others would just act)
        button = page.locator("form#formular button[type=submit], form[action$='/klage'] button[type=submit]")
        if await page.locator("form :text('skal udfyldes')").count():
            await button.first.click()
            await page.wait_for_load_state()
            await check_page(page, name + "-error", results, widths=(1280, 390), reflow=True)


#: The phases each test sweeps: the sweeps run side by side in ``make test``'s processes, each
#: on a case taken (through the API, unswept) to the first of its phases.
SWEEPS = {
    "need-and-visitation": ("need", "visitation"),
    "team": ("team",),
    "pilot": ("pilot",),
    "evaluation-and-closed": ("evaluation", "closed"),
}


def _steps() -> dict[str, list]:
    """The commands that take the case into each phase after ``need``, in order."""
    return {
        # the hearing is left open in the visitation phase: the citizen sees its letter and answers it
        "visitation": [{"type": "open_visitation", "actor": scenario.CASEWORKER}, scenario.assessment(), scenario.heard()[0]],
        "team": [scenario.heard()[1], scenario.decision("partly_granted", "Støtte i 3 timer; mere er ikke nødvendigt nu"),
                 scenario.invite(scenario.VOLUNTEER, "Karim Ali", "volunteer", "Røde Kors"),
                 scenario.invite(scenario.STAFF, "Lise Madsen", "staff", "Jobcenter"),
                 scenario.invite(RELATIVE, "Maria Holm", "relative", "Familien"),
                 scenario.answer(scenario.VOLUNTEER), scenario.answer(scenario.STAFF), scenario.answer(RELATIVE),
                 scenario.declaration(scenario.VOLUNTEER), scenario.consent(scenario.VOLUNTEER),
                 scenario.approve_team(), scenario.propose_plan()],
        "pilot": [scenario.accept_plan(), scenario.start_pilot(), scenario.schedule_meeting(), scenario.observation(scenario.VOLUNTEER)],
        "evaluation": [scenario.record_meeting(), scenario.complete_pilot()],
        "closed": [scenario.evaluation(), scenario.close()],
    }  # fmt: skip


@pytest.mark.parametrize("phases", SWEEPS.values(), ids=SWEEPS.keys())
async def test_every_page_in_every_phase_passes_axe_in_danish_without_sideways_scrolling(
    browser, base_url, api, case_id, phases
):  # fmt: skip
    results: list = []
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page = await context.new_page()
    citizen_context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    citizen = await citizen_context.new_page()
    volunteer_context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    volunteer = await volunteer_context.new_page()

    if "need" in phases:
        await page.goto(f"{base_url}/log-ind")
        await check_page(page, "login", results)
        await page.get_by_label("Adgangstoken").fill("not-a-token")
        await page.get_by_label("Formål med dine opslag").fill("x")
        await page.get_by_role("button", name="Log ind").click()
        await check_page(page, "login-error", results)

    assert (await api.open(case_id)).status_code == 201
    await log_in(page, base_url, api, "caseworker")
    await log_in(citizen, base_url, api, "citizen", purpose="min egen sag")
    if "need" in phases:
        await check_page(page, "need-caseworker-worklist", results)
        await _sweep_case(page, base_url, case_id, "caseworker", "need", ["oversigt", "borger", "historik"], results)

    for phase, commands in _steps().items():
        for command in commands:
            response = await api.give(case_id, command)
            assert response.status_code == 200, (phase, command["type"], response.text)
        if phase not in phases:
            continue
        await _sweep_case(page, base_url, case_id, "caseworker", phase, STAFF_TABS, results, forms=phase != "closed")
        await citizen.goto(f"{base_url}/borger")
        await check_page(citizen, f"{phase}-citizen-home", results)
        await _sweep_case(citizen, base_url, case_id, "citizen", phase, CITIZEN_TABS, results,
                          forms=phase in ("visitation", "team", "pilot"))  # fmt: skip
        if phase == "team":  # the citizen's own appeal form, opened and sent empty
            await citizen.goto(f"{base_url}/sager/{case_id}/klage")
            await check_page(citizen, "team-citizen-appeal-form", results)
            await citizen.locator("form[action$='/klage'] button[type=submit]").click()
            await citizen.wait_for_load_state()
            await check_page(citizen, "team-citizen-appeal-form-error", results)
        if phase in ("team", "pilot"):
            await log_in(volunteer, base_url, api, "volunteer", purpose="mentorforløb")
            await volunteer.goto(f"{base_url}/hold")
            await check_page(volunteer, f"{phase}-volunteer-home", results)
            await _sweep_case(volunteer, base_url, case_id, "volunteer", phase, ["oversigt", "plan", "moeder"], results)
    if "closed" in phases:
        await page.goto(f"{base_url}/sager?alle=true&overskredet=ja")
        await check_page(page, "worklist-all-filtered", results)
        await page.goto(f"{base_url}/sager?cpr=123")
        await check_page(page, "worklist-search-error", results)
        await page.goto(f"{base_url}/sager?soeg=a&fase=ukendt")
        await check_page(page, "worklist-name-and-phase-error", results)
        await page.goto(f"{base_url}/sager/ny")
        await check_page(page, "open-case-form", results)
        await page.locator("#f-citizen-cpr").fill("320185-1234")
        await page.locator("form#formular button[type=submit]").click()
        await page.wait_for_load_state()
        await check_page(page, "open-case-form-error", results)
        await log_in(page, base_url, api, "auditor", purpose="revision")
        await page.goto(f"{base_url}/revision")
        await check_page(page, "auditor-home", results)
        await page.goto(f"{base_url}/revision/sager/{case_id}")
        await check_page(page, "auditor-case", results)
    for c in (context, citizen_context, volunteer_context):
        await c.close()
    report = ARTIFACTS / f"axe-results-{'-'.join(phases)}.txt"
    report.write_text("\n".join(f"{name}: {found}" for name, found in results), encoding="utf-8")
    assert not failures(results), failures(results)
