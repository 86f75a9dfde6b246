"""The appeal on the pages: the case page shows the appeal with its last day in Danish
and offers each person the appeal's forms they may use now (the caseworker registers,
reconsiders and records Ankestyrelsen's decision; the citizen lodges and withdraws);
a form's refusal comes back in Danish on the form."""

from __future__ import annotations

import re
from datetime import datetime

from domain.appeal_window import DANISH_TIME
from tests.api.test_appeal_routes import _appeals, _decided


def cookies(api, who: str) -> dict[str, str]:
    return {"Cookie": f"samskab_token={api.token(who)}; samskab_purpose=sagsbehandling"}


async def page(api, who: str, path: str):
    return await api.http.get(path, headers=cookies(api, who))


async def form_post(api, who: str, path: str, data: dict):
    return await api.http.post(path, data=data, headers=cookies(api, who), follow_redirects=False)


async def test_the_caseworker_registers_a_phoned_appeal_reconsiders_and_records_ankestyrelsens_decision(api, case_id):
    await _decided(api, case_id)
    [appeal] = await _appeals(api, case_id)
    case = await page(api, "caseworker", f"/sager/{case_id}?fane=afgoerelse")
    assert case.status_code == 200, case.text
    last_day = datetime.fromisoformat(appeal["last_day"])
    assert "Sidste klagedag" in case.text and f"{last_day.day}. " in case.text and str(last_day.year) in case.text
    assert f"/sager/{case_id}/klage/register_appeal" in case.text
    assert f"/sager/{case_id}/klage/record_appeal_outcome" not in case.text  # not sent on: not offered
    assert f'href="/sager/{case_id}/klage"' not in case.text  # lodging is the citizen's own

    form = await page(api, "caseworker", f"/sager/{case_id}/klage/register_appeal")
    assert form.status_code == 200 and "Modtaget den" in form.text and "Telefon" in form.text
    missing = await form_post(
        api, "caseworker", f"/sager/{case_id}/klage/register_appeal", {"channel": "phone", "complaint": "Ringede"}
    )
    assert missing.status_code == 422 and "Modtaget den" in missing.text
    today = datetime.now(DANISH_TIME).date().isoformat()  # the day in Denmark, as a caseworker enters it
    future = await form_post(api, "caseworker", f"/sager/{case_id}/klage/register_appeal",
                             {"channel": "phone", "received_on": "2099-01-01", "complaint": "Ringede om timerne"})  # fmt: skip
    assert future.status_code in (409, 422) and "efter i dag" in future.text
    done = await form_post(api, "caseworker", f"/sager/{case_id}/klage/register_appeal",
                           {"channel": "phone", "received_on": today, "complaint": "Ringede om timerne"})  # fmt: skip
    assert done.status_code == 303, done.text
    assert "fane=afgoerelse" in done.headers["location"]

    case = await page(api, "team_lead", f"/sager/{case_id}?fane=afgoerelse")
    assert "(telefon)" in case.text and f"/sager/{case_id}/klage/reconsider" in case.text
    upheld = await form_post(
        api, "team_lead", f"/sager/{case_id}/klage/reconsider", {"outcome": "upheld", "reasons": "Fastholdes"}
    )
    assert upheld.status_code == 303, upheld.text

    case = await page(api, "caseworker", f"/sager/{case_id}?fane=afgoerelse")
    assert f"/sager/{case_id}/klage/record_appeal_outcome" in case.text and "Sendt til Ankestyrelsen" in case.text
    recorded = await form_post(api, "caseworker", f"/sager/{case_id}/klage/record_appeal_outcome",
                               {"outcome": "sent_back", "decided_on": today, "reasons": "Ikke oplyst nok"})  # fmt: skip
    assert recorded.status_code == 303, recorded.text
    case = await page(api, "citizen", f"/sager/{case_id}?fane=afgoerelse")
    assert re.search(r"Hjemvist den \d+\. \w+ \d{4}: Ikke oplyst nok", case.text), case.text
    assert "/klage/" not in case.text  # nothing more to do on a decided appeal
    refused = await page(api, "caseworker", f"/sager/{case_id}/klage/withdraw_appeal")
    assert refused.status_code == 409


async def test_the_citizen_is_offered_lodging_then_withdrawal(api, case_id):
    await _decided(api, case_id)
    await _appeals(api, case_id)
    case = await page(api, "citizen", f"/sager/{case_id}?fane=afgoerelse")
    assert f'href="/sager/{case_id}/klage"' in case.text and "register_appeal" not in case.text
    assert (await page(api, "citizen", f"/sager/{case_id}/klage/register_appeal")).status_code == 409
    lodged = await api.http.post(f"/sager/{case_id}/klage", data={"complaint": "Jeg har brug for flere timer"},
                                 headers=cookies(api, "citizen"), follow_redirects=False)  # fmt: skip
    assert lodged.status_code == 303, lodged.text
    form = await page(api, "citizen", f"/sager/{case_id}/klage/withdraw_appeal")
    assert form.status_code == 200 and "Hvordan trak borgeren" not in form.text  # the citizen is not asked how
    withdrawn = await form_post(
        api, "citizen", f"/sager/{case_id}/klage/withdraw_appeal", {"note": "Vi har talt sammen"}
    )
    assert withdrawn.status_code == 303, withdrawn.text
    case = await page(api, "citizen", f"/sager/{case_id}?fane=afgoerelse")
    assert "Trukket tilbage" in case.text and "klagen er trukket tilbage" in case.text.lower()
