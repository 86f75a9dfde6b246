"""The reports conform to the published guide, release 1.0.0, as its files in
``../shared`` state it: URLs and systems from its ``Id:`` and ``Alias:`` lines,
fixed codes from CareSocialCodes, the vendored copies equal to the shared ones."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from activities.kl_gateway.projection import ReportContext, build_report, local_day
from domain import ffb_report_rules as rules
from domain import terminology
from domain.ffb_guide import DEPENDENCY_EXTENSIONS, GUIDE_FOLDER, guide
from tests.kl_gateway.fixtures.transcribe_examples import EXAMPLE_FILE, HERE, report_text, reports
from tests.kl_gateway.helpers import all_demo_citizens, run_citizen
from tests.kl_gateway.shared_files import GUIDE, TERMINOLOGY

CTX = ReportContext(organisation="d4e3f4fb-6761-4d6c-9086-74c49231f11e")
START = datetime(2026, 3, 2, 7, tzinfo=UTC)


# -- the guide's own lines, read here without the project's reader ------------------------


def _shared_fsh() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((GUIDE / "fsh").glob("*.fsh")))


def _canonical() -> str:
    found = re.search(r"^canonical:\s*(\S+)", (GUIDE / "sushi-config.yaml").read_text(encoding="utf-8"), re.MULTILINE)
    assert found is not None, "the guide's config names its canonical URL"
    return found.group(1)


def _ids() -> set[str]:
    return set(re.findall(r"^Id:\s*(\S+)", _shared_fsh(), re.MULTILINE))


def _aliases() -> dict[str, str]:
    return dict(re.findall(r"^Alias:\s*(\$\w+)\s*=\s*(\S+)", _shared_fsh(), re.MULTILINE))


def _structure_definitions() -> set[str]:
    return {f"{_canonical()}/StructureDefinition/{id_}" for id_ in _ids()}


def _demo_reports() -> list[dict]:
    found = []
    for index, citizen in enumerate(all_demo_citizens()):
        events = run_citizen(citizen, f"demo-{index}", START)
        for day in sorted({local_day(e.occurred_at) for e in events}):
            report = build_report(f"demo-{index}", events, day, CTX)
            if report is not None:
                found.append(report)
    return found


def _urls_and_systems(node: Any) -> tuple[set[str], set[str], set[str]]:
    """(extension URLs, meta.profile URLs, coding systems) anywhere in a report."""
    extensions: set[str] = set()
    profiles: set[str] = set()
    systems: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, list):
            for item in value:
                walk(item, key)
        elif isinstance(value, dict):
            if key == "extension" and "://" in str(value.get("url", "")):
                extensions.add(value["url"])
            if key in ("coding", "class") and "system" in value:
                systems.add(value["system"])
            if key == "meta":
                profiles.update(value.get("profile", []))
            for k, v in value.items():
                walk(v, k)

    walk(node)
    return extensions, profiles, systems


def test_every_url_and_system_the_projection_writes_is_the_guides() -> None:
    reports_ = _demo_reports()
    assert len(reports_) >= 5
    extensions, profiles, systems = set(), set(), set()
    for report in reports_:
        e, p, s = _urls_and_systems(report)
        extensions |= e
        profiles |= p
        systems |= s
    guide_urls = _structure_definitions()
    assert profiles <= guide_urls
    assert extensions <= guide_urls | set(DEPENDENCY_EXTENSIONS.values())
    assert systems <= set(_aliases().values())
    # what changed from the draft: the case number by its Id, FFB and KL's common codes by 1.0.0's aliases
    assert f"{_canonical()}/StructureDefinition/kl-reporting-ffb-municipalityCaseNumber" in extensions
    assert {_aliases()["$KLFFB"], _aliases()["$KLCommon"]} <= systems


def test_every_url_and_system_the_validator_expects_is_the_guides() -> None:
    aliases = _aliases()
    assert rules.FFB_SYSTEM == aliases["$KLFFB"] == terminology.ffb().url == "urn:oid:1.2.208.176.2.22"
    assert rules.KL_COMMON_SYSTEM == aliases["$KLCommon"] == terminology.care_social().url
    assert aliases["$snomedCT"] == rules.SNOMED_SYSTEM
    assert frozenset(aliases.values()) == rules.KNOWN_SYSTEMS
    guide_urls = _structure_definitions()
    assert set(rules.PROFILE_OF_KIND.values()) <= guide_urls
    assert {rules.EXT_CASE_NUMBER, rules.EXT_FOLLOW_UP_DATE} <= guide_urls
    extension_ids = re.findall(r"^Extension:[^\n]*\n(?:[^\n]*\n)*?Id:\s*(\S+)", _shared_fsh(), re.MULTILINE)
    assert len(extension_ids) == 2
    own = {f"{_canonical()}/StructureDefinition/{id_}" for id_ in extension_ids}
    assert set(rules.KNOWN_EXTENSIONS) == own | set(DEPENDENCY_EXTENSIONS.values())
    # the guide's care-plan invariant names kl.dk.fhir.core's ConditionRank by the URL we use
    assert f"extension('{rules.EXT_CONDITION_RANK}')" in _shared_fsh()


def test_the_fixed_codes_come_from_care_social_codes() -> None:
    shared = json.loads((TERMINOLOGY / "CodeSystem-CareSocialCodes.json").read_text(encoding="utf-8"))
    displays: dict[str, str] = {}

    def index(concepts: list[dict]) -> None:
        for c in concepts:
            displays[c["code"]] = c["display"]
            index(c.get("concept", []))

    index(shared["concept"])
    fixed = [f for p in guide().profiles() for f in guide().fixed_values(p) if f.system == shared["url"]]
    profiles_fsh = "\n".join(
        p.read_text(encoding="utf-8") for p in (GUIDE / "fsh").glob("*.fsh") if p.name != EXAMPLE_FILE
    )
    # care evaluation code, follow-up encounter type, goal category and its two target measures
    assert len(fixed) == len(re.findall(r"^\* \S+ = \$KLCommon#", profiles_fsh, re.MULTILINE)) == 5
    kinds = {pid: kind for pid, (kind, _) in rules.PROFILES.items()}
    for f in fixed:
        coding = rules.guide_coding(kinds[f.profile], f.path)
        assert coding == {"system": shared["url"], "code": f.code, "display": displays[f.code]}
    assert rules.guide_coding("goal", "category")["display"] == "FFB indsatsmål"
    assert rules.guide_coding("care_evaluation", "code.coding")["display"] == "FFB støttebehovsvurdering"


def test_the_vendored_guide_is_the_shared_release() -> None:
    vendored = resources.files("domain").joinpath("data", GUIDE_FOLDER)
    shared_fsh = sorted(p.name for p in (GUIDE / "fsh").glob("*.fsh") if p.name != EXAMPLE_FILE)
    assert sorted(p.name for p in vendored.joinpath("fsh").iterdir()) == shared_fsh
    for name in shared_fsh:
        assert vendored.joinpath("fsh", name).read_bytes() == (GUIDE / "fsh" / name).read_bytes(), name
    assert vendored.joinpath("sushi-config.yaml").read_bytes() == (GUIDE / "sushi-config.yaml").read_bytes()
    assert guide().version == "1.0.0"


def test_the_vendored_code_lists_are_the_shared_terminology() -> None:
    data = resources.files("domain").joinpath("data")
    vendored = sorted(p.name for p in data.iterdir() if p.name.startswith("CodeSystem-"))
    shared = sorted(p.name for p in TERMINOLOGY.glob("CodeSystem-*.json"))
    assert vendored == shared
    for name in shared:
        assert data.joinpath(name).read_bytes() == (TERMINOLOGY / name).read_bytes(), name


def test_the_committed_examples_are_the_transcription_of_the_shared_guide() -> None:
    made = reports()
    assert sorted(made) == sorted(p.stem for p in HERE.glob("example-*.json"))
    for name, report in made.items():
        assert (HERE / f"{name}.json").read_text(encoding="utf-8") == report_text(report), name


@pytest.mark.parametrize("text", ["http://kl.dk/fhir/common/caresocial", "KLReportingFFBMunicipalityCaseNumber"])
def test_no_draft_url_is_left_in_a_report(text: str) -> None:
    for report in _demo_reports():
        assert not any(text in u for u in set().union(*_urls_and_systems(report)))
