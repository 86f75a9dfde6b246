"""The guide's example delivery reports (release 1.0.0) pass; broken copies fail with the named rule."""

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


def test_the_five_example_reports_of_release_1_0_0_are_transcribed() -> None:
    # the 2nd, 3rd, 5th, 6th and 7th encounter; the 1st and 4th have no delivery report of their own
    assert [p.stem.split("-")[1] for p in EXAMPLES] == ["2", "3", "5", "6", "7"]


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
    # the named rule, and the guide's own invariant for it
    assert rules(report) == {"condition.severity_required", "kl-reporting-ffb-condition-1"}


def test_a_goal_with_two_primary_conditions() -> None:
    report = load("example-3-case-assesment")
    goal = resource(report, "83fdfed2-f182-4a11-8ea1-de8181e6eab9")
    goal["addresses"][1]["extension"][0]["valuePositiveInt"] = 1
    violations = validate_report(report)
    assert {v.rule for v in violations} == {"goal.primary_condition"}
    assert "has 2" in violations[0].message


def test_a_goal_addressing_a_condition_outside_activity_and_participation() -> None:
    report = load("example-3-case-assesment")
    resource(report, "fcbf670a-f310-485b-b717-07c027c3c808")["addresses"].append(
        {
            "extension": [{"url": "http://fhir.kl.dk/core/StructureDefinition/ConditionRank", "valuePositiveInt": 2}],
            "reference": f"Condition/{TOBAK}",
        }
    )
    assert rules(report) == {"goal.secondary_conditions", "kl-reporting-ffb-intervention-goal-1"}


def test_an_unknown_code() -> None:
    report = load("example-2-case-insight")
    resource(report, TOBAK)["code"]["coding"][0]["code"] = "00000000-0000-4000-8000-000000000000"
    violations = validate_report(report)
    assert "condition.code" in {v.rule for v in violations}
    assert "not a known KL code" in next(v for v in violations if v.rule == "condition.code").message


def test_a_code_from_the_wrong_list() -> None:
    report = load("example-5-case-appropriation")
    intervention = resource(report, "6ef8bead-fb42-4dbe-919f-e4a1f94135e2")
    intervention["activity"][0]["detail"]["code"]["coding"][0]["code"] = (
        "9401777d-bdc5-4f52-9804-63c8cae9a792"  # a Tilbud
    )
    assert rules(report) == {"intervention.code"}


def test_a_missing_case_number() -> None:
    report = load("example-2-case-insight")
    del resource(report, "9947191b-270a-4f64-9b05-8be29e7f5c58")["extension"]
    assert rules(report) == {"service_request.case_number"}
    report = load("example-5-case-appropriation")
    del resource(report, "944c7c24-37b4-455e-9319-cd9f35a7aec9")["extension"][0]
    assert rules(report) == {"care_plan.case_number"}


def test_an_ordered_care_plan_without_follow_up() -> None:
    report = load("example-5-case-appropriation")
    plan = resource(report, "8ea1d7f3-3c40-4826-bf35-d16b313610d4")
    plan["extension"] = plan["extension"][:1]
    assert rules(report) == {"care_plan.follow_up", "kl-reporting-ffb-care-plan-1"}


def test_an_invalid_cpr_number_is_named_but_not_repeated() -> None:
    report = load("example-2-case-insight")
    resource(report, "da16c0a1-840a-46b0-98b3-761e4501b343")["identifier"][0]["value"] = "3213814321"
    violations = validate_report(report)
    assert [v.rule for v in violations] == ["citizen.cpr"]
    assert "3213814321" not in violations[0].message


def test_a_reference_to_a_resource_left_out() -> None:
    report = load("example-3-case-assesment")
    report["entry"] = [e for e in report["entry"] if e["resource"]["id"] != "a2c6378d-66da-4aa8-b973-729687224ab0"]
    assert "report.references_included" in rules(report)


def test_metadata_ids_and_free_text() -> None:
    report = load("example-2-case-insight")
    del report["entry"][0]["resource"]["meta"]["lastUpdated"]
    report["entry"][1]["resource"]["id"] = "Sag154689"
    report["entry"][2]["resource"]["note"] = [{"text": "Børge fortalte ..."}]
    assert {"report.resource_meta", "report.resource_id", "report.no_free_text"} <= rules(report)


def test_fhir_structure_is_checked_too() -> None:
    report = load("example-2-case-insight")
    resource(report, "26d1a3de-0bd0-43d6-b52c-9c5687f01e45")["effectiveDateTime"] = "the 26th of May"
    assert "report.fhir_structure" in rules(report)


def test_every_rule_is_documented() -> None:
    assert all(rule.count(".") == 1 for rule in RULES)


def test_cli_validates_any_file(tmp_path: Path) -> None:
    from app.cli import app

    runner = CliRunner()
    good = runner.invoke(app, ["report", "kl-gateway", "--validate", str(EXAMPLES[0])])
    assert good.exit_code == 0, good.output
    broken = load("example-2-case-insight")
    del resource(broken, "9947191b-270a-4f64-9b05-8be29e7f5c58")["extension"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    bad = runner.invoke(app, ["report", "kl-gateway", "--validate", str(path)])
    assert bad.exit_code == 1
    assert "service_request.case_number" in bad.output


OLD_FFB = "http://kl.dk/fhir/common/caresocial/CodeSystem/FFB"  # a pre-release draft's alias, not 1.0.0's
OLD_CASE_NUMBER = "http://fhir.kl.dk/ffbreporting/StructureDefinition/KLReportingFFBMunicipalityCaseNumber"


def test_a_code_from_the_wrong_system_is_refused_with_the_resource_and_the_path() -> None:
    report = load("example-2-case-insight")
    resource(report, TOBAK)["code"]["coding"][0]["system"] = OLD_FFB
    violations = [v for v in validate_delivery_report(report) if v.resource == f"Condition/{TOBAK}"]
    by_rule = {v.rule: v for v in violations}
    assert set(by_rule) == {"report.code_system", "condition.code"}
    assert by_rule["report.code_system"].path == "Condition.code.coding[0].system"
    assert "urn:oid:1.2.208.176.2.22" in by_rule["report.code_system"].message
    assert by_rule["condition.code"].path == "Condition.code" and OLD_FFB in by_rule["condition.code"].message


def test_a_case_number_under_the_name_instead_of_the_id_is_refused() -> None:
    report = load("example-5-case-appropriation")
    plan = resource(report, "8ea1d7f3-3c40-4826-bf35-d16b313610d4")
    plan["extension"][0]["url"] = OLD_CASE_NUMBER
    violations = validate_delivery_report(report)
    assert {v.rule for v in violations} == {"report.extension_url", "care_plan.case_number"}
    wrong = next(v for v in violations if v.rule == "report.extension_url")
    assert wrong.resource == "CarePlan/8ea1d7f3-3c40-4826-bf35-d16b313610d4"
    assert wrong.path == "CarePlan.extension[0].url"
    assert "kl-reporting-ffb-municipalityCaseNumber" in wrong.message


def test_a_rank_under_another_url_is_refused() -> None:
    report = load("example-3-case-assesment")
    goal = resource(report, "83fdfed2-f182-4a11-8ea1-de8181e6eab9")
    goal["addresses"][1]["extension"][0]["url"] = (
        "http://kl.dk/fhir/common/caresocial/StructureDefinition/ConditionRank"
    )
    violations = [v for v in validate_delivery_report(report) if v.rule == "report.extension_url"]
    assert [v.path for v in violations] == ["Goal.addresses[1].extension[0].url"]


def test_a_fixed_code_the_guide_takes_from_care_social_codes_is_checked() -> None:
    report = load("example-3-case-assesment")
    goal = resource(report, "90fa089a-1f80-40d0-96db-8e875e241b06")
    goal["category"][0]["coding"][0]["code"] = "416fe27d-3ccf-4390-8742-8b52a9d8dc78"  # FFB borgers mål og ønsker
    violations = [v for v in validate_delivery_report(report) if v.rule == "report.fixed_value"]
    assert [(v.resource, v.path) for v in violations] == [
        ("Goal/90fa089a-1f80-40d0-96db-8e875e241b06", "Goal.category")
    ]
    assert "0bb3daef-538d-45dc-b444-abdbcb63f6bc" in violations[0].message


def test_a_profile_claimed_under_another_base_is_not_the_guides() -> None:
    report = load("example-2-case-insight")
    resource(report, TOBAK)["meta"]["profile"] = [
        "http://kl.dk/fhir/common/caresocial/StructureDefinition/kl-reporting-ffb-condition"
    ]
    assert "report.resource_types" in rules(report)
