"""The validation rules of KL's FFB delivery report (KL Gateway), as named checks.

A delivery report is a FHIR R4 Bundle of type ``collection`` about one citizen
(HL7 Denmark's "kl-ffb-reporting" implementation guide, profile
``kl-reporting-ffb-deliveryReport``). ``validate_report`` takes the report as
parsed JSON and returns every rule it breaks, each with the rule's name, a
message a caseworker can act on, and the resource at fault. An empty list means
the report may be sent.

The rules are the guide's "Validation" lists, one check per line, plus the
general ones of its "Reporting" section (ids, metadata, references, no free
text). Codes are checked against the vendored KL code lists
(``domain.terminology``); nothing is retyped. Messages never repeat a CPR number.

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

from domain import terminology
from domain.citizen import birth_date_from_cpr
from domain.errors import DomainError

# -- the guide's identifiers ---------------------------------------------------

PROFILE_BASE = "http://fhir.kl.dk/ffbreporting/StructureDefinition/"
FFB_SYSTEM = "http://kl.dk/fhir/common/caresocial/CodeSystem/FFB"
KL_COMMON_SYSTEM = "http://kl.dk/fhir/common/caresocial/CodeSystem/KLCommonCareSocialCodes"
SNOMED_SYSTEM = "http://snomed.info/sct"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
STS_ORGANISATION_SYSTEM = "https://www.kombit.dk/organisation"

# Extensions are recognised by the last segment of their URL: the guide's
# versions moved them between canonical bases (KL core, DK core, the guide).
EXT_CASE_NUMBER = "KLReportingFFBMunicipalityCaseNumber"
EXT_FOLLOW_UP_DATE = "kl-reporting-ffb-follow-up-date-extension"
EXT_CONDITION_RANK = "ConditionRank"
EXT_BASED_ON_REQUEST = "BasedOnServiceRequest"
EXT_LAST_ASSERTED = "ConditionLastAssertedDate"

# profile id -> (our name for the kind of resource, its FHIR resource type)
PROFILES: dict[str, tuple[str, str]] = {
    "kl-reporting-ffb-deliveryReport": ("report", "Bundle"),
    "kl-reporting-ffb-citizen": ("citizen", "Patient"),
    "kl-reporting-ffb-serviceRequest": ("service_request", "ServiceRequest"),
    "kl-reporting-ffb-informationGathering": ("information_gathering", "ClinicalImpression"),
    "kl-reporting-ffb-condition": ("condition", "Condition"),
    "kl-reporting-ffb-targetGroup": ("target_group", "Condition"),
    "kl-reporting-ffb-interventionGoal": ("goal", "Goal"),
    "kl-reporting-ffb-carePlan": ("care_plan", "CarePlan"),
    "kl-reporting-ffb-intervention": ("intervention", "CarePlan"),
    "kl-reporting-ffb-careEvaluation": ("care_evaluation", "Observation"),
    "kl-reporting-ffb-carePlanEvaluation": ("care_evaluation", "Observation"),  # the guide's earlier name
    "kl-reporting-ffb-followUp": ("follow_up", "Observation"),
    "kl-reporting-ffb-followUpEncounter": ("follow_up_encounter", "Encounter"),
    "kl-reporting-ffb-servicePerformer": ("service_performer", "CareTeam"),
    "kl-reporting-ffb-organization": ("organisation", "Organization"),  # the guide's earlier service performer
}
PROFILE_OF_KIND = {kind: PROFILE_BASE + pid for pid, (kind, _) in PROFILES.items() if "carePlanEvaluation" not in pid}

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

    def __str__(self) -> str:
        where = f" ({self.resource})" if self.resource else ""
        return f"[{self.rule}]{where} {self.message}"


# -- code lists ------------------------------------------------------------------


@cache
def activity_and_participation() -> terminology.CodeList:
    return terminology.ffb().code_list("FFB tilstande", "Aktivitet og deltagelse")


@cache
def service_performer_types() -> terminology.CodeList:
    return terminology.ffb().code_list("Social indsats", "Tilbud")


def _ffb_systems() -> set[str]:
    return {FFB_SYSTEM, terminology.ffb().url}


# -- small readers -------------------------------------------------------------------


def _codings(concept: Any) -> list[dict]:
    if isinstance(concept, dict):
        return [c for c in concept.get("coding", []) if isinstance(c, dict)]
    return []


def _ffb_code(concept: Any) -> str | None:
    """The FFB code of a CodeableConcept (its one FFB coding), or None."""
    for coding in _codings(concept):
        if coding.get("system") in _ffb_systems():
            return coding.get("code")
    return None


def _code_problem(code: str | None, code_list: terminology.CodeList, what: str) -> str | None:
    """None if ``code`` is in the list; else why not, in words."""
    if code is None:
        return f"{what} has no FFB coding (system {FFB_SYSTEM})"
    try:
        code_list.check(code, field=what)
    except DomainError as error:
        return f"{what}: {error.message}"
    return None


def _extensions(element: Any, name: str) -> list[dict]:
    if not isinstance(element, dict):
        return []
    return [e for e in element.get("extension", []) if isinstance(e, dict) and str(e.get("url", "")).rsplit("/", 1)[-1] == name]


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
    if not isinstance(value, str) or not _CPR_DIGITS.match(value):
        return False
    try:
        birth_date_from_cpr(value)
    except ValueError:
        return False
    return True


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
    """Which of the guide's profiles a resource claims (``meta.profile``), as our kind name."""
    for url in _list((resource.get("meta") or {}).get("profile")):
        kind = PROFILES.get(str(url).rstrip("/").rsplit("/", 1)[-1].split("|")[0])
        if kind and kind[1] == resource.get("resourceType"):
            return kind[0]
    return None


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

    def fail(self, rule: str, message: str, entry: _Entry | None = None) -> None:
        self.violations.append(Violation(rule, message, entry.key if entry else None))

    def target(self, reference: Any) -> _Entry | None:
        ref = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(ref, str):
            return None
        return self.by_key.get(ref) or next((e for e in self.entries if e.full_url == ref), None)

    # -- general -----------------------------------------------------------------

    def run(self) -> list[Violation]:
        r = self.report
        if r.get("resourceType") != "Bundle" or r.get("type") != "collection":
            self.fail("report.bundle", f"a delivery report is a Bundle of type collection, not {r.get('resourceType')} of type {r.get('type')}")
        if not r.get("timestamp"):
            self.fail("report.bundle", "the report has no timestamp")
        if not self.entries:
            self.fail("report.bundle", "the report holds no resources")
        for entry in self.entries:
            self.check_general(entry)
        self.check_references()
        self.check_free_text()
        if len(self.citizens) != 1:
            self.fail("citizen.one", f"a report is about exactly one citizen; this one holds {len(self.citizens)} Patient resources")
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
            self.fail("report.resource_id", f"the id {res.get('id')!r} is not a UUID", entry)
        elif entry.full_url not in (entry.key, f"urn:uuid:{res['id']}") and not str(entry.full_url or "").endswith("/" + entry.key):
            self.fail("report.resource_id", f"the entry's fullUrl {entry.full_url!r} does not name {entry.key}", entry)
        if entry.kind is None or entry.kind == "report":
            self.fail(
                "report.resource_types",
                f"a {res.get('resourceType')} must claim one of the guide's profiles for it in meta.profile",
                entry,
            )
        if not (res.get("meta") or {}).get("lastUpdated") or not (res.get("meta") or {}).get("profile"):
            self.fail("report.resource_meta", "meta must give the profile and lastUpdated", entry)

    def check_references(self) -> None:
        for entry in self.entries:
            for path, key, value in _walk(entry.resource):
                if key == "reference" and isinstance(value, str) and self.target({"reference": value}) is None:
                    self.fail("report.references_included", f"{path or 'the resource'} refers to {value}, which is not in the report", entry)

    def check_free_text(self) -> None:
        for entry in self.entries:
            for path, key, _ in _walk(entry.resource):
                if key in ("text", "note"):
                    where = f"{path}.{key}" if path else key
                    self.fail("report.no_free_text", f"free text is not reported: remove {where}", entry)

    def check_subject(self, entry: _Entry) -> None:
        subject = entry.resource.get("subject")
        target = self.target(subject)
        if target is None or target.resource.get("resourceType") != "Patient" or target.key != self.citizen_key:
            self.fail("subject.citizen", f"the {entry.kind or 'resource'} must refer to the report's citizen as its subject", entry)

    # -- per profile -------------------------------------------------------------

    def check_citizen(self, entry: _Entry) -> None:
        res = entry.resource
        cprs = [i for i in _list(res.get("identifier")) if isinstance(i, dict) and i.get("system") == CPR_SYSTEM]
        if len(cprs) != 1:
            self.fail("citizen.cpr", f"the citizen needs one identifier with system {CPR_SYSTEM} (the CPR number)", entry)
        elif not valid_cpr_syntax(cprs[0].get("value")):
            self.fail("citizen.cpr", "the CPR number is not syntactically valid: 10 digits, the first six a real date", entry)
        org = (res.get("managingOrganization") or {}).get("identifier") or {}
        if not isinstance(org.get("value"), str) or not _UUID.match(org["value"]):
            self.fail(
                "citizen.managing_organisation",
                "the managing organisation must be identified by its STS organisation code (a UUID)",
                entry,
            )

    def _case_number(self, entry: _Entry, rule: str) -> None:
        values = [
            (sub.get("valueIdentifier") or {}).get("value")
            for ext in _extensions(entry.resource, EXT_CASE_NUMBER)
            for sub in _list(ext.get("extension"))
            if isinstance(sub, dict)
        ]
        if not any(isinstance(v, str) and v.strip() for v in values):
            self.fail(rule, "the municipality case number (sagsnummer) is missing", entry)

    def check_service_request(self, entry: _Entry) -> None:
        self._case_number(entry, "service_request.case_number")

    def check_information_gathering(self, entry: _Entry) -> None:
        res = entry.resource
        requests = [self.target(ext.get("valueReference")) for ext in _extensions(res, EXT_BASED_ON_REQUEST)]
        if not any(t is not None and t.resource.get("resourceType") == "ServiceRequest" for t in requests):
            self.fail("information_gathering.service_request", "the information gathering must refer to its service request", entry)
        if not res.get("effectiveDateTime") and not (res.get("effectivePeriod") or {}).get("start"):
            self.fail("information_gathering.effective", "the information gathering has no time (effectiveDateTime)", entry)
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
                )

    def check_condition(self, entry: _Entry) -> None:
        res = entry.resource
        codings = _codings(res.get("code"))
        code = _ffb_code(res.get("code"))
        problem = _code_problem(code, terminology.conditions(), "the condition code")
        if len(codings) != 1:
            problem = problem or f"the condition code must have exactly one coding, it has {len(codings)}"
        if problem:
            self.fail("condition.code", problem, entry)
        if not res.get("recordedDate"):
            self.fail("condition.recorded_date", "the condition has no recordedDate (when it was first documented)", entry)
        if problem:
            return
        severity = res.get("severity")
        if code in activity_and_participation():
            level_problem = _code_problem(_ffb_code(severity), terminology.function_levels(), "the severity")
            if severity is None:
                self.fail(
                    "condition.severity_required",
                    f'{terminology.ffb().concepts[code].display!r} is under "Aktivitet og deltagelse" and needs a severity '
                    "from FFB Funktionsevneniveau",
                    entry,
                )
            elif level_problem:
                self.fail("condition.severity_required", level_problem, entry)
        elif severity is not None:
            self.fail(
                "condition.severity_not_allowed",
                f'{terminology.ffb().concepts[code].display!r} is not under "Aktivitet og deltagelse"; remove its severity',
                entry,
            )

    def check_goal(self, entry: _Entry) -> None:
        res = entry.resource
        primaries, others = [], []
        for reference in _list(res.get("addresses")):
            (primaries if _rank(reference) == 1 else others).append(reference)
        if len(primaries) != 1:
            self.fail("goal.primary_condition", f"a goal addresses exactly one primary condition (rank 1); this one has {len(primaries)}", entry)
        for reference in primaries:
            if not self._activity_condition(reference):
                self.fail("goal.primary_condition", 'the primary condition must be a condition under "Aktivitet og deltagelse"', entry)
        for reference in others:
            if _rank(reference) != 2:
                self.fail("goal.secondary_conditions", f"{reference.get('reference')} must be ranked 1 (primary) or 2 (secondary)", entry)
            elif not self._activity_condition(reference):
                self.fail(
                    "goal.secondary_conditions",
                    f'secondary condition {reference.get("reference")} must be a condition under "Aktivitet og deltagelse"',
                    entry,
                )
        for target in _list(res.get("target")):
            measure = {c.get("code") for c in _codings((target or {}).get("measure"))}
            detail = _ffb_code((target or {}).get("detailCodeableConcept"))
            if "66959f77-6e2a-4574-8423-3ff097f8b9fa" in measure:  # funktionsevneniveau
                problem = _code_problem(detail, terminology.function_levels(), "the goal's target severity")
                if problem:
                    self.fail("goal.target_severity", problem, entry)
            elif "90c48f03-f194-4b2f-ad7d-6cba1069ae48" in measure:  # måltype
                problem = _code_problem(detail, terminology.goal_types(), "the goal's change value")
                if problem:
                    self.fail("goal.change_value", problem, entry)

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
                self.fail("care_plan.follow_up", f"the follow-up date must refer to a follow-up encounter, not {target.key}", entry)
        elif ordered_open:
            self.fail("care_plan.follow_up", "an ordered care plan that is not completed needs a follow-up encounter (opfølgningsdato)", entry)
        if not (res.get("period") or {}).get("start"):
            self.fail("care_plan.start", "the care plan has no start date (period.start)", entry)
        for reference in _list(res.get("careTeam")):
            target = self.target(reference)
            if target is not None and target.kind != "service_performer":
                self.fail("care_plan.service_performer", f"{target.key} is not a service performer (tilbudstype)", entry)
        addresses = _list(res.get("addresses"))
        if sum(1 for a in addresses if _rank(a) == 1) > 1:
            self.fail("care_plan.primary_target_group", "a care plan addresses at most one primary target group (rank 1)", entry)
        for reference in addresses:
            target = self.target(reference)
            if _rank(reference) not in (1, 2):
                self.fail("care_plan.target_groups", f"target group {reference.get('reference')} must be ranked 1 or 2", entry)
            if target is not None and target.kind != "target_group":
                self.fail("care_plan.target_groups", f"{target.key} is not a target group (målgruppe)", entry)
        outcomes = [o for activity in _list(res.get("activity")) for o in _list((activity or {}).get("outcomeReference"))]
        if len(outcomes) > 1:
            self.fail("care_plan.evaluation", f"a care plan refers to at most one evaluation; this one refers to {len(outcomes)}", entry)
        for reference in outcomes:
            target = self.target(reference)
            if target is not None and target.kind != "care_evaluation":
                self.fail("care_plan.evaluation", f"{target.key} is not a care plan evaluation (støttebehov)", entry)
        if ordered_open and not addresses:
            self.fail("care_plan.ordered_content", "an ordered care plan that is not completed needs its target groups", entry)
        if ordered_open and not outcomes:
            self.fail("care_plan.ordered_content", "an ordered care plan that is not completed needs its evaluation (støttebehov)", entry)

    def check_follow_up_encounter(self, entry: _Entry) -> None:
        if not (entry.resource.get("period") or {}).get("start"):
            self.fail("follow_up_encounter.start", "the follow-up encounter has no start date (opfølgningsdato)", entry)

    def check_care_evaluation(self, entry: _Entry) -> None:
        res = entry.resource
        if not res.get("effectiveDateTime"):
            self.fail("care_evaluation.date", "the care plan evaluation has no date (effectiveDateTime)", entry)
        problem = _code_problem(_ffb_code(res.get("valueCodeableConcept")), terminology.support_need_levels(), "the support need")
        if problem:
            self.fail("care_evaluation.code", problem, entry)

    def check_target_group(self, entry: _Entry) -> None:
        res = entry.resource
        problem = _code_problem(_ffb_code(res.get("code")), terminology.target_groups(), "the target group")
        if problem:
            self.fail("target_group.code", problem, entry)
        if not res.get("recordedDate") and not res.get("onsetDateTime"):
            self.fail("target_group.recorded_date", "the target group has no date of its first documentation (recordedDate)", entry)

    def check_intervention(self, entry: _Entry) -> None:
        res = entry.resource
        plans = [self.target(r) for r in _list(res.get("basedOn"))]
        if not plans or any(t is not None and t.kind != "care_plan" for t in plans):
            self.fail("intervention.care_plan", "the intervention must refer to its care plan (basedOn)", entry)
        if not (res.get("period") or {}).get("start"):
            self.fail("intervention.start", "the intervention has no start date (period.start)", entry)
        details = [(a or {}).get("detail") or {} for a in _list(res.get("activity"))]
        codes = [_ffb_code(d.get("code")) for d in details]
        if len(codes) != 1:
            self.fail("intervention.code", f"an intervention has one activity with an FFB Ydelse code; this one has {len(codes)}", entry)
        for code in codes:
            problem = _code_problem(code, terminology.services(), "the intervention")
            if problem:
                self.fail("intervention.code", problem, entry)

    def check_service_performer(self, entry: _Entry) -> None:
        categories = _list(entry.resource.get("category"))
        codes = [_ffb_code(c) for c in categories] or [None]
        for code in codes:
            problem = _code_problem(code, service_performer_types(), "the service performer (tilbudstype)")
            if problem:
                self.fail("service_performer.code", problem, entry)

    def check_follow_up(self, entry: _Entry) -> None:
        res = entry.resource
        plans = [self.target(r) for r in _list(res.get("focus"))]
        if not plans or any(t is not None and t.kind != "care_plan" for t in plans):
            self.fail("follow_up.care_plan", "the follow-up result must refer to its care plan (focus)", entry)
        if not res.get("effectiveDateTime"):
            self.fail("follow_up.effective", "the follow-up result has no timestamp (effectiveDateTime)", entry)
        problem = _code_problem(_ffb_code(res.get("valueCodeableConcept")), terminology.follow_up_decisions(), "the follow-up result")
        if problem:
            self.fail("follow_up.code", problem, entry)
        if res.get("status") not in ("final", "entered-in-error"):
            self.fail("follow_up.status", f"a follow-up result has status final or entered-in-error, not {res.get('status')!r}", entry)


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
