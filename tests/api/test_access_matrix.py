"""The whole role x endpoint matrix: each cell allowed (anything but 401/403) or denied (403).

One case in the team phase: the volunteer has the citizen's consent, the
relative has joined without one, the staff member is on the team. Commands are
chosen so the domain refuses them after access is granted (out of phase, or a
consent for staff), so walking the matrix changes no case."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tests import scenario

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: Each endpoint's kind and target: a path to GET, nothing to open a case with, or a path and body to POST.
ENDPOINTS: dict[str, tuple[str, Any]] = {
    "GET /cases": ("get", "/cases"),
    "GET /cases/{id}": ("get", "/cases/{id}"),
    "GET /cases/{id}/timeline": ("get", "/cases/{id}/timeline"),
    "GET /cases/{id}/deadlines": ("get", "/cases/{id}/deadlines"),
    "GET /cases/{id}/access-log": ("get", "/cases/{id}/access-log"),
    "GET /audit/cases/{id}/trail": ("get", "/audit/cases/{id}/trail"),
    "GET /audit/cases/{id}/access-log": ("get", "/audit/cases/{id}/access-log"),
    "GET /audit/cases/{id}/export": ("get", "/audit/cases/{id}/export"),
    "GET /audit/verify": ("get", "/audit/verify"),
    "GET /reports/phases": ("get", "/reports/phases"),
    "POST /cases": ("open", None),
    "POST /cases/{id}/commands": ("post", ("/cases/{id}/commands", {"type": "record_observation", "text": "x"})),
    "POST /cases/{id}/commands/give_consent": ("post", ("/cases/{id}/commands/give_consent", None)),
}

Y, N = True, False
# endpoint order as in ENDPOINTS. GET /cases answers everyone but administrators with their own
# list: case officers the municipality's, a citizen their own, a team member the cases they are on.
EXPECTED = {
    "caseworker":     [Y, Y, Y, Y, Y, N, Y, N, N, Y, Y, Y, N],
    "team_lead":      [Y, Y, Y, Y, Y, N, Y, N, Y, Y, Y, Y, N],
    "staff":          [Y, Y, Y, Y, N, N, N, N, N, N, N, Y, N],
    "stranger_staff": [Y, N, N, N, N, N, N, N, N, N, N, N, N],
    "volunteer":      [Y, Y, Y, Y, N, N, N, N, N, N, N, Y, N],
    "relative":       [Y, N, N, N, N, N, N, N, N, N, N, Y, N],
    "citizen":        [Y, Y, Y, Y, Y, N, Y, N, N, N, Y, Y, Y],
    "other_citizen":  [Y, N, N, N, N, N, N, N, N, N, N, N, N],
    "auditor":        [Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, N, N, N],
    "administrator":  [N, N, N, Y, N, N, N, N, Y, Y, N, N, N],
}  # fmt: skip


async def _call(api, who: str, endpoint: str, case_id: str, n: int):
    kind, target = ENDPOINTS[endpoint]
    if kind == "get":
        return await api.get(target.format(id=case_id), who)
    if kind == "open":
        # a citizen: their own need, under a new case number
        body = {**scenario.register(f"{case_id}-c{n}" if who == "citizen" else f"{case_id}-{n}")}
        body.pop("actor"), body.pop("type")
        if who == "other_citizen":
            pass  # Jonas's CPR, not theirs: refused
        return await api.post("/cases", who, body)
    path, body = target
    if body is None:  # a consent for the staff member: the domain refuses it, if access lets it through
        body = {k: v for k, v in scenario.consent(scenario.STAFF).items() if k not in ("actor", "type")}
    return await api.post(path.format(id=case_id), who, body)


async def test_every_role_and_endpoint_is_allowed_or_denied_as_the_matrix_says(api, case_id):
    await api.team_phase(case_id)
    names = list(ENDPOINTS)
    found: dict[str, list[bool]] = {}
    statuses: dict[str, list[int]] = {}
    n = 0
    for who in EXPECTED:
        found[who], statuses[who] = [], []
        for endpoint in names:
            n += 1
            response = await _call(api, who, endpoint, case_id, n)
            assert response.status_code != 401, (who, endpoint, response.text)
            assert response.status_code != 500, (who, endpoint, response.text)
            if response.status_code == 404:  # an outsider is told the case does not exist, as for no case at all
                assert response.json()["error"] == {"message": f"there is no case {case_id}", "rule": "case.not_found",
                                                    "field": "case_id", "kind": None}, (who, endpoint)  # fmt: skip
            found[who].append(response.status_code not in (403, 404))
            statuses[who].append(response.status_code)

    table = Table(title="role x endpoint (status; Y allowed, N denied)")
    table.add_column("role")
    for endpoint in names:
        table.add_column(endpoint.replace("/cases/{id}", "…"), overflow="fold")
    for who in EXPECTED:
        table.add_row(who, *(f"{'Y' if ok else 'N'} {s}" for ok, s in zip(found[who], statuses[who], strict=True)))
    console = Console(width=250, record=True, file=io.StringIO())
    console.print(table)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console.save_text(str(ARTIFACTS / "access-matrix.txt"))

    wrong = [
        f"{who} {endpoint}: expected {'allow' if EXPECTED[who][i] else 'deny'}, got {statuses[who][i]}"
        for who in EXPECTED
        for i, endpoint in enumerate(names)
        if found[who][i] != EXPECTED[who][i]
    ]
    assert not wrong, "\n".join(wrong)
    assert sum(len(row) for row in EXPECTED.values()) == len(EXPECTED) * len(ENDPOINTS) == 130
