"""A team member's list holds only the cases they are on; a citizen appeals a decision online."""

from __future__ import annotations

from tests import scenario
from tests.api.conftest import RELATIVE


async def _decided(api, case_id):
    assert (await api.open(case_id)).status_code == 201
    for command in [
        {"type": "open_visitation", "actor": scenario.CASEWORKER},
        scenario.assessment(),
        *scenario.heard(),  # FVL § 19: partly granted rests on the assessment, to the citizen's disadvantage
        scenario.decision("partly_granted", "Tre timer om ugen er nok nu"),
        scenario.invite(scenario.VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
    ]:
        response = await api.give(case_id, command)
        assert response.status_code == 200, response.text


async def test_a_volunteer_lists_only_the_cases_whose_team_they_are_on(api, case_id):
    await _decided(api, case_id)
    other = f"{case_id}-b"
    assert (await api.open(other)).status_code == 201
    response = await api.get("/cases?min_position=0", "volunteer")
    assert response.status_code == 200, response.text
    listed = [c["case_id"] for c in response.json()["cases"]]
    assert case_id in listed and other not in listed
    nobody = await api.get("/cases", "relative")
    assert nobody.status_code == 200 and nobody.json()["cases"] == []
    assert RELATIVE["id"] == "rel-maria"


async def test_a_citizen_lodges_an_appeal_of_their_own_decision_and_no_one_else_can(api, case_id):
    await _decided(api, case_id)
    path = f"/cases/{case_id}/appeals/1/lodge"
    assert (
        await api.post(path, "other_citizen", {"complaint": "Ikke min sag"})
    ).status_code == 404  # an outsider: as if no case
    assert (await api.post(path, "citizen", {"complaint": "x"})).status_code == 422
    assert (
        await api.post(f"/cases/{case_id}/appeals/2/lodge", "citizen", {"complaint": "Forkert nummer"})
    ).status_code == 404
    response = await api.post(path, "citizen", {"complaint": "Jeg har brug for flere timer"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "awaiting_reconsideration"
    again = await api.post(path, "citizen", {"complaint": "Igen"})
    assert again.status_code == 409 and again.json()["error"]["rule"] == "appeal.already_lodged"
