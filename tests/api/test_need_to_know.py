"""Need-to-know on the real API: a caseworker of unit A neither lists nor reads unit B's cases
(GDPR art. 5, stk. 1, litra c, art. 25 and 32; the rule is in domain/access.py)."""

from __future__ import annotations


async def test_a_caseworker_of_unit_a_does_not_see_unit_b_s_cases(api, case_id):
    case_a, case_b, case_new = f"{case_id}-a", f"{case_id}-b", f"{case_id}-n"
    for case in (case_a, case_b):
        assert (await api.open(case)).status_code == 201
    assert (
        await api.post(f"/cases/{case_a}/commands", "caseworker_unit_a", {"type": "assign_unit", "unit": "unit-a"})
    ).status_code == 200
    moved = await api.post(f"/cases/{case_b}/commands", "caseworker_unit_b", {"type": "assign_unit", "unit": "unit-b"})
    assert moved.status_code == 200, moved.text
    position = (await api.open(case_new)).json()["position"]  # after the units were assigned

    listed = (await api.get(f"/cases?min_position={position}", "caseworker_unit_a")).json()
    shown = {c["case_id"] for c in listed["cases"]}
    assert case_a in shown and case_new in shown  # a case with no unit yet is for anyone to pick up
    assert case_b not in shown
    assert (await api.get(f"/cases/{case_a}", "caseworker_unit_a")).status_code == 200
    assert (await api.get(f"/cases/{case_b}", "caseworker_unit_a")).status_code == 404  # as if no case
    refused = await api.post(f"/cases/{case_b}/commands", "caseworker_unit_a", {"type": "open_visitation"})
    assert refused.status_code == 404

    reads = (await api.get(f"/cases/{case_b}/access-log", "caseworker_unit_b", purpose="tilsyn")).json()
    assert any(r["what"] == "refused:read_case" and r["person_id"] == "cw-alma" for r in reads)
    # a token without a unit (an installation without units) still lists every case
    everyone = (await api.get(f"/cases?min_position={position}", "caseworker")).json()
    assert {case_a, case_b, case_new} <= {c["case_id"] for c in everyone["cases"]}
