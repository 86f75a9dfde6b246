"""The validation rules of KL's FFB delivery report (KL Gateway), as named checks.

A delivery report is a FHIR R4 Bundle of type ``collection`` about one citizen
(HL7 Denmark's "kl-ffb-reporting" implementation guide, profile
``kl-reporting-ffb-deliveryReport``). ``validate_report`` takes the report as
parsed JSON and returns every rule it breaks, each with the rule's name, a
message a caseworker can act on, and the resource at fault. An empty list means
the report may be sent.

The rules are the guide's "Validation" lists, one check per line, plus the
general ones of its "Reporting" section (ids, metadata, references, no free
text) and what its profiles fix: the code systems, profile and extension URLs
and fixed codes are read from the guide's own files (``domain.ffb_guide``), the
codes checked against the vendored KL code lists (``domain.terminology``);
nothing is retyped. Messages never repeat a CPR number.

The guide's FHIRPath invariants (``Invariant:`` in its FSH) are evaluated beside
these rules, in the delivery adapter, with a FHIRPath library.

Pure: the report in, the violations out; no I/O, no FHIR library. The FHIR
structure itself (element names, types, cardinality of the base resources) is
checked beside this, in the delivery adapter, with a FHIR model library.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from domain import ffb_guide, terminology
from domain.citizen import is_cpr
from domain.errors import DomainError

# -- the guide's identifiers, read from its files (domain.ffb_guide) ---------------

GUIDE = ffb_guide.guide()
PROFILE_BASE = f"{GUIDE.canonical}/StructureDefinition/"
FFB_SYSTEM = ffb_guide.ffb_system()
KL_COMMON_SYSTEM = ffb_guide.kl_common_system()
SNOMED_SYSTEM = ffb_guide.snomed_system()
CPR_SYSTEM = ffb_guide.CPR_SYSTEM
STS_ORGANISATION_SYSTEM = next(v.code for v in GUIDE.fixed_values("KombitStsOrgIdentifier") if v.path == "system")

# Extensions by their full URL: the guide's own from their Id:, the dependencies' as those give them.
EXT_CASE_NUMBER = GUIDE.extension_url("KLReportingFFBMunicipalityCaseNumber")
EXT_FOLLOW_UP_DATE = GUIDE.extension_url("KLReportingFFBFollowUpDateExtension")
EXT_CONDITION_RANK = GUIDE.extension_url("ConditionRank")
EXT_BASED_ON_REQUEST = GUIDE.extension_url("BasedOnServiceRequest")
EXT_LAST_ASSERTED = GUIDE.extension_url("ConditionLastAssertedDate")
#: Every extension URL a report may carry, with the name the guide gives it.
KNOWN_EXTENSIONS: dict[str, str] = {
    **{url: id_ for id_, url in GUIDE.extensions().items()},
    **{url: name for name, url in ffb_guide.DEPENDENCY_EXTENSIONS.items()},
}

# profile id -> our name for the kind of resource; its FHIR type is the profile's Parent:
_KIND_OF_PROFILE = {
    "kl-reporting-ffb-deliveryReport": "report",
    "kl-reporting-ffb-citizen": "citizen",
    "kl-reporting-ffb-serviceRequest": "service_request",
    "kl-reporting-ffb-informationGathering": "information_gathering",
    "kl-reporting-ffb-condition": "condition",
    "kl-reporting-ffb-targetGroup": "target_group",
    "kl-reporting-ffb-interventionGoal": "goal",
    "kl-reporting-ffb-carePlan": "care_plan",
    "kl-reporting-ffb-intervention": "intervention",
    "kl-reporting-ffb-careEvaluation": "care_evaluation",
    "kl-reporting-ffb-followUp": "follow_up",
    "kl-reporting-ffb-followUpEncounter": "follow_up_encounter",
    "kl-reporting-ffb-servicePerformer": "service_performer",
}
#: profile id -> (kind, FHIR resource type)
PROFILES: dict[str, tuple[str, str]] = {
    pid: (kind, GUIDE.profiles()[pid].metadata["Parent"]) for pid, kind in _KIND_OF_PROFILE.items()
}
PROFILE_OF_KIND = {kind: GUIDE.url(pid) for pid, (kind, _) in PROFILES.items()}
ID_OF_KIND = {kind: pid for pid, (kind, _) in PROFILES.items()}


#: Invariants of the guide that, as published in 1.0.0, fail on the guide's own
#: example reports, so they are not enforced: why, and the named rule that checks
#: what they mean. (A test evaluates each one on the examples and fails once a
#: release of the guide corrects it, so it can be enforced again.)
DEFECTIVE_INVARIANTS: dict[str, str] = {
    "kl-reporting-ffb-intervention-goal-2": (
        "its expression looks for the rank under http://fhir.kl.dk/term/StructureDefinition/ConditionRank, "
        "a URL no extension has (kl.dk.fhir.core's ConditionRank, which the profile slices and the examples "
        "carry, is http://fhir.kl.dk/core/StructureDefinition/ConditionRank), and compares the positiveInt "
        "with the string '1', which FHIRPath's = never finds equal; so it fails on every goal. "
        "goal.primary_condition checks what it means: exactly one condition ranked 1"
    ),
}


def guide_coding(kind: str, path: str) -> dict:
    """The coding the guide fixes on ``path`` of a profile (e.g. the goal's category), with
    the display from the vendored code system when it is one of KL's."""
    system, code = GUIDE.fixed_coding(ID_OF_KIND[kind], path)
    coding = {"system": system, "code": code}
    vendored = terminology.code_system(system)
    if vendored is not None:
        coding["display"] = vendored.concepts[code].display  # KeyError: the guide fixes a code the list lacks
    return coding


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CPR_DIGITS = re.compile(r"^\d{10}$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")

#: Every rule, by name, with what it demands (for documentation and the CLI).
RULES: dict[str, str] = {
    "report.bundle": "the report is a FHIR Bundle of type collection with a timestamp",
    "report.resource_types": "the report holds only resources of the guide's profiles",
    "report.resource_id": "every resource id is a UUID, and its fullUrl names its type and id",
    "report.resource_meta": "every resource carries its profile and lastUpdated in meta",
    "report.references_included": "every resource a report refers to is in the report",
    "report.no_free_text": "a report holds no free text (no text, no note)",
    "report.extension_url": "every extension has the URL the guide (or the package it takes it from) gives it",
    "report.code_system": "every coding names a code system the guide uses, by the URL the guide gives it",
    "report.fixed_value": "every value a profile fixes (codes from CareSocialCodes, SNOMED CT, HL7) is there as the guide fixes it",
    "citizen.one": "a report holds exactly one citizen",
    "citizen.cpr": "the citizen's CPR number is syntactically valid",
    "citizen.managing_organisation": "the managing organisation is a syntactically valid STS organisation code",
    "subject.citizen": "every resource with a subject refers to the report's citizen",
    "service_request.case_number": "the service request holds the municipality case number",
    "information_gathering.service_request": "the information gathering refers to a service request",
    "information_gathering.effective": "the information gathering holds the time it took place",
    "information_gathering.findings": "the information gathering's findings are valid FFB conditions",
    "condition.code": "a condition has one valid FFB condition code",
    "condition.recorded_date": "a condition holds the date it was first documented",
    "condition.severity_required": 'a condition under "Aktivitet og deltagelse" has a severity from FFB Funktionsevneniveau',
    "condition.severity_not_allowed": 'a condition not under "Aktivitet og deltagelse" has no severity',
    "goal.primary_condition": 'a goal addresses exactly one primary condition (rank 1) under "Aktivitet og deltagelse"',
    "goal.secondary_conditions": 'a goal\'s other conditions are secondary (rank 2) and under "Aktivitet og deltagelse"',
    "goal.target_severity": "a goal's target is a valid FFB Funktionsevneniveau code",
    "goal.change_value": "a goal's change value is a valid FFB Måltype code",
    "care_plan.case_number": "a care plan holds the municipality case number",
    "care_plan.follow_up": "an ordered care plan that is not completed refers to a follow-up encounter",
    "care_plan.start": "a care plan has a start date",
    "care_plan.service_performer": "a care plan's service performers are valid (tilbudstype)",
    "care_plan.primary_target_group": "a care plan addresses at most one primary target group (rank 1)",
    "care_plan.target_groups": "a care plan's target groups are valid and ranked 1 or 2",
    "care_plan.evaluation": "a care plan refers to at most one care plan evaluation (støttebehov)",
    "care_plan.ordered_content": "an ordered care plan that is not completed has target groups and an evaluation",
    "follow_up_encounter.start": "a follow-up encounter has a start date (opfølgningsdato)",
    "care_evaluation.date": "a care plan evaluation holds the date of the evaluation",
    "care_evaluation.code": "a care plan evaluation has a valid FFB Støttebehovsniveau code",
    "target_group.code": "a target group has a valid FFB Målgruppe code",
    "target_group.recorded_date": "a target group holds the date it was first documented",
    "intervention.care_plan": "an intervention refers to a care plan",
    "intervention.start": "an intervention has a start date",
    "intervention.code": "an intervention has a valid FFB Ydelse code",
    "service_performer.code": "a service performer has a valid FFB Tilbud code (tilbudstype)",
    "follow_up.care_plan": "a follow-up result refers to a care plan",
    "follow_up.effective": "a follow-up result has a timestamp",
    "follow_up.code": "a follow-up result has a valid FFB Status på indsats code",
    "follow_up.status": "a follow-up result has status final or entered-in-error",
}


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    message: str
    resource: str | None = None  # "Type/id" of the resource at fault
    path: str | None = None  # where in the resource, e.g. "CarePlan.extension[0].url"

    def __str__(self) -> str:
        where = ", ".join(w for w in (self.resource, self.path) if w)
        return f"[{self.rule}]{f' ({where})' if where else ''} {self.message}"


# -- code lists ------------------------------------------------------------------


@cache
def activity_and_participation() -> terminology.CodeList:
    """The conditions under "Aktivitet og deltagelse": the value set the guide's invariants name."""
    codes = frozenset(
        code for system, code in terminology.value_set(terminology.CONDITION_AD_CODES) if system == FFB_SYSTEM
    )
    return terminology.CodeList(
        system=terminology.ffb(), path=("FFB tilstande", "Aktivitet og deltagelse"), codes=codes
    )


@cache
def service_performer_types() -> terminology.CodeList:
    return terminology.ffb().code_list("Social indsats", "Tilbud")


# -- small readers -------------------------------------------------------------------


def _codings(concept: Any) -> list[dict]:
    if isinstance(concept, dict):
        return [c for c in concept.get("coding", []) if isinstance(c, dict)]
    return []


def _ffb_code(concept: Any) -> str | None:
    """The FFB code of a CodeableConcept (its one FFB coding), or None."""
    for coding in _codings(concept):
        if coding.get("system") == FFB_SYSTEM:
            return coding.get("code")
    return None


def _code_problem(code: str | None, code_list: terminology.CodeList, what: str, concept: Any = None) -> str | None:
    """None if ``code`` is in the list; else why not, in words."""
    if code is None:
        others = sorted({str(c.get("system")) for c in _codings(concept)})
        found = f"; its coding has system {', '.join(others)}" if others else ""
        return f"{what} has no FFB coding (system {FFB_SYSTEM}){found}"
    try:
        code_list.check(code, field=what)
    except DomainError as error:
        return f"{what}: {error.message}"
    return None


def _extensions(element: Any, url: str) -> list[dict]:
    """The element's extensions with exactly this URL."""
    if not isinstance(element, dict):
        return []
    return [e for e in _list(element.get("extension")) if isinstance(e, dict) and e.get("url") == url]


def _rank(reference: dict) -> int | None:
    for ext in _extensions(reference, EXT_CONDITION_RANK):
        value = ext.get("valuePositiveInt")
        return value if isinstance(value, int) else None
    return None


def _list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key of every object inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{path}[{i}]")


def valid_cpr_syntax(value: Any) -> bool:
    """Ten digits, the first six a real date (the century from the 7th digit)."""
    return isinstance(value, str) and bool(_CPR_DIGITS.match(value)) and is_cpr(value)


# -- the report ------------------------------------------------------------------


@dataclass
class _Entry:
    full_url: str | None
    resource: dict
    kind: str | None

    @property
    def key(self) -> str:
        return f"{self.resource.get('resourceType')}/{self.resource.get('id')}"


def profile_kind(resource: dict) -> str | None:
    """Which of the guide's profiles a resource claims (``meta.profile``, the profile's full URL), as our kind name."""
    for url in _list((resource.get("meta") or {}).get("profile")):
        url = str(url).split("|")[0]
        if url.startswith(PROFILE_BASE):
            kind = PROFILES.get(url[len(PROFILE_BASE) :])
            if kind and kind[1] == resource.get("resourceType"):
                return kind[0]
    return None


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _values(node: Any, path: str) -> list[Any]:
    """The values at an FSH path (``target[severitySlice].measure``; slices are read as the whole list)."""
    found = [node]
    for part in path.split("."):
        name = part.split("[", 1)[0]
        found = [v for f in found if isinstance(f, dict) for v in _list(f.get(name))]
    return found


def _matches(value: Any, system: str | None, code: str) -> bool:
    """A value holds a fixed code: a code or string equal to it, a Coding, or a CodeableConcept with that coding."""
    if isinstance(value, str):
        return value == code
    if isinstance(value, dict):
        if "coding" in value:
            return any(_matches(c, system, code) for c in _list(value["coding"]))
        return value.get("code") == code and (system is None or value.get("system") == system)
    return False


#: Every code system a report may name, by the guide's aliases (and the CPR and STS identifiers' systems are no codings).
KNOWN_SYSTEMS = frozenset(GUIDE.aliases.values())


class _Checker:
    def __init__(self, report: dict) -> None:
        self.report = report
        self.violations: list[Violation] = []
        self.entries: list[_Entry] = []
        for entry in _list(report.get("entry")):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict):
                self.entries.append(_Entry(entry.get("fullUrl"), resource, profile_kind(resource)))
        self.by_key = {e.key: e for e in self.entries}
        citizens = [e for e in self.entries if e.kind == "citizen" or e.resource.get("resourceType") == "Patient"]
        self.citizen_key = citizens[0].key if len(citizens) == 1 else None
        self.citizens = citizens

    def fail(self, rule: str, message: str, entry: _Entry | None = None, path: str | None = None) -> None:
        where = f"{entry.resource.get('resourceType')}.{path}" if entry and path else path
        self.violations.append(Violation(rule, message, entry.key if entry else None, where))

    def target(self, reference: Any) -> _Entry | None:
        ref = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(ref, str):
            return None
        return self.by_key.get(ref) or next((e for e in self.entries if e.full_url == ref), None)

    # -- general -----------------------------------------------------------------

    def run(self) -> list[Violation]:
        r = self.report
        if r.get("resourceType") != "Bundle" or r.get("type") != "collection":
            self.fail(
                "report.bundle",
                f"a delivery report is a Bundle of type collection, not {r.get('resourceType')} of type {r.get('type')}",
                path="Bundle.type",
            )
        if not r.get("timestamp"):
            self.fail("report.bundle", "the report has no timestamp", path="Bundle.timestamp")
        if not self.entries:
            self.fail("report.bundle", "the report holds no resources", path="Bundle.entry")
        for entry in self.entries:
            self.check_general(entry)
        self.check_references()
        self.check_free_text()
        for entry in self.entries:
            self.check_extension_urls(entry)
            self.check_code_systems(entry)
            self.check_fixed_values(entry)
        if len(self.citizens) != 1:
            self.fail(
                "citizen.one",
                f"a report is about exactly one citizen; this one holds {len(self.citizens)} Patient resources",
            )
        for entry in self.entries:
            check = getattr(self, f"check_{entry.kind}", None) if entry.kind else None
            if check:
                check(entry)
            if "subject" in entry.resource or entry.kind not in (None, "citizen", "organisation"):
                self.check_subject(entry)
        return self.violations

    def check_general(self, entry: _Entry) -> None:
        res = entry.resource
        if not isinstance(res.get("id"), str) or not _UUID.match(res["id"]):
            self.fail("report.resource_id", f"the id {res.get('id')!r} is not a UUID", entry, "id")
        elif entry.full_url not in (entry.key, f"urn:uuid:{res['id']}") and not str(entry.full_url or "").endswith(
            "/" + entry.key
        ):
            self.fail(
                "report.resource_id",
                f"the entry's fullUrl {entry.full_url!r} does not name {entry.key}",
                entry,
                "fullUrl",
            )
        if entry.kind is None or entry.kind == "report":
            self.fail(
                "report.resource_types",
                f"a {res.get('resourceType')} must claim one of the guide's profiles for it in meta.profile",
                entry,
            )
        if not (res.get("meta") or {}).get("lastUpdated") or not (res.get("meta") or {}).get("profile"):
            self.fail("report.resource_meta", "meta must give the profile and lastUpdated", entry, "meta")

    def check_references(self) -> None:
        for entry in self.entries:
            for path, key, value in _walk(entry.resource):
                if key == "reference" and isinstance(value, str) and self.target({"reference": value}) is None:
                    where = f"{path}.reference" if path else "reference"
                    self.fail(
                        "report.references_included",
                        f"{where} refers to {value}, which is not in the report",
                        entry,
                        where,
                    )

    def check_free_text(self) -> None:
        for entry in self.entries:
            for path, key, _ in _walk(entry.resource):
                if key in ("text", "note"):
                    where = f"{path}.{key}" if path else key
                    self.fail("report.no_free_text", f"free text is not reported: remove {where}", entry, where)

    def check_extension_urls(self, entry: _Entry) -> None:
        """An extension under another URL than the guide's is one the gateway does not see."""
        for path, key, value in _walk(entry.resource):
            if key != "extension" or path.rsplit(".", 1)[-1].startswith("extension["):
                continue  # a complex extension's parts have relative URLs of their own
            for i, ext in enumerate(_list(value)):
                url = ext.get("url") if isinstance(ext, dict) else None
                if url in KNOWN_EXTENSIONS:
                    continue
                where = f"{path}.extension[{i}]" if path else f"extension[{i}]"
                name = _letters(str(url).rstrip("/").rsplit("/", 1)[-1])
                meant = [
                    u for u, n in KNOWN_EXTENSIONS.items() if name in (_letters(n), _letters(u.rsplit("/", 1)[-1]))
                ]
                hint = f"; the guide's is {meant[0]}" if meant else ""
                self.fail(
                    "report.extension_url",
                    f"extension URL {url!r} is not one the guide defines or uses{hint}",
                    entry,
                    f"{where}.url",
                )

    def check_code_systems(self, entry: _Entry) -> None:
        for path, key, value in _walk(entry.resource):
            if key == "coding":
                codings = [(f"{path}.coding[{i}]", c) for i, c in enumerate(_list(value))]
            elif key == "class" and isinstance(value, dict):  # Encounter.class is a Coding
                codings = [(f"{path}.class" if path else "class", value)]
            else:
                continue
            for where, coding in codings:
                system = coding.get("system") if isinstance(coding, dict) else None
                if system not in KNOWN_SYSTEMS:
                    hint = ""
                    if isinstance(system, str) and system.rstrip("/").rsplit("/", 1)[-1] in (
                        "FFB",
                        "KLCommonCareSocialCodes",
                    ):
                        hint = f"; FFB is {FFB_SYSTEM}, KL's common codes {KL_COMMON_SYSTEM}"
                    where = where.removeprefix(".")
                    self.fail(
                        "report.code_system",
                        f"code system {system!r} is not one the guide uses{hint}",
                        entry,
                        f"{where}.system",
                    )

    def check_fixed_values(self, entry: _Entry) -> None:
        if entry.kind is None:
            return
        for fixed in GUIDE.fixed_values(ID_OF_KIND[entry.kind]):
            values = _values(entry.resource, fixed.path)
            if not any(_matches(v, fixed.system, fixed.code) for v in values):
                expected = f"{fixed.system}#{fixed.code}" if fixed.system else fixed.code
                self.fail(
                    "report.fixed_value",
                    f"the guide fixes {fixed.path} = {expected} on this profile ({fixed.source})",
                    entry,
                    fixed.path,
                )

    def check_subject(self, entry: _Entry) -> None:
        subject = entry.resource.get("subject")
        target = self.target(subject)
        if target is None or target.resource.get("resourceType") != "Patient" or target.key != self.citizen_key:
            self.fail(
                "subject.citizen",
                f"the {entry.kind or 'resource'} must refer to the report's citizen as its subject",
                entry,
                "subject",
            )

    # -- per profile -------------------------------------------------------------

    def check_citizen(self, entry: _Entry) -> None:
        res = entry.resource
        cprs = [i for i in _list(res.get("identifier")) if isinstance(i, dict) and i.get("system") == CPR_SYSTEM]
        if len(cprs) != 1:
            self.fail(
                "citizen.cpr",
                f"the citizen needs one identifier with system {CPR_SYSTEM} (the CPR number)",
                entry,
                "identifier",
            )
        elif not valid_cpr_syntax(cprs[0].get("value")):
            self.fail(
                "citizen.cpr",
                "the CPR number is not syntactically valid: 10 digits, the first six a real date",
                entry,
                "identifier",
            )
        org = (res.get("managingOrganization") or {}).get("identifier") or {}
        if not isinstance(org.get("value"), str) or not _UUID.match(org["value"]):
            self.fail(
                "citizen.managing_organisation",
                "the managing organisation must be identified by its STS organisation code (a UUID)",
                entry,
                "managingOrganization.identifier.value",
            )

    def _case_number(self, entry: _Entry, rule: str) -> None:
        values = [
            (sub.get("valueIdentifier") or {}).get("value")
            for ext in _extensions(entry.resource, EXT_CASE_NUMBER)
            for sub in _list(ext.get("extension"))
            if isinstance(sub, dict)
        ]
        if not any(isinstance(v, str) and v.strip() for v in values):
            self.fail(
                rule,
                f"the municipality case number (sagsnummer) is missing: no extension {EXT_CASE_NUMBER}",
                entry,
                "extension",
            )

    def check_service_request(self, entry: _Entry) -> None:
        self._case_number(entry, "service_request.case_number")

    def check_information_gathering(self, entry: _Entry) -> None:
        res = entry.resource
        requests = [self.target(ext.get("valueReference")) for ext in _extensions(res, EXT_BASED_ON_REQUEST)]
        if not any(t is not None and t.resource.get("resourceType") == "ServiceRequest" for t in requests):
            self.fail(
                "information_gathering.service_request",
                f"the information gathering must refer to its service request (extension {EXT_BASED_ON_REQUEST})",
                entry,
                "extension",
            )
        if not res.get("effectiveDateTime") and not (res.get("effectivePeriod") or {}).get("start"):
            self.fail(
                "information_gathering.effective",
                "the information gathering has no time (effectiveDateTime)",
                entry,
                "effectiveDateTime",
            )
        for i, finding in enumerate(_list(res.get("finding"))):
            target = self.target((finding or {}).get("itemReference"))
            if target is None:
                continue  # report.references_included says so
            code = _ffb_code(target.resource.get("code"))
            if target.kind != "condition" or _code_problem(code, terminology.conditions(), "code"):
                self.fail(
                    "information_gathering.findings",
                    f"finding {i + 1} must be a condition with a valid FFB condition code ({target.key} is not)",
                    entry,
                    f"finding[{i}].itemReference",
                )

    def check_condition(self, entry: _Entry) -> None:
        res = entry.resource
        codings = _codings(res.get("code"))
        code = _ffb_code(res.get("code"))
        problem = _code_problem(code, terminology.conditions(), "the condition code", res.get("code"))
        if len(codings) != 1:
            problem = problem or f"the condition code must have exactly one coding, it has {len(codings)}"
        if problem:
            self.fail("condition.code", problem, entry, "code")
        if not res.get("recordedDate"):
            self.fail(
                "condition.recorded_date",
                "the condition has no recordedDate (when it was first documented)",
                entry,
                "recordedDate",
            )
        if problem:
            return
        assert code is not None  # no code is a problem, returned on above
        severity = res.get("severity")
        if code in activity_and_participation():
            level_problem = _code_problem(_ffb_code(severity), terminology.function_levels(), "the severity", severity)
            if severity is None:
                self.fail(
                    "condition.severity_required",
                    f'{terminology.ffb().concepts[code].display!r} is under "Aktivitet og deltagelse" and needs a severity '
                    "from FFB Funktionsevneniveau",
                    entry,
                    "severity",
                )
            elif level_problem:
                self.fail("condition.severity_required", level_problem, entry, "severity")
        elif severity is not None:
            self.fail(
                "condition.severity_not_allowed",
                f'{terminology.ffb().concepts[code].display!r} is not under "Aktivitet og deltagelse"; remove its severity',
                entry,
                "severity",
            )

    def check_goal(self, entry: _Entry) -> None:
        res = entry.resource
        primaries: list[dict] = []
        others: list[dict] = []
        for reference in _list(res.get("addresses")):
            (primaries if _rank(reference) == 1 else others).append(reference)
        if len(primaries) != 1:
            self.fail(
                "goal.primary_condition",
                f"a goal addresses exactly one primary condition (rank 1); this one has {len(primaries)}",
                entry,
                "addresses",
            )
        for reference in primaries:
            if not self._activity_condition(reference):
                self.fail(
                    "goal.primary_condition",
                    'the primary condition must be a condition under "Aktivitet og deltagelse"',
                    entry,
                    "addresses",
                )
        for reference in others:
            if _rank(reference) != 2:
                self.fail(
                    "goal.secondary_conditions",
                    f"{reference.get('reference')} must be ranked 1 (primary) or 2 (secondary)",
                    entry,
                    "addresses",
                )
            elif not self._activity_condition(reference):
                self.fail(
                    "goal.secondary_conditions",
                    f'secondary condition {reference.get("reference")} must be a condition under "Aktivitet og deltagelse"',
                    entry,
                    "addresses",
                )
        severity = guide_coding("goal", "target[severitySlice].measure")
        change_value = guide_coding("goal", "target[changeValueSlice].measure")
        for i, target in enumerate(_list(res.get("target"))):
            measure = (target or {}).get("measure")
            detail = (target or {}).get("detailCodeableConcept")
            if _matches(measure, severity["system"], severity["code"]):  # funktionsevneniveau
                problem = _code_problem(
                    _ffb_code(detail), terminology.function_levels(), "the goal's target severity", detail
                )
                if problem:
                    self.fail("goal.target_severity", problem, entry, f"target[{i}].detailCodeableConcept")
            elif _matches(measure, change_value["system"], change_value["code"]):  # måltype
                problem = _code_problem(_ffb_code(detail), terminology.goal_types(), "the goal's change value", detail)
                if problem:
                    self.fail("goal.change_value", problem, entry, f"target[{i}].detailCodeableConcept")

    def _activity_condition(self, reference: dict) -> bool:
        target = self.target(reference)
        if target is None:
            return True  # report.references_included says so
        return target.kind == "condition" and _ffb_code(target.resource.get("code")) in activity_and_participation()

    def check_care_plan(self, entry: _Entry) -> None:
        res = entry.resource
        self._case_number(entry, "care_plan.case_number")
        ordered_open = res.get("intent") == "order" and res.get("status") != "completed"
        follow_ups = _extensions(res, EXT_FOLLOW_UP_DATE)
        if follow_ups:
            target = self.target(follow_ups[0].get("valueReference"))
            if target is not None and target.kind != "follow_up_encounter":
                self.fail(
                    "care_plan.follow_up",
                    f"the follow-up date must refer to a follow-up encounter, not {target.key}",
                    entry,
                    "extension",
                )
        elif ordered_open:
            self.fail(
                "care_plan.follow_up",
                f"an ordered care plan that is not completed needs a follow-up encounter (opfølgningsdato, extension {EXT_FOLLOW_UP_DATE})",
                entry,
                "extension",
            )
        if not (res.get("period") or {}).get("start"):
            self.fail("care_plan.start", "the care plan has no start date (period.start)", entry, "period.start")
        for reference in _list(res.get("careTeam")):
            target = self.target(reference)
            if target is not None and target.kind != "service_performer":
                self.fail(
                    "care_plan.service_performer",
                    f"{target.key} is not a service performer (tilbudstype)",
                    entry,
                    "careTeam",
                )
        addresses = _list(res.get("addresses"))
        if sum(1 for a in addresses if _rank(a) == 1) > 1:
            self.fail(
                "care_plan.primary_target_group",
                "a care plan addresses at most one primary target group (rank 1)",
                entry,
                "addresses",
            )
        for reference in addresses:
            target = self.target(reference)
            if _rank(reference) not in (1, 2):
                self.fail(
                    "care_plan.target_groups",
                    f"target group {reference.get('reference')} must be ranked 1 or 2",
                    entry,
                    "addresses",
                )
            if target is not None and target.kind != "target_group":
                self.fail(
                    "care_plan.target_groups", f"{target.key} is not a target group (målgruppe)", entry, "addresses"
                )
        outcomes = [
            o for activity in _list(res.get("activity")) for o in _list((activity or {}).get("outcomeReference"))
        ]
        if len(outcomes) > 1:
            self.fail(
                "care_plan.evaluation",
                f"a care plan refers to at most one evaluation; this one refers to {len(outcomes)}",
                entry,
                "activity.outcomeReference",
            )
        for reference in outcomes:
            target = self.target(reference)
            if target is not None and target.kind != "care_evaluation":
                self.fail(
                    "care_plan.evaluation",
                    f"{target.key} is not a care plan evaluation (støttebehov)",
                    entry,
                    "activity.outcomeReference",
                )
        if ordered_open and not addresses:
            self.fail(
                "care_plan.ordered_content",
                "an ordered care plan that is not completed needs its target groups",
                entry,
                "addresses",
            )
        if ordered_open and not outcomes:
            self.fail(
                "care_plan.ordered_content",
                "an ordered care plan that is not completed needs its evaluation (støttebehov)",
                entry,
                "activity.outcomeReference",
            )

    def check_follow_up_encounter(self, entry: _Entry) -> None:
        if not (entry.resource.get("period") or {}).get("start"):
            self.fail(
                "follow_up_encounter.start",
                "the follow-up encounter has no start date (opfølgningsdato)",
                entry,
                "period.start",
            )

    def check_care_evaluation(self, entry: _Entry) -> None:
        res = entry.resource
        if not res.get("effectiveDateTime"):
            self.fail(
                "care_evaluation.date",
                "the care plan evaluation has no date (effectiveDateTime)",
                entry,
                "effectiveDateTime",
            )
        value = res.get("valueCodeableConcept")
        problem = _code_problem(_ffb_code(value), terminology.support_need_levels(), "the support need", value)
        if problem:
            self.fail("care_evaluation.code", problem, entry, "valueCodeableConcept")

    def check_target_group(self, entry: _Entry) -> None:
        res = entry.resource
        problem = _code_problem(
            _ffb_code(res.get("code")), terminology.target_groups(), "the target group", res.get("code")
        )
        if problem:
            self.fail("target_group.code", problem, entry, "code")
        if not res.get("recordedDate") and not res.get("onsetDateTime"):
            self.fail(
                "target_group.recorded_date",
                "the target group has no date of its first documentation (recordedDate)",
                entry,
                "recordedDate",
            )

    def check_intervention(self, entry: _Entry) -> None:
        res = entry.resource
        plans = [self.target(r) for r in _list(res.get("basedOn"))]
        if not plans or any(t is not None and t.kind != "care_plan" for t in plans):
            self.fail(
                "intervention.care_plan", "the intervention must refer to its care plan (basedOn)", entry, "basedOn"
            )
        if not (res.get("period") or {}).get("start"):
            self.fail("intervention.start", "the intervention has no start date (period.start)", entry, "period.start")
        details = [(a or {}).get("detail") or {} for a in _list(res.get("activity"))]
        if len(details) != 1:
            self.fail(
                "intervention.code",
                f"an intervention has one activity with an FFB Ydelse code; this one has {len(details)}",
                entry,
                "activity",
            )
        for i, detail in enumerate(details):
            problem = _code_problem(
                _ffb_code(detail.get("code")), terminology.services(), "the intervention", detail.get("code")
            )
            if problem:
                self.fail("intervention.code", problem, entry, f"activity[{i}].detail.code")

    def check_service_performer(self, entry: _Entry) -> None:
        categories = _list(entry.resource.get("category")) or [None]
        for i, category in enumerate(categories):
            problem = _code_problem(
                _ffb_code(category), service_performer_types(), "the service performer (tilbudstype)", category
            )
            if problem:
                self.fail("service_performer.code", problem, entry, f"category[{i}]")

    def check_follow_up(self, entry: _Entry) -> None:
        res = entry.resource
        plans = [self.target(r) for r in _list(res.get("focus"))]
        if not plans or any(t is not None and t.kind != "care_plan" for t in plans):
            self.fail("follow_up.care_plan", "the follow-up result must refer to its care plan (focus)", entry, "focus")
        if not res.get("effectiveDateTime"):
            self.fail(
                "follow_up.effective",
                "the follow-up result has no timestamp (effectiveDateTime)",
                entry,
                "effectiveDateTime",
            )
        value = res.get("valueCodeableConcept")
        problem = _code_problem(_ffb_code(value), terminology.follow_up_decisions(), "the follow-up result", value)
        if problem:
            self.fail("follow_up.code", problem, entry, "valueCodeableConcept")
        if res.get("status") not in ("final", "entered-in-error"):
            self.fail(
                "follow_up.status",
                f"a follow-up result has status final or entered-in-error, not {res.get('status')!r}",
                entry,
                "status",
            )


def validate_report(report: Any) -> list[Violation]:
    """Every rule the delivery report breaks; empty when it may be sent."""
    if not isinstance(report, dict):
        return [Violation("report.bundle", "a delivery report is a JSON object (a FHIR Bundle)")]
    return _Checker(report).run()


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return True
