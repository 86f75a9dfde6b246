"""The appeal through the API's typed routes: lodged by the citizen, registered by a
caseworker, reconsidered, sent on, Ankestyrelsen's decision recorded, withdrawn;
who may give which (the permission matrix and the appeal's decider agree), and
refusals naming the appeal's status and the rule."""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain.appeal_window import DANISH_TIME
from tests import scenario


async def _decided(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    for command in [
        {"type": "open_visitation", "actor": scenario.CASEWORKER},
        scenario.assessment(),
        *scenario.heard(),
        scenario.decision("partly_granted", "Tre timer om ugen er nok nu"),
    ]:
        response = await api.give(case_id, command)
        assert response.status_code == 200, response.text


async def _appeals(api, case_id, who="caseworker") -> list[dict]:
    """The case's appeals, once the first one's workflow has opened its window (it starts just after the decision)."""
    for _ in range(100):
        response = await api.get(f"/cases/{case_id}/appeals", who)
        assert response.status_code == 200, response.text
        if response.json()["appeals"]:
            return response.json()["appeals"]
        await asyncio.sleep(0.05)
    raise AssertionError("no appeal opened")


def today() -> str:
    return datetime.now(DANISH_TIME).date().isoformat()  # the day in Denmark, as a caseworker enters it


async def test_an_appeal_through_its_routes_from_lodging_to_ankestyrelsens_decision(api, case_id):
    await _decided(api, case_id)
    base = f"/cases/{case_id}/appeals/1"
    [appeal] = await _appeals(api, case_id, "citizen")
    assert appeal["status"] == "window_open" and appeal["last_day"] is not None and appeal["outcome_kind"] is None

    # who may give what: the matrix and the decider agree
    assert (await api.post(f"{base}/lodge", "caseworker", {"complaint": "For borgeren"})).status_code == 403
    assert (await api.post(f"{base}/register", "citizen", {"channel": "phone", "received_on": today(),
                                                          "complaint": "x x x"})).status_code == 403  # fmt: skip
    early = await api.post(
        f"{base}/outcome", "caseworker", {"outcome": "changed", "decided_on": today(), "reasons": "x"}
    )
    assert early.status_code == 409 and early.json()["error"]["rule"] == "appeal.not_sent_on"
    assert "window_open" in early.json()["error"]["message"]

    lodged = await api.post(f"{base}/lodge", "citizen", {"complaint": "Jeg har brug for flere timer"})
    assert lodged.status_code == 200, lodged.text
    reconsidered = await api.post(f"{base}/reconsider", "team_lead", {"outcome": "upheld", "reasons": "Fastholdes"})
    assert reconsidered.status_code == 200 and reconsidered.json()["status"] == "sent_to_ankestyrelsen", (
        reconsidered.text
    )

    bad = await api.post(f"{base}/outcome", "caseworker", {"outcome": "maybe", "decided_on": today(), "reasons": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "outcome"
    decided = await api.post(f"{base}/outcome", "caseworker", {"outcome": "sent_back", "decided_on": today(),
                                                               "reasons": "Ikke tilstrækkeligt oplyst"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "decided_by_ankestyrelsen", decided.text

    late_withdrawal = await api.post(f"{base}/withdraw", "citizen", {})
    assert late_withdrawal.status_code == 409 and late_withdrawal.json()["error"]["rule"] in (
        "appeal.not_withdrawable",
        "appeal.ended",
    )
    [ended] = (await api.get(f"/cases/{case_id}/appeals", "caseworker")).json()["appeals"]
    assert ended["outcome_kind"] == "ankestyrelsen_sent_back" and ended["settled"]


async def test_a_caseworker_registers_a_phoned_appeal_and_records_a_withdrawal_on_the_citizens_word(api, case_id):
    await _decided(api, case_id)
    await _appeals(api, case_id)
    base = f"/cases/{case_id}/appeals/1"
    missing = await api.post(f"{base}/register", "caseworker", {"channel": "phone", "complaint": "Ringede"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "received_on"
    digital = await api.post(
        f"{base}/register", "caseworker", {"channel": "digital", "received_on": today(), "complaint": "Ringede"}
    )
    assert digital.status_code == 422 and digital.json()["error"]["field"] == "channel"
    registered = await api.post(f"{base}/register", "caseworker", {"channel": "phone", "received_on": today(),
                                                                   "complaint": "Ringede: for få timer"})  # fmt: skip
    assert registered.status_code == 200 and registered.json()["status"] == "awaiting_reconsideration", registered.text
    no_channel = await api.post(f"{base}/withdraw", "caseworker", {})
    assert no_channel.status_code == 422 and no_channel.json()["error"]["field"] == "channel"
    withdrawn = await api.post(f"{base}/withdraw", "caseworker", {"channel": "phone", "note": "Borgeren ringede"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text
    [appeal] = (await api.get(f"/cases/{case_id}/appeals", "caseworker")).json()["appeals"]
    assert appeal["channel"] == "phone" and not appeal["late"] and appeal["status"] == "withdrawn"


async def test_an_outsider_sees_no_appeals(api, case_id):
    await _decided(api, case_id)
    assert (await api.get(f"/cases/{case_id}/appeals", "other_citizen")).status_code == 404
