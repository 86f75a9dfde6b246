"""The learning report is a projection of the event log alone: its numbers are
the sum of the per-case evaluations, and it carries no personal data."""

from __future__ import annotations

import csv
import json
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from statistics import fmean

import pytest

from activities.eventlog import to_new_event
from activities.messages import RecordedEvent
from activities.reports import ALL_CASES, PILOT_TYPE, TARGET_GROUP, build_report
from app.report_cli import report_table, write_csv, write_json
from domain import terminology
from domain.case.decider import CaseState, command_adapter, decide, evolve, initial_state
from domain.value_domains import DOMAINS
from eventlog import EventStore
from eventlog.keystore import KeyStore
from tests import scenario

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LIFECYCLE = scenario.full_lifecycle_after_registration()
TYPES = [c["type"] for c in LIFECYCLE]
GROUPS = ["Social isolation", "Autismespektrum"]
SERVICES = [
    ("Støtte til beskæftigelse", "SEL § 85"),
    ("Gruppebaseret hjælp og støtte etableret i samarbejde med frivillige", "SEL § 82a"),
]


@pytest.fixture
def store(tmp_path):
    store = EventStore.from_url(f"sqlite:///{tmp_path / 'eventlog.db'}")
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def keys(store) -> KeyStore:
    return KeyStore(store.engines, os.urandom(32))


def _items(rng: random.Random, n: int) -> list[int]:
    return [rng.randint(1, 5) for _ in range(n)]


def case_script(i: int, rng: random.Random) -> tuple[list[dict], str]:
    """One case's commands: the happy path with answers drawn at random, or a variant.
    Returns the commands and what kind of case it is."""
    kind = ["evaluated", "evaluated", "evaluated_no_baseline", "early_stop", "no_pilot"][i % 5]
    assessment = scenario.assessment() | {"target_group": scenario.code(terminology.target_groups(), GROUPS[i % 2])}
    service, basis = SERVICES[(i // 2) % 2]
    decision = scenario.decision()
    decision["services"][0] |= {"service": scenario.code(terminology.services(), service), "legal_basis": basis}
    pilot_at = TYPES.index("start_pilot") + 1
    steps = [scenario.register(f"case-{i}"), *LIFECYCLE[:pilot_at]]
    steps[TYPES.index("record_assessment") + 1] = assessment
    steps[TYPES.index("make_decision") + 1] = decision
    if kind == "no_pilot":
        return steps[: TYPES.index("start_pilot") + 1], kind
    if kind != "evaluated_no_baseline":
        baseline = scenario.baseline()
        baseline["wemwbs"] |= {"items": _items(rng, 14)}
        baseline["self_determination"] |= {"items": _items(rng, 6)}
        baseline["services"] = {
            "service_hours_per_week": rng.randint(0, 10),
            "cost_per_week_dkk": rng.randint(0, 5000),
            "caseworker_hours_per_week": rng.randint(0, 4),
        }
        steps.append(baseline)
    complete = scenario.complete_pilot()
    if kind == "early_stop":
        complete |= {"ended_early": True, "early_end_reason": "Borgeren flyttede"}
    steps.append(complete)
    evaluation = scenario.evaluation()
    evaluation["wemwbs"] |= {"items": _items(rng, 14)}
    evaluation["self_determination"] |= {"items": _items(rng, 6)}
    evaluation["goals"] = [{"attainment": rng.choice(["reached", "partly", "not_reached"])}]
    evaluation["ratings"] = [
        {"by": rng.choice(["citizen", "relative"]), "rating": rng.randint(1, 5), "comment": "Personlig kommentar"}
    ]
    evaluation["citizen_statement"] = rng.choice(["", "Mit eget udsagn"])
    steps.append(evaluation)
    steps.append(scenario.close())
    return steps, kind


def record(store: EventStore, keys: KeyStore, steps: list[dict]) -> CaseState:
    """Carries out the commands as the workflow would and appends the events as the activity does."""
    state, at = initial_state(), START
    for data in steps:
        at += timedelta(minutes=1)
        events = decide(state, command_adapter.validate_python(data).model_copy(update={"at": at}))
        case_id = state.case_id or data["case_id"]
        store.append(
            case_id,
            state.version,
            [to_new_event(RecordedEvent(event_id=str(uuid.uuid4()), event=e), keys, case_id) for e in events],
        )
        for event in events:
            state = evolve(state, event)
    return state


def make_cases(store, keys, n: int, seed: int = 7) -> list[tuple[CaseState, str]]:
    rng = random.Random(seed)
    return [(record(store, keys, steps), kind) for steps, kind in (case_script(i, rng) for i in range(n))]


def _mean(values):
    return round(fmean(values), 1) if values else None


def test_the_report_over_the_log_equals_the_sum_of_the_per_case_evaluations(store, keys):
    cases = make_cases(store, keys, 20)
    report = build_report(store, keys, page_size=7)  # small pages: the projection pages through the log
    evaluations = [s.evaluation for s, _ in cases if s.evaluation is not None]

    total = report.total
    assert total.cases == 20
    assert total.pilots_started == sum(k != "no_pilot" for _, k in cases) == 16
    assert total.pilots_completed == sum(s.pilot_result is not None for s, _ in cases)
    assert total.early_stops == sum(k == "early_stop" for _, k in cases) == 4
    assert total.evaluated == len(evaluations) == 16  # a pilot stopped early is evaluated too
    assert total.with_baseline == sum(e.wemwbs_before is not None for e in evaluations)
    for name in DOMAINS:
        per_case = [getattr(e.value_domains, name).score for e in evaluations]
        assert sorted(total.domains[name]) == sorted(v for v in per_case if v is not None)
        assert total.domain(name).mean == _mean([v for v in per_case if v is not None])
    assert sorted(total.wemwbs_after) == sorted(e.wemwbs.score for e in evaluations)
    assert sorted(total.wemwbs_before) == sorted(e.wemwbs_before for e in evaluations if e.wemwbs_before is not None)
    assert sum(total.follow_up.values()) == len(evaluations)

    # every case is in exactly one target group and one pilot type, and the groups add up
    for dimension in (TARGET_GROUP, PILOT_TYPE):
        rows = report.by(dimension)
        assert sum(r.cases for r in rows) == total.cases
        assert sum(r.evaluated for r in rows) == total.evaluated
        assert sum(r.early_stops for r in rows) == total.early_stops
        for name in DOMAINS:
            assert sorted(v for r in rows for v in r.domains[name]) == sorted(total.domains[name])
    assert {r.group for r in report.by(TARGET_GROUP)} == set(GROUPS)
    assert {r.group for r in report.by(PILOT_TYPE)} == {
        "Socialpædagogisk støtte (SEL § 85)",
        "Forebyggende hjælp og støtte (SEL § 82a)",
    }


def test_one_target_groups_row_is_the_sum_of_its_own_cases(store, keys):
    cases = make_cases(store, keys, 10, seed=3)
    report = build_report(store, keys)
    isolated = [
        s.evaluation
        for s, _ in cases
        if s.evaluation and s.assessment is not None and s.assessment.target_group.display == "Social isolation"
    ]
    row = report.group(TARGET_GROUP, "Social isolation")
    assert row.evaluated == len(isolated)
    assert row.domain("effects").mean == _mean([e.value_domains.effects.score for e in isolated])


def test_the_report_holds_no_personal_data(store, keys, tmp_path):
    make_cases(store, keys, 5)
    report = build_report(store, keys)
    write_csv(report, tmp_path / "r.csv")
    write_json(report, tmp_path / "r.json")
    exported = (tmp_path / "r.csv").read_text(encoding="utf-8") + (tmp_path / "r.json").read_text(encoding="utf-8")
    for personal in ("Jonas", "0412981234", "Mit eget udsagn", "Personlig kommentar", "Målet er nået", "case-"):
        assert personal not in exported


def test_csv_and_json_exports_carry_the_table(store, keys, tmp_path):
    make_cases(store, keys, 5)
    report = build_report(store, keys)
    write_csv(report, tmp_path / "r.csv")
    write_json(report, tmp_path / "r.json")
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert rows[0]["group"] == ALL_CASES and int(rows[0]["cases"]) == 5
    assert "effects_mean" in rows[0] and "wemwbs_before_mean" in rows[0]
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    total = data["groups"][0]
    assert total["cases"] == 5 and total["wemwbs"]["after"]["n"] == total["evaluated"]
    assert len(total["value_domains"]["effects"]["values"]) == total["evaluated"]


def test_charts_are_written_as_png(store, keys, tmp_path):
    pytest.importorskip("matplotlib")
    from app.report_charts import write_charts

    make_cases(store, keys, 6)
    paths = write_charts(build_report(store, keys), tmp_path / "charts")
    assert len(paths) == 4
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_log_gives_an_empty_report(store, keys):
    report = build_report(store, keys)
    assert report.total.cases == 0 and report.total.domain("effects").mean is None
    report_table(report)  # renders without evaluations


def test_a_case_whose_citizen_was_erased_still_counts_in_the_report(store, keys):
    cases = make_cases(store, keys, 5)
    before = build_report(store, keys)
    key_id = keys.key_id_for_stream("case-0")
    keys.destroy(key_id, "GDPR art. 17")
    after = build_report(store, keys)
    assert after.total.cases == before.total.cases
    assert after.total.domains == before.total.domains
    assert cases[0][0].evaluation is not None
