"""Reads: what each person sees, the purpose they give, and the log of it."""

from __future__ import annotations

from tests import scenario


async def test_the_timeline_comes_from_the_event_log_and_the_read_is_logged_with_purpose(api, case_id):
    await api.open(case_id)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    timeline = await api.get(f"/cases/{case_id}/timeline", "caseworker", purpose="sagsbehandling")
    assert timeline.status_code == 200
    assert [e["type"] for e in timeline.json()] == ["need_registered", "visitation_opened"]

    reads = (await api.get(f"/cases/{case_id}/access-log", "citizen")).json()
    assert {"role": "caseworker", "what": "read_timeline", "purpose": "sagsbehandling"}.items() <= reads[0].items()
    # GDPR art. 15 as read in C-579/21: the citizen learns when, why and in which role, not who the employee is
    assert "person_id" not in reads[0]
    officer = (await api.get(f"/cases/{case_id}/access-log", "caseworker", purpose="tilsyn")).json()
    assert officer[0]["person_id"] == "cw-anne"


async def test_a_refused_attempt_is_logged_too(api, case_id):
    """Every refused access attempt is in the access log (need-to-know, issue 23)."""
    await api.open(case_id)
    refused = await api.get(f"/cases/{case_id}/timeline", "volunteer", purpose="nysgerrighed")
    assert refused.status_code == 404  # a volunteer not on the team is an outsider: as if no case
    reads = (await api.get(f"/cases/{case_id}/access-log", "caseworker", purpose="tilsyn")).json()
    assert any(r["what"] == "refused:read_timeline" and r["person_id"] == "vol-karim" for r in reads)


async def test_a_read_of_personal_data_without_a_purpose_is_refused_naming_purpose(api, case_id):
    await api.open(case_id)
    refused = await api.get(f"/cases/{case_id}", "caseworker", purpose=None)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "purpose"
    by_query = await api.http.get(
        f"/cases/{case_id}?purpose=tilsyn", headers={"Authorization": f"Bearer {api.token('caseworker')}"}
    )
    assert by_query.status_code == 200


async def test_a_volunteer_sees_only_what_consent_covers_and_nothing_after_revocation(api, case_id):
    await api.team_phase(case_id)
    seen = (await api.get(f"/cases/{case_id}", "volunteer")).json()
    assert seen["phase"] == "team"
    assert "citizen" not in seen and "need" not in seen and "assessment" not in seen and "decision" not in seen
    assert "plan" in seen and "observations" in seen
    assert (await api.get(f"/cases/{case_id}/timeline", "volunteer")).json() == []  # no plan or observation yet

    assert (await api.get(f"/cases/{case_id}", "relative")).status_code == 403  # joined, but no consent

    revoked = await api.give(case_id, scenario.revoke(scenario.VOLUNTEER))
    assert revoked.status_code == 200, revoked.text
    for path in ("", "/timeline", "/deadlines"):
        assert (await api.get(f"/cases/{case_id}{path}", "volunteer")).status_code == 403


async def test_a_citizen_sees_their_own_case_and_who_read_it_but_no_one_else_s(api, case_id):
    position = (await api.open(case_id)).json()["position"]
    await api.get(f"/cases/{case_id}", "caseworker", purpose="visitation")
    own = await api.get(f"/cases/{case_id}", "citizen")
    assert own.status_code == 200 and own.json()["citizen"]["name"] == "Jonas Holm"
    reads = (await api.get(f"/cases/{case_id}/access-log", "citizen")).json()
    assert [(r["role"], r["purpose"]) for r in reads][:2] == [("caseworker", "visitation"), ("citizen", "test")]
    assert all("person_id" not in r for r in reads)  # C-579/21: when, why and the role, not who
    assert (await api.get(f"/cases/{case_id}", "other_citizen")).status_code == 404  # an outsider: as if no case
    listed = (await api.get(f"/cases?min_position={position}", "other_citizen")).json()
    assert listed["up_to_date"] and listed["cases"] == []
    listed = (await api.get(f"/cases?min_position={position}", "citizen")).json()
    assert [c["case_id"] for c in listed["cases"]] == [case_id]


async def test_deadlines_show_the_phase_s_due_time(api, case_id):
    await api.open(case_id)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    deadlines = (await api.get(f"/cases/{case_id}/deadlines", "caseworker")).json()
    assert deadlines["phase"] == "visitation" and deadlines["due_at"] is not None and deadlines["overdue"] is False


async def test_an_auditor_reads_the_trail_verifies_and_exports_but_writes_nothing(api, case_id):
    await api.open(case_id)
    trail = (await api.get(f"/audit/cases/{case_id}/trail", "auditor", purpose="tilsyn")).json()
    assert trail[0]["type"] == "need_registered" and len(trail[0]["hash"]) == 64
    verified = (await api.get("/audit/verify", "auditor")).json()
    assert verified["ok"] is True and verified["events"]["checked"] >= 1
    export = (await api.get(f"/audit/cases/{case_id}/export", "auditor")).json()
    assert export["case_id"] == case_id and export["events"][0]["hash"] == trail[0]["hash"]
    # the export checks this case's rows, and names the last full verification (none signed yet here)
    assert export["verified"]["case"]["ok"] is True and export["verified"]["case"]["checked"] == len(trail)
    assert export["verified"]["ok"] is None and "audit checkpoint" in export["verified"]["summary"]
    refused = await api.give(case_id, {"type": "open_visitation", "actor": {"id": "aud-hans", "role": "auditor"}})
    assert refused.status_code == 403
    assert "writes nothing" in refused.json()["error"]["message"]


async def test_metrics_count_requests_by_route(api, case_id):
    await api.open(case_id)
    await api.get(f"/cases/{case_id}/timeline", "caseworker")
    text = (await api.http.get("/metrics")).text
    assert 'samskab_http_requests_total{method="GET",route="/cases/{case_id}/timeline",status="200"}' in text
    assert "samskab_http_request_duration_seconds_bucket" in text


async def test_the_reports_count_cases_by_phase_without_names(api, case_id):
    position = (await api.open(case_id)).json()["position"]
    report = (await api.get(f"/reports/phases?min_position={position}", "administrator")).json()
    metrics = (await api.http.get("/metrics")).text
    assert 'samskab_cases{phase="need"} ' + f"{float(report['by_phase']['need'])}" in metrics
    assert 'samskab_projection_lag_events{projection="cases"}' in metrics
    assert report["by_phase"].get("need", 0) >= 1
    assert "Jonas" not in str(report)


async def test_a_case_as_it_stood_at_a_position_and_a_bad_as_of_names_the_parameter(api, case_id):
    position = (await api.open(case_id)).json()["position"]
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    assert (await api.get(f"/cases/{case_id}", "caseworker")).json()["phase"] == "visitation"
    past = (await api.get(f"/cases/{case_id}?as_of={position}", "caseworker", purpose="tilsyn")).json()
    assert past["phase"] == "need" and past["version"] == 1 and past["as_of"] == str(position)
    bad = await api.get(f"/cases/{case_id}?as_of=yesterday", "caseworker")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "as_of"
    naive = await api.get(f"/cases/{case_id}?as_of=2026-01-01T00:00:00", "caseworker")
    assert naive.status_code == 422 and "zone" in naive.json()["error"]["message"]
    reads = (await api.get(f"/cases/{case_id}/access-log", "caseworker")).json()
    assert any(r["what"] == f"read_case as_of={position}" and r["purpose"] == "tilsyn" for r in reads)


async def test_the_list_pages_filters_and_refuses_bad_parameters_by_name(api, case_id):
    position = (await api.open(case_id)).json()["position"]
    listed = (await api.get(f"/cases?min_position={position}&phase=need&limit=1", "caseworker")).json()
    assert listed["up_to_date"] and [c["case_id"] for c in listed["cases"]] == [case_id]
    assert "citizen" not in listed["cases"][0]  # no name or CPR in the list
    by_cpr = (await api.get("/cases?cpr=041298-1234", "caseworker")).json()
    assert [c["case_id"] for c in by_cpr["cases"]] == [case_id]
    by_name = (await api.get("/cases?name=holm", "caseworker")).json()
    assert [c["case_id"] for c in by_name["cases"]] == [case_id]
    assert (await api.get("/cases?name=Hansen", "caseworker")).json()["cases"] == []
    for query, field in [("phase=limbo", "phase"), ("limit=500", "limit"), ("cursor=xyz", "cursor"),
                         ("min_position=999999", "min_position"), ("cpr=12345", "cpr"),
                         ("due_before=2026-01-01T00:00:00", "due_before")]:  # fmt: skip
        response = await api.get(f"/cases?{query}", "caseworker")
        assert response.status_code == 422, query
        assert response.json()["error"]["field"].endswith(field), (query, response.json())
    # the list view was logged once, with the case it showed
    reads = (await api.get(f"/cases/{case_id}/access-log", "caseworker")).json()
    assert any(r["what"].startswith("shown#list_cases") and r["case_id"] is None for r in reads)


async def test_signed_tree_heads_and_consistency_proofs_are_published(api, case_id, store):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from eventlog.merkle import verify_consistency
    from eventlog.tree_heads import sign_current

    assert (await api.get("/audit/tree-head", None)).status_code == 404
    await api.open(case_id)
    key = Ed25519PrivateKey.generate()
    first, _ = sign_current(store, key)
    await api.give(case_id, {"type": "open_visitation", "actor": scenario.CASEWORKER})
    second, _ = sign_current(store, key)
    assert first is not None and second is not None  # the log verifies, so heads are signed

    published = (await api.get("/audit/tree-head", None)).json()
    assert published == second.to_dict()
    answer = (await api.get(f"/audit/consistency?first={first.events.size}&second={second.events.size}", None)).json()
    verify_consistency(
        first.events.size,
        second.events.size,
        bytes.fromhex(first.events.root),
        bytes.fromhex(second.events.root),
        [bytes.fromhex(p) for p in answer["proof"]],
    )
    too_far = await api.get(f"/audit/consistency?first=1&second={second.events.size + 5}", None)
    assert too_far.status_code == 422


async def test_aktindsigt_hands_the_citizen_their_case_as_one_document_with_its_digest(api, case_id):
    """FVL § 9 and GDPR art. 15: the citizen gets what they may see of their case as one
    export; its SHA-256 is what the caseworker records when answering (export_digest)."""
    import hashlib
    import json

    await api.open(case_id)
    export = (await api.get(f"/cases/{case_id}/file-access/export", "citizen", purpose="aktindsigt")).json()
    assert export["case"]["citizen"]["name"] == "Jonas Holm" and export["timeline"][0]["type"] == "need_registered"
    body = {k: v for k, v in export.items() if k != "sha256"}
    assert (
        export["sha256"]
        == hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
    )
    assert (await api.get(f"/cases/{case_id}/file-access/export", "other_citizen")).status_code == 404


async def test_a_cases_access_log_comes_newest_page_first_with_the_way_to_older_reads(api, case_id):
    await api.open(case_id)
    for n in range(5):
        await api.get(f"/cases/{case_id}/timeline", "caseworker", purpose=f"opslag {n}")
    first = await api.get(f"/cases/{case_id}/access-log?limit=3", "caseworker", purpose="tilsyn")
    assert first.status_code == 200
    page = first.json()
    assert len(page) == 3 and [r["position"] for r in page] == sorted(r["position"] for r in page)
    # the newest reads come first: the access-log read itself is recorded before it is answered
    assert page[-1]["what"] == "read_access_log" and page[-1]["purpose"] == "tilsyn"
    before = first.headers["X-Samskab-Older-Before"]
    assert before == str(page[0]["position"])
    older = (
        await api.get(f"/cases/{case_id}/access-log?limit=3&before={before}", "caseworker", purpose="tilsyn")
    ).json()
    assert [r["purpose"] for r in older] == ["opslag 0", "opslag 1", "opslag 2"]
    assert (await api.get(f"/cases/{case_id}/access-log?limit=0", "caseworker")).status_code == 422
