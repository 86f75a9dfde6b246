"""Reports built from the demo citizens' cases validate; a re-report is an update."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from activities.kl_gateway.projection import ReportContext, build_report, local_day
from activities.kl_gateway.validation import validate_delivery_report
from domain.messages import Event
from tests.kl_gateway.helpers import all_demo_citizens, run_citizen

CTX = ReportContext(organisation="d4e3f4fb-6761-4d6c-9086-74c49231f11e")
START = datetime(2026, 3, 2, 7, tzinfo=UTC)


def report_of(case_id: str, events: list[Event], day: date) -> dict:
    """The report of a day the citizen's case changed: there is one."""
    report = build_report(case_id, events, day, CTX)
    assert report is not None, f"no report of {day}"
    return report


@pytest.mark.parametrize("index", range(3))
def test_demo_citizens_reports_validate(index: int) -> None:
    citizen = all_demo_citizens()[index]
    events = run_citizen(citizen, f"demo-{index}", START)
    days = sorted({local_day(e.occurred_at) for e in events})
    reports = [report_of(f"demo-{index}", events, day) for day in days]
    for report in reports:
        assert validate_delivery_report(report) == []
        kinds = {e["resource"]["resourceType"] for e in report["entry"]}
        assert {"Patient", "ServiceRequest"} <= kinds
        assert '"text"' not in str(report) and citizen.name not in str(report)


def test_a_report_covers_one_day_and_ids_are_stable() -> None:
    events = run_citizen(all_demo_citizens()[0], "demo-a", START)
    first, second = (report_of("demo-a", events, day) for day in sorted({local_day(e.occurred_at) for e in events}))
    # the same citizen and service request, with the same ids: the second day updates them
    ids = lambda r: {e["fullUrl"] for e in r["entry"]}  # noqa: E731
    assert "Patient/" + first["entry"][0]["resource"]["id"] in ids(second)
    assert first["id"] != second["id"]
    # built again later from a longer log, the report of the first day is the same
    assert report_of("demo-a", events[:5], local_day(START))["entry"][0] == first["entry"][0]
    # the care plan of day one is completed on day two (the case closed)
    plans = [e["resource"] for e in second["entry"] if e["resource"]["meta"]["profile"][0].endswith("carePlan")]
    assert plans and plans[0]["status"] == "completed"


def test_severity_only_under_activity_and_participation() -> None:
    events = run_citizen(all_demo_citizens()[0], "demo-b", START)
    report = report_of("demo-b", events, local_day(START))
    from domain.ffb_report_rules import activity_and_participation

    for entry in report["entry"]:
        res = entry["resource"]
        if res["meta"]["profile"][0].endswith("kl-reporting-ffb-condition"):
            code = res["code"]["coding"][0]["code"]
            assert ("severity" in res) == (code in activity_and_participation())


def test_no_change_no_report() -> None:
    events = run_citizen(all_demo_citizens()[0], "demo-c", START)
    assert build_report("demo-c", events, datetime(2026, 4, 1).date(), CTX) is None
