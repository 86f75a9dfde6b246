"""The FFB delivery report of one citizen as of one day, projected from the case's events.

The case's events (as ``activities.readmodels`` reads them: personal fields
decrypted) are folded into the FHIR resources KL's reporting guide describes;
after every event the resources are compared with what they were, so each one
knows when it last changed (``meta.lastUpdated``). The report for a day holds
every resource that changed that day, and the current snapshot of everything
those refer to (the citizen always). No change that day: no report.

Mapping from the case to the guide:

- the citizen (NeedRegistered) -> Patient, with CPR and the managing organisation;
- the case -> ServiceRequest with the municipality case number;
- each needs assessment -> an information gathering (ClinicalImpression) with
  its conditions as findings; the first one opens with the visitation;
- each assessed FFB condition -> Condition, a severity (FFB Funktionsevneniveau)
  only under "Aktivitet og deltagelse"; a re-assessed condition keeps its id
  and gets ``ConditionLastAssertedDate``; one no longer assessed is resolved;
- the assessment's target group -> TargetGroup (rank 1 on the care plan);
- the assessment's support need -> the care plan evaluation (the highest
  support need among the assessed conditions; "Ikke vurderet" when none is);
- a citizen's goal that names its conditions and target level -> an intervention
  goal (goals told only in the citizen's own words have no FFB form and are not
  reported);
- each decision that grants services -> a care plan (a new one per decision;
  the previous one is completed), an intervention per FFB "Ydelse", a service
  performer per FFB "Tilbud", and a follow-up encounter (the pilot's last goal
  date, or the standard follow-up interval after the decision);
- the evaluation's FFB "Status på indsats" -> the follow-up result;
- closing the case completes the care plan and ends its interventions.

Resource ids are UUIDv5 over a fixed namespace, the case id and the thing's
identity, so the same thing reported again is an update. No free text leaves.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain import terminology
from domain.appeal_window import DANISH_TIME
from domain.case.assessment import AssessmentRecorded
from domain.case.closing import CaseClosed
from domain.case.decision import DecisionMade, Outcome
from domain.case.evaluation import EvaluationRecorded
from domain.case.need import NeedRegistered, VisitationOpened
from domain.case.pilot import PilotStarted, PlanAdjusted
from domain.citizen import cpr_digits
from domain.ffb_report_rules import (
    CPR_SYSTEM,
    EXT_BASED_ON_REQUEST,
    EXT_CASE_NUMBER,
    EXT_CONDITION_RANK,
    EXT_FOLLOW_UP_DATE,
    EXT_LAST_ASSERTED,
    FFB_SYSTEM,
    GUIDE,
    PROFILE_OF_KIND,
    STS_ORGANISATION_SYSTEM,
    activity_and_participation,
    guide_coding,
    service_performer_types,
)
from domain.messages import Event

#: The namespace of every resource id we report (a fixed, random UUID).
ID_NAMESPACE = uuid.UUID("6f1c3a52-8e0b-4c47-9a55-2f0d7b1e9c3d")


def _fixed(kind: str, path: str) -> dict:
    """A CodeableConcept of the coding the guide fixes on a profile's element (the code
    from the guide's FSH, its display from the vendored KL code list)."""
    return {"coding": [guide_coding(kind, path)]}


# Støttebehovsniveau from none to complete (the guide's order)
_SUPPORT_ORDER = (
    "Intet støttebehov",
    "Let støttebehov",
    "Moderat støttebehov",
    "Højt støttebehov",
    "Fuldstændigt støttebehov",
)


@dataclass(frozen=True)
class ReportContext:
    """What the projection needs besides the events: set per installation."""

    organisation: str  # the municipality's STS organisation code (a UUID)
    case_number_system: str = "urn:samskab:sagsnummer"
    follow_up_after: timedelta = timedelta(days=182)
    timezone: ZoneInfo = DANISH_TIME


def resource_id(case_id: str, *identity: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join([case_id, *(str(i) for i in identity)])))


def local_day(at: datetime, tz: ZoneInfo = DANISH_TIME) -> date:
    return at.astimezone(tz).date()


def _ffb(code: str) -> dict:
    concept = terminology.ffb().get(code)
    coding = {"system": FFB_SYSTEM, "code": code}
    if concept:
        coding["display"] = concept.display
    return {"coding": [coding]}


def _ref(key: str) -> dict:
    return {"reference": key}


def _ranked(key: str, rank: int) -> dict:
    return {"extension": [{"url": EXT_CONDITION_RANK, "valuePositiveInt": rank}], "reference": key}


def _when(at: datetime) -> str:
    return at.isoformat()


def _code_of(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else getattr(value, "code", None)


@dataclass
class _Decision:
    number: int
    event: DecisionMade
    assessment: int  # index of the assessment it rests on (1-based)
    ended_at: datetime | None = None


@dataclass
class _Case:
    """What the projection keeps of the case while it folds the events."""

    case_id: str
    need: NeedRegistered | None = None
    visitation_opened: datetime | None = None
    assessments: list[AssessmentRecorded] = field(default_factory=list)
    first_assessed: dict[str, datetime] = field(default_factory=dict)  # condition code -> first time
    target_group_first: dict[str, datetime] = field(default_factory=dict)
    decisions: list[_Decision] = field(default_factory=list)
    plan_end: date | None = None  # the pilot's last goal date
    evaluations: list[tuple[int, EvaluationRecorded]] = field(default_factory=list)  # (decision number, evaluation)
    closed_at: datetime | None = None

    def apply(self, event: Event) -> None:
        match event:
            case NeedRegistered():
                self.need = event
            case VisitationOpened():
                self.visitation_opened = event.occurred_at
            case AssessmentRecorded():
                self.assessments.append(event)
                for c in event.conditions:
                    self.first_assessed.setdefault(c.condition.code, event.occurred_at)
                self.target_group_first.setdefault(event.target_group.code, event.occurred_at)
            case DecisionMade() if event.outcome is not Outcome.REFUSED and event.services:
                if self.decisions and self.decisions[-1].ended_at is None:
                    self.decisions[-1].ended_at = event.occurred_at
                self.decisions.append(_Decision(len(self.decisions) + 1, event, max(len(self.assessments), 1)))
            case PilotStarted() | PlanAdjusted():
                dates = [g.target_date for g in event.plan.goals]
                self.plan_end = max(dates) if dates else None
            case EvaluationRecorded() if self.decisions:
                self.evaluations.append((self.decisions[-1].number, event))
            case CaseClosed():
                self.closed_at = event.occurred_at
                if self.decisions and self.decisions[-1].ended_at is None:
                    self.decisions[-1].ended_at = event.occurred_at


class _Renderer:
    def __init__(self, case: _Case, ctx: ReportContext) -> None:
        self.case = case
        self.ctx = ctx
        self.cid = case.case_id
        self.out: dict[str, dict] = {}
        self.citizen = f"Patient/{resource_id(self.cid, 'citizen')}"
        self.request = f"ServiceRequest/{resource_id(self.cid, 'service-request')}"

    def add(self, kind: str, resource_type: str, id_: str, body: dict) -> str:
        key = f"{resource_type}/{id_}"
        self.out[key] = {"resourceType": resource_type, "id": id_, "_kind": kind, **body}
        return key

    def case_number(self) -> dict:
        return {
            "url": EXT_CASE_NUMBER,
            "extension": [
                {
                    "url": "municipalitySpecific",
                    "valueIdentifier": {"use": "usual", "system": self.ctx.case_number_system, "value": self.cid},
                }
            ],
        }

    def render(self) -> dict[str, dict]:
        case = self.case
        if case.need is None:
            return {}
        cpr = cpr_digits(case.need.citizen.cpr)
        self.add(
            "citizen",
            "Patient",
            resource_id(self.cid, "citizen"),
            {
                "identifier": [{"use": "official", "system": CPR_SYSTEM, "value": cpr}],
                "managingOrganization": {
                    "identifier": {"use": "official", "system": STS_ORGANISATION_SYSTEM, "value": self.ctx.organisation}
                },
            },
        )
        self.add(
            "service_request",
            "ServiceRequest",
            resource_id(self.cid, "service-request"),
            {
                "extension": [self.case_number()],
                "status": "completed" if case.closed_at else "active",
                "intent": "proposal",
                "subject": _ref(self.citizen),
            },
        )
        conditions = self.conditions()
        evaluations = self.information_gatherings(conditions)
        goals = self.goals(conditions)
        target_groups = self.target_groups()
        for decision in case.decisions:
            self.care_plan(decision, evaluations, target_groups, goals)
        return self.out

    def conditions(self) -> dict[str, str]:
        """code -> key of the Condition, for every condition ever assessed."""
        case = self.case
        latest = case.assessments[-1] if case.assessments else None
        current = {c.condition.code: c for c in latest.conditions} if latest else {}
        keys: dict[str, str] = {}
        last_asserted: dict[str, datetime] = {}
        for assessment in case.assessments:
            for c in assessment.conditions:
                last_asserted[c.condition.code] = assessment.occurred_at
        for code, first in case.first_assessed.items():
            item = current.get(code)
            body: dict = {}
            if last_asserted[code] > first:
                body["extension"] = [{"url": EXT_LAST_ASSERTED, "valueDateTime": _when(last_asserted[code])}]
            body["clinicalStatus"] = {
                "coding": [{"system": GUIDE.alias("$conditionClinical"), "code": "active" if item else "resolved"}]
            }
            body["verificationStatus"] = {
                "coding": [{"system": GUIDE.alias("$conditionVerStatus"), "code": "confirmed"}]
            }
            if item is not None and code in activity_and_participation():
                body["severity"] = _ffb(item.function_level.code)
            body |= {"code": _ffb(code), "subject": _ref(self.citizen), "recordedDate": _when(first)}
            keys[code] = self.add("condition", "Condition", resource_id(self.cid, "condition", code), body)
        return keys

    def support_need(self, assessment: AssessmentRecorded) -> str:
        own = _code_of(getattr(assessment, "support_need", None))
        if own:
            return own
        levels = terminology.support_need_levels()
        rank = {levels.by_display(name).code: i for i, name in enumerate(_SUPPORT_ORDER)}
        assessed = [
            c.support_need.code for c in assessment.conditions if c.support_need and c.support_need.code in rank
        ]
        if not assessed:
            return levels.by_display(terminology.NOT_ASSESSED).code
        return max(assessed, key=rank.__getitem__)

    def information_gatherings(self, conditions: dict[str, str]) -> dict[int, str]:
        """One per assessment (the first opened with the visitation); returns assessment number -> evaluation key."""
        case = self.case
        decided_after = [d.event.occurred_at for d in case.decisions]
        evaluations: dict[int, str] = {}
        count = max(len(case.assessments), 1 if case.visitation_opened else 0)
        for n in range(1, count + 1):
            assessment = case.assessments[n - 1] if n <= len(case.assessments) else None
            started = case.visitation_opened if n == 1 and case.visitation_opened else assessment.occurred_at  # type: ignore[union-attr]
            body: dict = {
                "extension": [{"url": EXT_BASED_ON_REQUEST, "valueReference": _ref(self.request)}],
                "status": "in-progress",
                "subject": _ref(self.citizen),
                "effectiveDateTime": _when(started),
            }
            if assessment is not None:
                if any(t >= assessment.occurred_at for t in decided_after) or case.closed_at:
                    body["status"] = "completed"
                body["finding"] = [{"itemReference": _ref(conditions[c.condition.code])} for c in assessment.conditions]
                evaluations[n] = self.add(
                    "care_evaluation",
                    "Observation",
                    resource_id(self.cid, "care-evaluation", n),
                    {
                        "status": "final",
                        "code": _fixed("care_evaluation", "code.coding"),
                        "subject": _ref(self.citizen),
                        "effectiveDateTime": _when(assessment.occurred_at),
                        "valueCodeableConcept": _ffb(self.support_need(assessment)),
                    },
                )
            self.add(
                "information_gathering", "ClinicalImpression", resource_id(self.cid, "information-gathering", n), body
            )
        return evaluations

    def goals(self, conditions: dict[str, str]) -> list[str]:
        """Intervention goals, for the citizen's goals that name their conditions and target level."""
        if not self.case.assessments:
            return []
        keys = []
        for i, goal in enumerate(self.case.assessments[-1].goals, start=1):
            primary = _code_of(getattr(goal, "primary_condition", None))
            target = _code_of(getattr(goal, "target_function_level", None) or getattr(goal, "target_level", None))
            if not primary or not target or primary not in conditions:
                continue
            secondaries = [_code_of(c) for c in getattr(goal, "secondary_conditions", ()) or ()]
            addresses = [_ranked(conditions[primary], 1)] + [
                _ranked(conditions[c], 2) for c in secondaries if c in conditions
            ]
            keys.append(
                self.add(
                    "goal",
                    "Goal",
                    resource_id(self.cid, "goal", i),
                    {
                        "lifecycleStatus": "active",
                        "category": [_fixed("goal", "category")],
                        "description": _fixed("goal", "description.coding"),
                        "subject": _ref(self.citizen),
                        "target": [
                            {
                                "measure": _fixed("goal", "target[changeValueSlice].measure"),
                                "detailCodeableConcept": _ffb(goal.goal_type.code),
                            },
                            {
                                "measure": _fixed("goal", "target[severitySlice].measure"),
                                "detailCodeableConcept": _ffb(target),
                            },
                        ],
                        "addresses": addresses,
                    },
                )
            )
        return keys

    def target_groups(self) -> dict[int, str]:
        """assessment number -> key of its target group."""
        keys = {}
        for n, assessment in enumerate(self.case.assessments, start=1):
            code = assessment.target_group.code
            keys[n] = self.add(
                "target_group",
                "Condition",
                resource_id(self.cid, "target-group", code),
                {
                    "code": _ffb(code),
                    "subject": _ref(self.citizen),
                    "recordedDate": _when(self.case.target_group_first[code]),
                },
            )
        return keys

    def care_plan(
        self, decision: _Decision, evaluations: dict[int, str], target_groups: dict[int, str], goals: list[str]
    ) -> None:
        case = self.case
        n, event = decision.number, decision.event
        plan_id = resource_id(self.cid, "care-plan", n)
        plan_key = f"CarePlan/{plan_id}"
        open_ = decision.ended_at is None
        current = n == len(case.decisions)
        performers = []
        for service in event.services:
            code = service.service.code
            if code in service_performer_types():
                performers.append(
                    self.add(
                        "service_performer",
                        "CareTeam",
                        resource_id(self.cid, "service-performer", n, code),
                        {
                            "category": [_ffb(code)],
                            "subject": _ref(self.citizen),
                        },
                    )
                )
            elif code in terminology.services():
                period = {"start": _when(event.occurred_at)}
                if decision.ended_at:
                    period["end"] = _when(decision.ended_at)
                self.add(
                    "intervention",
                    "CarePlan",
                    resource_id(self.cid, "intervention", n, code),
                    {
                        "basedOn": [_ref(plan_key)],
                        "status": "active" if open_ else "completed",
                        "intent": "plan",
                        "subject": _ref(self.citizen),
                        "period": period,
                        "created": _when(event.occurred_at),
                        "activity": [
                            {"detail": {"code": _ffb(code), "status": "in-progress" if open_ else "completed"}}
                        ],
                    },
                )
        extensions = [self.case_number()]
        if open_:
            follow_up = (
                case.plan_end
                if current and case.plan_end
                else local_day(event.occurred_at + self.ctx.follow_up_after, self.ctx.timezone)
            )
            encounter = self.add(
                "follow_up_encounter",
                "Encounter",
                resource_id(self.cid, "follow-up", n),
                {
                    "status": "planned",
                    "class": guide_coding("follow_up_encounter", "class"),
                    "type": [_fixed("follow_up_encounter", "type.coding")],
                    "subject": _ref(self.citizen),
                    "period": {"start": follow_up.isoformat()},
                },
            )
            extensions.append({"url": EXT_FOLLOW_UP_DATE, "valueReference": _ref(encounter)})
        period = {"start": _when(event.occurred_at)}
        if decision.ended_at:
            period["end"] = _when(decision.ended_at)
        body: dict = {
            "extension": extensions,
            "status": "active" if open_ else "completed",
            "intent": "order",
            "subject": _ref(self.citizen),
            "period": period,
        }
        if performers:
            body["careTeam"] = [_ref(k) for k in performers]
        if decision.assessment in target_groups:
            body["addresses"] = [_ranked(target_groups[decision.assessment], 1)]
        if current and goals:
            body["goal"] = [_ref(k) for k in goals]
        if decision.assessment in evaluations:
            body["activity"] = [{"outcomeReference": [_ref(evaluations[decision.assessment])]}]
        self.add("care_plan", "CarePlan", plan_id, body)
        for number, evaluation in case.evaluations:
            status = _code_of(getattr(getattr(evaluation, "follow_up", None), "status", None))
            if number != n or not status:
                continue
            self.add(
                "follow_up",
                "Observation",
                resource_id(self.cid, "follow-up-result", n),
                {
                    "status": "final",
                    "code": _fixed("follow_up", "code.coding"),
                    "subject": _ref(self.citizen),
                    "focus": [_ref(plan_key)],
                    "effectiveDateTime": _when(evaluation.occurred_at),
                    "valueCodeableConcept": _ffb(status),
                },
            )


def history(case_id: str, events: list[Event], ctx: ReportContext) -> dict[str, tuple[dict, datetime]]:
    """Every resource as it stands after the last event, with the time it last changed."""
    case = _Case(case_id)
    current: dict[str, tuple[dict, datetime]] = {}
    for event in events:
        case.apply(event)
        rendered = _Renderer(case, ctx).render()
        for key, body in rendered.items():
            previous = current.get(key)
            if previous is None or previous[0] != body:
                current[key] = (body, event.occurred_at)
    return current


def _references(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_references(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_references(item))
    return found


_ORDER = (
    "citizen",
    "service_request",
    "information_gathering",
    "condition",
    "goal",
    "care_evaluation",
    "target_group",
    "service_performer",
    "follow_up_encounter",
    "intervention",
    "follow_up",
    "care_plan",
)


def build_report(case_id: str, events: list[Event], day: date, ctx: ReportContext) -> dict | None:
    """The delivery report of the case's citizen for ``day``; None when nothing reportable changed that day.

    Only events up to the end of ``day`` count, so a report for a past day is the
    same whenever it is built."""
    upto = [e for e in events if local_day(e.occurred_at, ctx.timezone) <= day]
    resources = history(case_id, upto, ctx)
    changed = [k for k, (_, at) in resources.items() if local_day(at, ctx.timezone) == day]
    if not changed:
        return None
    included: set[str] = set()
    stack = [*changed, *(k for k in resources if k.startswith("Patient/"))]
    while stack:
        key = stack.pop()
        if key in included or key not in resources:
            continue
        included.add(key)
        stack.extend(_references(resources[key][0]))
    ordered = sorted(included, key=lambda k: (_ORDER.index(resources[k][0]["_kind"]), k))
    entries = []
    for key in ordered:
        body, at = resources[key]
        body = dict(body)
        kind = body.pop("_kind")
        resource = {
            "resourceType": body.pop("resourceType"),
            "id": body.pop("id"),
            "meta": {"profile": [PROFILE_OF_KIND[kind]], "lastUpdated": _when(at)},
            **body,
        }
        entries.append({"fullUrl": key, "resource": resource})
    timestamp = max(resources[k][1] for k in changed)
    return {
        "resourceType": "Bundle",
        "id": resource_id(case_id, "delivery-report", day.isoformat()),
        "meta": {"profile": [PROFILE_OF_KIND["report"]], "lastUpdated": _when(timestamp)},
        "type": "collection",
        "timestamp": _when(timestamp),
        "entry": entries,
    }


def report_bytes(report: dict) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8") + b"\n"


def sha256(report: dict) -> str:
    return hashlib.sha256(report_bytes(report)).hexdigest()
