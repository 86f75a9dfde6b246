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
            {"condition": code(terminology.conditions(), "Deltage i sociale fællesskaber og fritidsaktiviteter"), "severity": 2},
        ],
        "goals": [
            {
                "in_own_words": "Have et job nogle timer om ugen",
                "goal_type": code(terminology.goal_types(), "Udvikle funktionsevne"),
            }
        ],
    }


def decision(outcome: str = "granted", reasons: str = "") -> dict:
    services = [] if outcome == "refused" else [
        {"service": code(terminology.services(), "Støtte til beskæftigelse"), "legal_basis": "SEL § 85", "hours_per_week": 3}
    ]
    return {"type": "make_decision", "actor": CASEWORKER, "outcome": outcome, "services": services, "reasons": reasons}


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


def start_pilot(responsible: str = "vol-karim") -> dict:
    return {
        "type": "start_pilot",
        "actor": CASEWORKER,
        "plan": {
            "purpose": "Jonas prøver et praktikforløb med en frivillig mentor",
            "goals": [
                {
                    "description": "Arbejde 6 timer om ugen",
                    "measure": "timer pr. uge i praktik",
                    "target_date": (date(2027, 6, 1)).isoformat(),
                }
            ],
            "activities": [{"description": "Ugentlig gåtur og snak om jobbet", "responsible": responsible}],
        },
    }


def consent(person: dict, categories=("goals", "plan", "observations"), valid_until: str = "2027-12-31") -> dict:
    return {
        "type": "give_consent",
        "actor": CITIZEN,
        "person_id": person["id"],
        "categories": list(categories),
        "purpose": "Mentorforløb i piloten: mål, plan og observationer",
        "valid_until": valid_until,
    }


def revoke(person: dict) -> dict:
    return {"type": "revoke_consent", "actor": CITIZEN, "person_id": person["id"], "reason": "Jeg har skiftet mening"}


def observation(person: dict, text: str = "Jonas kom selv til tiden i dag") -> dict:
    return {"type": "record_observation", "actor": person, "text": text}


def complete_pilot() -> dict:
    return {"type": "complete_pilot", "actor": CASEWORKER, "summary": "Jonas arbejder nu 6 timer om ugen"}


def evaluation() -> dict:
    return {
        "type": "record_evaluation",
        "actor": CASEWORKER,
        "value_domains": {"productivity": 4, "effects": 4, "democracy": 5, "service_experience": 4},
        "quality_of_life": {"before": 4, "after": 7},
        "self_determination": {"before": 3, "after": 7},
        "citizen_statement": "Jeg bestemmer mere selv nu",
        "recommendation": "continue",
        "reasons": "Målet er nået, og Jonas vil fortsætte",
    }


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
        start_pilot(),
        observation(VOLUNTEER),
        complete_pilot(),
        evaluation(),
        close(),
    ]


DEADLINE = timedelta(days=1)
