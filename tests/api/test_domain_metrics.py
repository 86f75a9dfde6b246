"""``/metrics`` after real commands: command latency by type and outcome, refusals by rule,
and the read models' domain gauges (missed deadlines by phase and by kind, appeals by status)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests import scenario
from tests.api.test_member_list_and_appeal import _decided


async def samples(api) -> dict[tuple[str, tuple], float]:
    text = (await api.http.get("/metrics")).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for family in text_string_to_metric_families(text)
            for s in family.samples}  # fmt: skip


async def until(api, name: str, labels: dict[str, str], at_least: float = 1, timeout: float = 15) -> float:
    """The sample's value once it reaches ``at_least`` (the projector follows the log in a thread)."""
    key = (name, tuple(sorted(labels.items())))
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = (await samples(api)).get(key, 0.0)
        if value >= at_least or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_commands_are_timed_by_type_and_refusals_counted_by_rule(api, case_id):
    before = await samples(api)
    await _decided(api, case_id)
    early = await api.give(case_id, scenario.complete_pilot())
    assert early.status_code == 409 and early.json()["error"]["rule"] == "case.wrong_phase"

    after = await samples(api)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("samskab_command_duration_seconds_count", command="register_need", outcome="accepted") == 1
    assert grew("samskab_command_duration_seconds_count", command="open_visitation", outcome="accepted") == 1
    assert grew("samskab_command_duration_seconds_count", command="complete_pilot", outcome="refused") == 1
    assert grew("samskab_command_refusals_total", command="complete_pilot", rule="case.wrong_phase") == 1
    assert grew("samskab_command_duration_seconds_sum", command="register_need", outcome="accepted") > 0


async def test_appeals_by_status_and_missed_deadlines_come_from_the_read_models(api, case_id, env):
    await _decided(api, case_id)
    lodged = await api.post(
        f"/cases/{case_id}/appeals/1/lodge", "citizen", {"complaint": "Jeg har brug for flere timer"}
    )
    assert lodged.status_code == 200, lodged.text
    assert await until(api, "samskab_appeals", {"status": "awaiting_reconsideration"}) >= 1

    late = f"{case_id}-late"
    assert (await api.open(late)).status_code == 201
    assert (await api.give(late, {"type": "open_visitation", "actor": scenario.CASEWORKER})).status_code == 200
    assert (await samples(api)).get(("samskab_cases_missed_deadline", (("phase", "visitation"),)), 0.0) == 0
    await env.sleep(timedelta(weeks=9))  # the visitation's 8 weeks (Retssikkerhedsloven § 3, stk. 2) pass
    assert await until(api, "samskab_cases_missed_deadline", {"phase": "visitation"}) == 1
    assert await until(api, "samskab_cases_overdue", {}) >= 1
    # every miss so far, by the kind of deadline the event declares (Event.missed_deadline): the late
    # case's phase deadline, and the first case's reconsideration, 4 weeks after the appeal (Rsl § 66)
    assert await until(api, "samskab_deadlines_missed_total", {"kind": "phase"}) >= 1
    assert await until(api, "samskab_deadlines_missed_total", {"kind": "reconsideration"}) >= 1
