"""Commands for one citizen's case, as the tests and the demo's checks use them.

Codes come from the KL terminology by their Danish names, never retyped."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain import terminology

CASEWORKER = {"id": "cw-anne", "role": "caseworker"}
CITIZEN = {"id": "citizen", "role": "citizen"}
VOLUNTEER = {"id": "vol-karim", "role": "volunteer"}
STAFF = {"id": "jc-lise", "role": "staff"}
# The team lead decides directly (four eyes: the caseworker made the assessment).
TEAM_LEAD = {"id": "tl-bo", "role": "team_lead"}


def code(code_list, display: str) -> str:
    return code_list.by_display(display).code


def register(case_id: str, **overrides: Any) -> dict:
    return {
        "type": "register_need",
        "actor": CASEWORKER,
        "case_id": case_id,
        "citizen": {"cpr": "0412981234", "name": "Jonas Holm"},
        "need": {
            "description": "Jonas (27, autism spectrum) wants a job and fewer lonely evenings",
            "reported_by": "caseworker",
            "life_areas": ["work", "relations"],
        },
        **overrides,
    }


def assessment() -> dict:
    return {
        "type": "record_assessment",
        "actor": CASEWORKER,
        "target_group": code(terminology.target_groups(), "Social isolation"),
        "conditions": [
            {
                "condition": code(terminology.conditions(), "Varetage beskæftigelse"),
                "severity": 3,
                "citizen_words": "Jeg vil gerne have et arbejde, men jobsamtaler er for meget",
            },
            {
                "condition": code(terminology.conditions(), "Deltage i sociale fællesskaber og fritidsaktiviteter"),
                "severity": 2,
            },
        ],
        "goals": [
            {
                "in_own_words": "Have et job nogle timer om ugen",
                "goal_type": code(terminology.goal_types(), "Udvikle funktionsevne"),
            }
        ],
    }


def decision(outcome: str = "granted", reasons: str = "") -> dict:
    services = (
        []
        if outcome == "refused"
        else [
            {
                "service": code(terminology.services(), "Støtte til beskæftigelse"),
                "legal_basis": "SEL § 85",
                "hours_per_week": 3,
            }
        ]
    )
    data = {"type": "make_decision", "actor": TEAM_LEAD, "outcome": outcome, "services": services, "reasons": reasons}
    if outcome == "refused":
        data["rests_on"] = ["SEL § 85"]  # FVL § 24: a refusal names the rule it rests on
    return data


def heard() -> list[dict]:
    """FVL § 19: the citizen is heard on the assessment, and answers."""
    return [
        {"type": "start_hearing", "actor": CASEWORKER, "answer_within_days": 14},
        {"type": "answer_hearing", "actor": CITIZEN, "answer": "Jeg er enig i vurderingen"},
    ]


def invite(person: dict, name: str, kind: str, organisation: str) -> dict:
    return {
        "type": "invite_team_member",
        "actor": CASEWORKER,
        "invitee": {"person_id": person["id"], "name": name, "kind": kind, "organisation": organisation},
    }


def answer(person: dict, accept: bool = True, reason: str = "") -> dict:
    return {"type": "answer_invitation", "actor": person, "accept": accept, "reason": reason}


def approve_team() -> dict:
    return {"type": "approve_team", "actor": CITIZEN, "approve": True}


def propose_plan(responsible: str = "vol-karim", linked_goal: int = 1, target: date = date(2035, 6, 1)) -> dict:
    return {
        "type": "propose_plan",
        "actor": CASEWORKER,
        "plan": {
            "purpose": "Jonas prøver et praktikforløb med en frivillig mentor",
            "goals": [
                {
                    "description": "Arbejde 6 timer om ugen",
                    "measure": "timer pr. uge i praktik",
                    "target_date": target.isoformat(),
                    "linked_goal": linked_goal,
                }
            ],
            "activities": [
                {"description": "Ugentlig gåtur og snak om jobbet", "responsible": responsible, "expected_weeks": 12}
            ],
        },
    }


def accept_plan(accept: bool = True, comment: str = "") -> dict:
    return {"type": "answer_plan", "actor": CITIZEN, "accept": accept, "comment": comment}


def start_pilot() -> dict:
    return {"type": "start_pilot", "actor": CASEWORKER}


def schedule_meeting(planned_for: str = "2035-01-15T10:00:00+00:00", participants=("vol-karim", "jc-lise")) -> dict:
    return {
        "type": "schedule_meeting",
        "actor": CASEWORKER,
        "planned_for": planned_for,
        "agenda": "Hvordan går praktikken?",
        "participants": list(participants),
    }


def record_meeting(
    meeting_no: int = 1, citizen_present: bool = True, attended=("citizen", "vol-karim", "cw-anne")
) -> dict:
    return {
        "type": "record_meeting",
        "actor": CASEWORKER,
        "meeting_no": meeting_no,
        "attended": list(attended),
        "citizen_present": citizen_present,
        "minutes": "Jonas fortalte selv om sin uge; vi aftalte at prøve to dage mere",
    }


def consent(person: dict, categories=("goals", "plan", "observations"), valid_until: str = "2035-12-31") -> dict:
    return {
        "type": "give_consent",
        "actor": CITIZEN,
        "person_id": person["id"],
        "categories": list(categories),
        "purpose": "Mentorforløb i piloten: mål, plan og observationer",
        "valid_until": valid_until,
    }


def declaration(person: dict, signed_on: str = "2026-01-05") -> dict:
    """The volunteer's or relative's signed tavshedserklæring, recorded by the caseworker."""
    return {
        "type": "record_confidentiality_declaration",
        "actor": CASEWORKER,
        "person_id": person["id"],
        "signed_on": signed_on,
        "reference": f"Tavshedserklæring, {person['id']}",
    }


def revoke(person: dict) -> dict:
    return {"type": "revoke_consent", "actor": CITIZEN, "person_id": person["id"], "reason": "Jeg har skiftet mening"}


def observation(person: dict, text: str = "Jonas kom selv til tiden i dag") -> dict:
    return {"type": "record_observation", "actor": person, "text": text}


def complete_pilot() -> dict:
    return {"type": "complete_pilot", "actor": CASEWORKER, "summary": "Jonas arbejder nu 6 timer om ugen"}


def answers(items, version: str = "1.0-da", respondent: str = "citizen", on: str = "2027-01-10") -> dict:
    """One completed form (WEMWBS by default); ``items`` in item order."""
    return {"version": version, "respondent": respondent, "answered_on": on, "items": list(items)}


def baseline() -> dict:
    """The baseline as the pilot starts: WEMWBS 40, SB-6 14, the services before."""
    return {
        "type": "record_baseline",
        "actor": CASEWORKER,
        "wemwbs": answers([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2]),
        "self_determination": answers([2, 2, 3, 2, 3, 2], version="1.0"),
        "services": {"service_hours_per_week": 3, "cost_per_week_dkk": 1500, "caseworker_hours_per_week": 2},
    }


def evaluation() -> dict:
    """The evaluation at pilot end: WEMWBS 52, SB-6 24, employment one level better, the goal reached."""
    return {
        "type": "record_evaluation",
        "actor": CASEWORKER,
        "wemwbs": answers([4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3], on="2027-06-01"),
        "self_determination": answers([4, 4, 4, 4, 4, 4], version="1.0", on="2027-06-01"),
        "function_levels": [
            {
                "condition": code(terminology.conditions(), "Varetage beskæftigelse"),
                "level": code(terminology.function_levels(), "Moderat nedsat funktionsevne"),
            },
            {
                "condition": code(terminology.conditions(), "Deltage i sociale fællesskaber og fritidsaktiviteter"),
                "level": code(terminology.function_levels(), "Moderat nedsat funktionsevne"),
            },
        ],
        "goals": [{"attainment": "reached"}],
        "services": {"service_hours_per_week": 3, "cost_per_week_dkk": 1200, "caseworker_hours_per_week": 1},
        "participation": {
            "meetings_held": 4,
            "meetings_with_citizen": 4,
            "decisions_taken": 3,
            "decisions_with_citizen": 3,
            "consent_respected": True,
        },
        "ratings": [{"by": "citizen", "rating": 5, "comment": "Karim lytter"}],
        "citizen_statement": "Jeg bestemmer mere selv nu",
        "follow_up": {
            "status": code(terminology.follow_up_decisions(), "Træf afgørelse om fortsættelse af indsats"),
            "pilot": "keep",
            "reasons": "Målet er nået, og Jonas vil fortsætte",
        },
    }


def lodge_appeal(complaint: str = "Jeg har brug for flere timer") -> dict:
    return {"type": "lodge_appeal", "actor": CITIZEN, "complaint": complaint}


def reconsider(outcome: str = "upheld", reasons: str = "Afgørelsen fastholdes efter genvurdering") -> dict:
    return {"type": "reconsider", "actor": TEAM_LEAD, "outcome": outcome, "reasons": reasons}


def close() -> dict:
    return {"type": "close_case", "actor": CASEWORKER, "reason": "Forløbet er evalueret"}


def full_lifecycle_after_registration() -> list[dict]:
    """Every command from visitation to closing, for the happy path."""
    return [
        {"type": "open_visitation", "actor": CASEWORKER},
        assessment(),
        decision(),
        invite(VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
        invite(STAFF, "Lise", "staff", "Jobcenter"),
        answer(VOLUNTEER),
        answer(STAFF),
        approve_team(),
        consent(VOLUNTEER),
        propose_plan(),
        accept_plan(),
        start_pilot(),
        observation(VOLUNTEER),
        complete_pilot(),
        evaluation(),
        close(),
    ]


DEADLINE = timedelta(days=1)
