"""Three citizens drawn from the seeds, as the demo takes them through all five phases.

1. Jonas, a young adult on the autism spectrum who wants work: a team of the
   jobcenter and a volunteer mentor (seed 003: "Sæt et hold med borgeren").
2. Mikkel, who applies for BPA (SEL § 96) and is partly granted, with written
   reasons (seed 000: personalisation, independent living).
3. Else, socially isolated, whose need a volunteer noticed; help established
   together with a voluntary organisation (seed 004: "et fælles tredje").

Codes come from the KL code lists by their Danish names; nothing is retyped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import terminology

CASEWORKER = {"id": "cw-anne", "role": "caseworker"}
TEAM_LEAD = {"id": "tl-bo", "role": "team_lead"}
CITIZEN = {"id": "citizen", "role": "citizen"}


def _code(code_list: terminology.CodeList, display: str) -> str:
    return code_list.by_display(display).code


@dataclass
class DemoCitizen:
    """A case as a script: the registration, then the commands in order."""

    key: str
    name: str
    cpr: str
    need: str
    reported_by: str
    #: Who registers the need: the citizen or a case officer (whoever reported it, ``reported_by``).
    reporter: dict[str, str]
    life_areas: list[str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    # A command that must be refused (with this rule), tried once before the first step of the given type.
    refused_attempt: tuple[str, dict[str, Any], str] | None = None
    # Seconds to wait in visitation before deciding: longer than the demo's
    # visitation deadline shows a missed deadline being recorded.
    linger_in_visitation: float = 0.0

    def registration(self, case_id: str) -> dict[str, Any]:
        return {
            "type": "register_need",
            "actor": self.reporter,
            "case_id": case_id,
            "citizen": {"cpr": self.cpr, "name": self.name},
            "need": {"description": self.need, "reported_by": self.reported_by, "life_areas": self.life_areas},
        }


def _assessment(
    target_group: str,
    conditions: list[tuple[str, int | None, str]],
    goals: list[tuple[str, str, str, int]],
    support_needs: dict[str, str] | None = None,
    referral_source: str | None = None,
) -> dict:
    support_needs = support_needs or {}
    return {
        "type": "record_assessment",
        "actor": CASEWORKER,
        "target_group": _code(terminology.target_groups(), target_group),
        "referral_source": _code(terminology.fsiii().code_list("Henvendelse/henvisning fra"), referral_source)
        if referral_source
        else None,
        "conditions": [
            {
                "condition": _code(terminology.conditions(), name),
                "severity": severity,
                "citizen_words": words,
                "support_need": _code(terminology.support_need_levels(), support_needs[name])
                if name in support_needs
                else None,
                "experiences_limitations": _code(terminology.fsiii().code_list("Betydning"), "Oplever begrænsninger")
                if words
                else None,
            }
            for name, severity, words in conditions
        ],
        "goals": [
            {
                "in_own_words": words,
                "goal_type": _code(terminology.goal_types(), goal_type),
                "primary_condition": _code(terminology.conditions(), primary),
                "target_severity": target,
            }
            for words, goal_type, primary, target in goals
        ],
    }


def _decision(
    outcome: str, services: list[tuple[str, str, float | None]], reasons: str = "", actor: dict = TEAM_LEAD
) -> dict:
    return {
        "type": "make_decision",
        "actor": actor,
        "outcome": outcome,
        "services": [
            {"service": _code(terminology.services(), name), "legal_basis": basis, "hours_per_week": hours}
            for name, basis, hours in services
        ],
        "reasons": reasons,
    }


def _recommendation(outcome: str, services: list[tuple[str, str, float | None]], reasons: str) -> dict:
    return {**_decision(outcome, services, reasons, actor=CASEWORKER), "type": "recommend_decision"}


# Replaced by the case's id when the demo runs (a consent names its case, Rsl § 11 a).
THIS_CASE = "<this case>"


def _consent_to_obtain(information: list[str], from_whom: list[str]) -> dict:
    return {
        "type": "consent_to_obtain_information",
        "actor": CITIZEN,
        "information": information,
        "from_whom": from_whom,
        "case_id": THIS_CASE,
    }


def _invite(person_id: str, name: str, kind: str, organisation: str, life_area: str) -> dict:
    return {
        "type": "invite_team_member",
        "actor": CASEWORKER,
        "invitee": {
            "person_id": person_id,
            "name": name,
            "kind": kind,
            "organisation": organisation,
            "life_area": life_area,
        },
    }


def _accept(person_id: str, role: str) -> dict:
    return {"type": "answer_invitation", "actor": {"id": person_id, "role": role}, "accept": True}


def _plan(purpose: str, goal: str, measure: str, target: date, activities: list[tuple[str, str]]) -> dict:
    """The plan the caseworker proposes; its goal serves the citizen's first own goal."""
    return {
        "type": "propose_plan",
        "actor": CASEWORKER,
        "plan": {
            "purpose": purpose,
            "goals": [{"description": goal, "measure": measure, "target_date": target.isoformat(), "linked_goal": 1}],
            "activities": [{"description": d, "responsible": who, "expected_weeks": 12} for d, who in activities],
        },
    }


PROPOSE_TEAM = {"type": "propose_team", "actor": CASEWORKER}
ACCEPT_PLAN = {"type": "answer_plan", "actor": CITIZEN, "accept": True, "comment": "Den plan vil jeg gerne prøve"}
START_PILOT = {"type": "start_pilot", "actor": CASEWORKER}


def _observe(person_id: str, role: str, text: str) -> dict:
    return {"type": "record_observation", "actor": {"id": person_id, "role": role}, "text": text}


def _form(items: list[int], version: str, on: date) -> dict:
    return {"version": version, "respondent": "citizen", "answered_on": on.isoformat(), "items": items}


def _services(hours: float, cost_dkk: float, caseworker_hours: float) -> dict:
    return {
        "service_hours_per_week": hours,
        "cost_per_week_dkk": cost_dkk,
        "caseworker_hours_per_week": caseworker_hours,
    }


def _baseline(wemwbs: list[int], self_determination: list[int], services: tuple[float, float, float], on: date) -> dict:
    """WEMWBS (14 items) and SB-6 (6 items) answered by the citizen as the pilot starts, and the services before."""
    return {
        "type": "record_baseline",
        "actor": CASEWORKER,
        "wemwbs": _form(wemwbs, "1.0-da", on),
        "self_determination": _form(self_determination, "1.0", on),
        "services": _services(*services),
    }


def _evaluate(
    wemwbs: list[int],
    self_determination: list[int],
    levels: list[tuple[str, str]],
    goals: list[str],
    services: tuple[float, float, float],
    participation: tuple[int, int, int, int],
    ratings: list[tuple[str, int, str]],
    said: str,
    status: str,
    pilot: str,
    why: str,
    on: date,
) -> dict:
    meetings, with_citizen, decisions, decided_with_citizen = participation
    return {
        "type": "record_evaluation",
        "actor": CASEWORKER,
        "wemwbs": _form(wemwbs, "1.0-da", on),
        "self_determination": _form(self_determination, "1.0", on),
        "function_levels": [
            {"condition": _code(terminology.conditions(), c), "level": _code(terminology.function_levels(), level)}
            for c, level in levels
        ],
        "goals": [{"attainment": attainment} for attainment in goals],
        "services": _services(*services),
        "participation": {
            "meetings_held": meetings,
            "meetings_with_citizen": with_citizen,
            "decisions_taken": decisions,
            "decisions_with_citizen": decided_with_citizen,
            "consent_respected": True,
        },
        "ratings": [{"by": by, "rating": rating, "comment": comment} for by, rating, comment in ratings],
        "citizen_statement": said,
        "follow_up": {"status": _code(terminology.follow_up_decisions(), status), "pilot": pilot, "reasons": why},
    }


CONTINUE = "Træf afgørelse om fortsættelse af indsats"
MODERATE, LIGHT = "Moderat nedsat funktionsevne", "Let nedsat funktionsevne"


OPEN_VISITATION = {"type": "open_visitation", "actor": CASEWORKER}
APPROVE_TEAM = {"type": "approve_team", "actor": CITIZEN, "approve": True, "comment": "Det er mit hold"}


def _declaration(person_id: str) -> dict:
    """The signed tavshedserklæring a volunteer or relative gives before seeing anything (domain/case/consent.py)."""
    return {
        "type": "record_confidentiality_declaration",
        "actor": CASEWORKER,
        "person_id": person_id,
        "signed_on": "2026-01-05",
        "reference": f"Underskrevet tavshedserklæring ({person_id})",
    }


def _consent(person_id: str, categories: list[str], purpose: str, until: date = date(2027, 12, 31)) -> dict:
    return {
        "type": "give_consent",
        "actor": CITIZEN,
        "person_id": person_id,
        "categories": categories,
        "purpose": purpose,
        "valid_until": until.isoformat(),
    }


def _meeting(agenda: str, participants: list[str]) -> dict:
    return {
        "type": "schedule_meeting",
        "actor": CASEWORKER,
        "planned_for": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "agenda": agenda,
        "participants": participants,
    }


def _meeting_held(number: int, attended: list[str], minutes: str) -> dict:
    return {
        "type": "record_meeting",
        "actor": CASEWORKER,
        "meeting_no": number,
        "attended": attended,
        "citizen_present": True,
        "minutes": minutes,
    }


def _complete(summary: str) -> dict:
    return {"type": "complete_pilot", "actor": CASEWORKER, "summary": summary}


def _close(reason: str) -> dict:
    return {"type": "close_case", "actor": CASEWORKER, "reason": reason}


def demo_citizens() -> list[DemoCitizen]:
    jonas = DemoCitizen(
        key="jonas",
        name="Jonas Holm",
        cpr="120399-1235",
        need="Jonas (27) er autist og vil gerne i arbejde, men jobsamtaler bliver for meget for ham",
        reported_by="citizen",
        reporter={"id": "citizen", "role": "citizen"},
        life_areas=["work", "relations"],
        steps=[
            OPEN_VISITATION,
            _assessment(
                "Autismespektrum",
                [
                    ("Varetage beskæftigelse", 3, "Jeg vil gerne arbejde, men ikke med mange mennesker omkring mig"),
                    ("Indgå i samspil og kontakt", 2, "Det er svært at vide, hvad andre forventer"),
                ],
                [("Have et job nogle timer om ugen", "Udvikle funktionsevne", "Varetage beskæftigelse", 1)],
            ),
            _decision("granted", [("Støtte til beskæftigelse", "SEL § 85", 3)]),
            PROPOSE_TEAM,
            _invite("jc-lise", "Lise Madsen", "staff", "Jobcenter Rødovre", "work"),
            _invite("vol-karim", "Karim Nasser", "volunteer", "Ungdommens Røde Kors", "relations"),
            _accept("jc-lise", "staff"),
            _accept("vol-karim", "volunteer"),
            APPROVE_TEAM,
            _declaration("vol-karim"),
            _consent("vol-karim", ["goals", "plan", "observations"], "Mentor i Jonas' praktikforløb"),
            _plan(
                "Jonas prøver et stille praktikforløb med en frivillig mentor ved sin side",
                "Jonas arbejder 6 timer om ugen",
                "timer pr. uge i praktik",
                date(2027, 6, 1),
                [("Finde et stille praktiksted", "jc-lise"), ("Ugentlig gåtur og snak om jobbet", "vol-karim")],
            ),
            ACCEPT_PLAN,
            START_PILOT,
            _baseline([3, 3, 2, 3, 3, 3, 2, 3, 3, 3, 2, 3, 2, 3], [2, 2, 1, 2, 3, 2], (3, 1800, 2), date(2026, 12, 1)),
            _observe("vol-karim", "volunteer", "Jonas kom selv til tiden og fortalte om sine nye kolleger"),
            _complete("Jonas arbejder nu 6 timer om ugen på lageret"),
            _evaluate(
                [4, 3, 3, 4, 4, 3, 4, 4, 3, 4, 3, 4, 3, 4],
                [4, 4, 4, 4, 4, 4],
                [("Varetage beskæftigelse", MODERATE), ("Indgå i samspil og kontakt", MODERATE)],
                ["reached"],
                (2, 1200, 1),
                (5, 5, 4, 4),
                [("citizen", 4, "Karim forstår mig")],
                "Nu bestemmer jeg selv, hvornår jeg møder ind",
                CONTINUE,
                "keep",
                "Målet er nået; praktikken fortsætter med mentor",
                date(2027, 6, 1),
            ),
            _close("Forløbet er evalueret og fortsætter i almindelig drift"),
        ],
    )
    # Starting the pilot before the team is approved must be refused, and the case goes on.
    jonas.refused_attempt = (
        "approve_team",
        _plan("For tidligt", "Et mål", "en måling", date(2027, 1, 1), [("En aktivitet", "citizen")]),
        "pilot.team_not_approved",
    )
    mikkel = DemoCitizen(
        key="mikkel",
        name="Mikkel Sørensen",
        cpr="030591-2347",
        need="Mikkel (34) har muskelsvind og søger BPA for selv at kunne lede sin hjælp",
        reported_by="citizen",
        reporter={"id": "citizen", "role": "citizen"},
        life_areas=["health", "work", "leisure"],
        linger_in_visitation=3.0,
        steps=[
            OPEN_VISITATION,
            {
                "type": "receive_application",
                "actor": CASEWORKER,
                "applied_for": ["SEL § 96"],
                "applied_hours": {"SEL § 96": 60},
            },
            _assessment(
                "Mobilitetsnedsættelse",
                [
                    ("Gå og bevæge sig", 4, "Jeg kan ikke gå, men jeg kan godt bestemme"),
                    ("Vaske sig", 3, ""),
                    ("Varetage beskæftigelse", 1, "Jeg vil beholde mit job som programmør"),
                ],
                [("Selv være arbejdsleder for mine hjælpere", "Fastholde funktionsevne", "Varetage beskæftigelse", 1)],
                support_needs={"Gå og bevæge sig": "Fuldstændigt støttebehov", "Vaske sig": "Højt støttebehov"},
                referral_source="Borger",
            ),
            # Rsl § 11 a: a concrete consent (a blanket one is refused first, see below)
            _consent_to_obtain(["Lægeerklæring om muskelsvind og behov for hjælp om natten"], ["Egen læge"]),
            {
                "type": "record_case_information",
                "actor": CASEWORKER,
                "source": "Egen læge",
                "summary": "Lægeerklæring: behovet for vending om natten kan dækkes af vendeseng og alarm",
            },
            # FVL § 19: the partly granted decision will rest on the doctor's statement
            {"type": "start_hearing", "actor": CASEWORKER, "answer_within_days": 14},
            {
                "type": "answer_hearing",
                "actor": CITIZEN,
                "answer": "Vendesengen kan ikke erstatte en hjælper, når jeg skal på toilettet om natten",
            },
            {
                "type": "record_citizens_choice",
                "actor": CITIZEN,
                "option": "bpa",
                "employer": {"kind": "relative", "name": "Sofie Sørensen"},
                "citizen_is_work_leader": True,
                "in_own_words": "Jeg vil selv lede mine hjælpere; min søster Sofie er arbejdsgiver",
            },
            _recommendation(
                "partly_granted",
                [("Støtte til daglige opgaver i hjemmet", "SEL § 96", 40)],
                "Der er bevilget 40 timer om ugen af de ansøgte 60, fordi behovet om natten efter lægeerklæringen "
                "dækkes af vendeseng og alarm",
            ),
            {"type": "review_recommendation", "actor": TEAM_LEAD, "approve": True, "comment": "Godkendt"},
            # the caseworker decides on the approved recommendation
            _decision(
                "partly_granted",
                [("Støtte til daglige opgaver i hjemmet", "SEL § 96", 40)],
                "Der er bevilget 40 timer om ugen af de ansøgte 60, fordi behovet om natten efter lægeerklæringen "
                "dækkes af vendeseng og alarm",
                actor=CASEWORKER,
            ),
            # Rsl §§ 66-67: the appeal, reconsidered and upheld, goes to Ankestyrelsen
            {
                "type": "lodge_appeal",
                "actor": CITIZEN,
                "complaint": "Jeg har brug for hjælp om natten; 40 timer er ikke nok",
            },
            {
                "type": "reconsider",
                "actor": TEAM_LEAD,
                "outcome": "upheld",
                "reasons": "Lægeerklæringen viser, at behovet om natten dækkes af hjælpemidler; afgørelsen fastholdes",
            },
            PROPOSE_TEAM,
            _invite("hc-nina", "Nina Berg", "staff", "Handicapafdelingen", "health"),
            _invite("rel-sofie", "Sofie Sørensen", "relative", "Søster", "relations"),
            _accept("hc-nina", "staff"),
            _accept("rel-sofie", "relative"),
            APPROVE_TEAM,
            _declaration("rel-sofie"),
            _consent("rel-sofie", ["plan", "decision", "observations"], "Sofie er arbejdsgiver i BPA-ordningen"),
            _plan(
                "Mikkel er arbejdsleder; søsteren Sofie er arbejdsgiver i de første 6 måneder",
                "Mikkel passer sit job og sin fritid med sine egne hjælpere",
                "antal dage med hjælp til tiden",
                date(2027, 9, 1),
                [("Ansætte hjælpere", "citizen"), ("Opfølgning på timeforbrug", "hc-nina")],
            ),
            ACCEPT_PLAN,
            START_PILOT,
            _baseline(
                [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2], [1, 1, 1, 2, 2, 2], (45, 22000, 3), date(2026, 12, 1)
            ),
            _observe("rel-sofie", "relative", "Hjælperne møder stabilt; Mikkel har planlagt ferien selv"),
            _complete("Ordningen kører; timeforbruget svarer til bevillingen"),
            _evaluate(
                [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3],
                [5, 5, 4, 4, 4, 5],
                [
                    ("Gå og bevæge sig", "Fuldstændig nedsat funktionsevne"),
                    ("Vaske sig", "Svært nedsat funktionsevne"),
                    ("Varetage beskæftigelse", LIGHT),
                ],
                ["reached"],
                (40, 19500, 1),
                (6, 6, 5, 5),
                [("citizen", 5, "Jeg vælger selv mine hjælpere"), ("relative", 4, "Meget papirarbejde i starten")],
                "Jeg har fået mit liv tilbage",
                CONTINUE,
                "scale",
                "Modellen bør tilbydes flere borgere med BPA",
                date(2027, 9, 1),
            ),
            _close("Evalueret; BPA fortsætter"),
        ],
    )
    else_ = DemoCitizen(
        key="else",
        name="Else Jensen",
        cpr="170868-1940",
        need="En besøgsven har set, at Else sidder alene det meste af ugen og ikke kommer ud",
        reported_by="volunteer",
        # a volunteer does not open cases (RegisterNeed.roles): Maria told the caseworker, who registers it
        reporter=CASEWORKER,
        life_areas=["relations", "leisure"],
        steps=[
            OPEN_VISITATION,
            _assessment(
                "Social isolation",
                [
                    ("Deltage i sociale fællesskaber og fritidsaktiviteter", 3, "Jeg savner nogen at drikke kaffe med"),
                    ("Varetage relationer til netværk", 2, ""),
                ],
                [
                    (
                        "Komme ud blandt andre en gang om ugen",
                        "Udvikle funktionsevne",
                        "Deltage i sociale fællesskaber og fritidsaktiviteter",
                        2,
                    )
                ],
            ),
            _decision(
                "granted",
                [("Gruppebaseret hjælp og støtte etableret i samarbejde med frivillige", "SEL § 82a", 2)],
            ),
            PROPOSE_TEAM,
            _invite("vol-maria", "Maria Holt", "volunteer", "Ældre Sagen Rødovre", "relations"),
            _invite("sp-ole", "Ole Krag", "staff", "Socialpsykiatrien", "health"),
            _accept("vol-maria", "volunteer"),
            _accept("sp-ole", "staff"),
            APPROVE_TEAM,
            _declaration("vol-maria"),
            _consent("vol-maria", ["goals", "plan", "observations", "meeting_notes"], "Besøgsven i cafe-piloten"),
            _plan(
                "Else, Maria og Ole mødes sammen i cafeen hver tirsdag: et fælles tredje",
                "Else deltager selv i cafeen hver uge",
                "antal tirsdage med deltagelse",
                date(2027, 4, 1),
                [("Følges til cafeen de første gange", "vol-maria"), ("Samtale om trivsel hver anden uge", "sp-ole")],
            ),
            ACCEPT_PLAN,
            START_PILOT,
            _baseline([2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3], [3, 2, 2, 3, 3, 2], (2, 900, 1.5), date(2026, 12, 1)),
            _meeting("Første tirsdag i cafeen: hvad vil Else gerne?", ["vol-maria", "sp-ole"]),
            _meeting_held(
                1,
                ["citizen", "vol-maria", "sp-ole"],
                "Else valgte selv strikkeklubben; Maria følger hende de første gange",
            ),
            _observe("vol-maria", "volunteer", "Else kom selv i cafeen i dag og tog en veninde med"),
            _observe("sp-ole", "staff", "Else sover bedre og er mere åben i samtalerne"),
            _complete("Else kommer nu selv i cafeen hver uge"),
            _evaluate(
                [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4],
                [4, 3, 3, 4, 4, 3],
                [
                    ("Deltage i sociale fællesskaber og fritidsaktiviteter", MODERATE),
                    ("Varetage relationer til netværk", LIGHT),
                ],
                ["partly"],
                (2, 700, 1),
                (3, 2, 2, 2),
                [("citizen", 5, "")],
                "Tirsdag er ugens bedste dag",
                CONTINUE,
                "adjust",
                "Flere dage om ugen ønskes; målet er delvist nået",
                date(2027, 4, 1),
            ),
            _close("Evalueret; tilbuddet justeres til to dage om ugen"),
        ],
    )
    # A blanket consent to collect information is refused (Rsl § 11 a), and the case goes on.
    mikkel.refused_attempt = (
        "consent_to_obtain_information",
        _consent_to_obtain(["Alle relevante oplysninger"], ["Alle relevante myndigheder"]),
        "consent.blanket",
    )
    return [jonas, mikkel, else_]
