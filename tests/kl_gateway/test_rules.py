"""The guide's example delivery reports pass; broken copies fail with the named rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from activities.kl_gateway.validation import validate_delivery_report
from domain.ffb_report_rules import RULES, validate_report

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = sorted(FIXTURES.glob("example-*.json"))


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def rules(report: dict) -> set[str]:
    return {v.rule for v in validate_delivery_report(report)}


def resource(report: dict, id_: str) -> dict:
    return next(e["resource"] for e in report["entry"] if e["resource"]["id"] == id_)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_guides_examples_pass(path: Path) -> None:
    assert validate_delivery_report(json.loads(path.read_text(encoding="utf-8"))) == []


def test_six_examples_are_transcribed() -> None:
    assert len(EXAMPLES) == 6


SPISE = "e162f02a-6f82-4aed-97cd-a47a43c58413"  # under Aktivitet og deltagelse
TOBAK = "6f77529a-d449-4e86-aaed-28b524090a32"  # under Funktioner og forhold


def test_severity_on_a_condition_outside_activity_and_participation() -> None:
    report = load("example-2-case-insight")
    resource(report, TOBAK)["severity"] = copy.deepcopy(resource(report, SPISE)["severity"])
    violations = [v for v in validate_report(report) if v.rule == "condition.severity_not_allowed"]
    assert len(violations) == 1 and violations[0].resource == f"Condition/{TOBAK}"
    assert "Tobak" in violations[0].message


def test_no_severity_on_a_condition_under_activity_and_participation() -> None:
    report = load("example-2-case-insight")
    del resource(report, SPISE)["severity"]
    assert rules(report) == {"condition.severity_required"}


def test_a_goal_with_two_primary_conditions() -> None:
    report = load("example-3-case-assessment")
    goal = resource(report, "83fdfed2-f182-4a11-8ea1-de8181e6eab9")
    goal["addresses"][1]["extension"][0]["valuePositiveInt"] = 1
    violations = validate_report(report)
    assert {v.rule for v in violations} == {"goal.primary_condition"}
    assert "has 2" in violations[0].message


def test_a_goal_addressing_a_condition_outside_activity_and_participation() -> None:
    report = load("example-3-case-assessment")
    resource(report, "fcbf670a-f310-485b-b717-07c027c3c808")["addresses"].append(
        {"extension": [{"url": "http://fhir.kl.dk/core/StructureDefinition/ConditionRank", "valuePositiveInt": 2}],
         "reference": f"Condition/{TOBAK}"}
    )
    assert rules(report) == {"goal.secondary_conditions"}


def test_an_unknown_code() -> None:
    report = load("example-2-case-insight")
    resource(report, TOBAK)["code"]["coding"][0]["code"] = "00000000-0000-4000-8000-000000000000"
    violations = validate_report(report)
    assert "condition.code" in {v.rule for v in violations}
    assert "not a known KL code" in next(v for v in violations if v.rule == "condition.code").message


def test_a_code_from_the_wrong_list() -> None:
    report = load("example-5-case-appropriation")
    intervention = resource(report, "6ef8bead-fb42-4dbe-919f-e4a1f94135e2")
    intervention["activity"][0]["detail"]["code"]["coding"][0]["code"] = "9401777d-bdc5-4f52-9804-63c8cae9a792"  # a Tilbud
    assert rules(report) == {"intervention.code"}


def test_a_missing_case_number() -> None:
    report = load("example-1-case-opening")
    del resource(report, "9947191b-270a-4f64-9b05-8be29e7f5c58")["extension"]
    assert rules(report) == {"service_request.case_number"}
    report = load("example-5-case-appropriation")
    del resource(report, "944c7c24-37b4-455e-9319-cd9f35a7aec9")["extension"][0]
    assert rules(report) == {"care_plan.case_number"}


def test_an_ordered_care_plan_without_follow_up() -> None:
    report = load("example-5-case-appropriation")
    plan = resource(report, "8ea1d7f3-3c40-4826-bf35-d16b313610d4")
    plan["extension"] = plan["extension"][:1]
    assert rules(report) == {"care_plan.follow_up"}


def test_an_invalid_cpr_number_is_named_but_not_repeated() -> None:
    report = load("example-1-case-opening")
    resource(report, "da16c0a1-840a-46b0-98b3-761e4501b343")["identifier"][0]["value"] = "3213814321"
    violations = validate_report(report)
    assert [v.rule for v in violations] == ["citizen.cpr"]
    assert "3213814321" not in violations[0].message


def test_a_reference_to_a_resource_left_out() -> None:
    report = load("example-3-case-assessment")
    report["entry"] = [e for e in report["entry"] if e["resource"]["id"] != "a2c6378d-66da-4aa8-b973-729687224ab0"]
    assert "report.references_included" in rules(report)


def test_metadata_ids_and_free_text() -> None:
    report = load("example-1-case-opening")
    del report["entry"][0]["resource"]["meta"]["lastUpdated"]
    report["entry"][1]["resource"]["id"] = "Sag154689"
    report["entry"][2]["resource"]["note"] = [{"text": "Børge fortalte ..."}]
    assert {"report.resource_meta", "report.resource_id", "report.no_free_text"} <= rules(report)


def test_fhir_structure_is_checked_too() -> None:
    report = load("example-1-case-opening")
    report["entry"][2]["resource"]["effectiveDateTime"] = "the 26th of May"
    assert "report.fhir_structure" in rules(report)


def test_every_rule_is_documented() -> None:
    assert all(rule.count(".") == 1 for rule in RULES)


def test_cli_validates_any_file(tmp_path: Path) -> None:
    from app.cli import app

    runner = CliRunner()
    good = runner.invoke(app, ["report", "kl-gateway", "--validate", str(EXAMPLES[0])])
    assert good.exit_code == 0, good.output
    broken = load("example-1-case-opening")
    del resource(broken, "9947191b-270a-4f64-9b05-8be29e7f5c58")["extension"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    bad = runner.invoke(app, ["report", "kl-gateway", "--validate", str(path)])
    assert bad.exit_code == 1
    assert "service_request.case_number" in bad.output
