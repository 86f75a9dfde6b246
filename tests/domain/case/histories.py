"""One citizen's case, step by named step: the givens of the case's rule tests.

Each function is the whole history up to that step (every command accepted), so
a rule test reads ``given=team_approved()`` instead of counting steps into the
scenario."""

from __future__ import annotations

from tests import scenario
from tests.scenario import CASEWORKER, CITIZEN, STAFF, TEAM_LEAD, VOLUNTEER

CASE_ID = "case-1"
SYSTEM = {"id": "samskab", "role": "system"}
#: Someone the case does not know: not invited, not on the team.
STRANGER = {"id": "vol-ukendt", "role": "volunteer"}

OPEN_VISITATION = {"type": "open_visitation", "actor": CASEWORKER}

__all__ = ["CASEWORKER", "CITIZEN", "STAFF", "STRANGER", "SYSTEM", "TEAM_LEAD", "VOLUNTEER"]


def registered() -> list[dict]:
    return [scenario.register(CASE_ID)]


def in_visitation() -> list[dict]:
    return [*registered(), OPEN_VISITATION]


def application(*bases: str) -> dict:
    return {"type": "receive_application", "actor": CASEWORKER, "applied_for": list(bases or ("SEL § 85",))}


def applied() -> list[dict]:
    """In visitation with one application pending (SEL § 85, the service the scenario grants)."""
    return [*in_visitation(), application("SEL § 85")]


def assessed() -> list[dict]:
    return [*in_visitation(), scenario.assessment()]


def heard() -> list[dict]:
    """Assessed, and the citizen heard on the assessment (FVL § 19)."""
    return [*assessed(), *scenario.heard()]


def decided() -> list[dict]:
    """Granted by the team lead (four eyes: the caseworker assessed); the case is in the team phase."""
    return [*heard(), scenario.decision()]


def invited() -> list[dict]:
    return [
        *decided(),
        scenario.invite(VOLUNTEER, "Karim", "volunteer", "Røde Kors"),
        scenario.invite(STAFF, "Lise", "staff", "Jobcenter"),
    ]


def joined() -> list[dict]:
    """Both invited have joined; the citizen has not approved the team yet."""
    return [*invited(), scenario.answer(VOLUNTEER), scenario.answer(STAFF)]


def team_approved() -> list[dict]:
    return [*joined(), scenario.approve_team()]


def consented() -> list[dict]:
    """The team approved, and the citizen's consent given to the volunteer (Karim)."""
    return [*team_approved(), scenario.consent(VOLUNTEER)]


def plan_proposed() -> list[dict]:
    return [*consented(), scenario.propose_plan()]


def plan_accepted() -> list[dict]:
    return [*plan_proposed(), scenario.accept_plan()]


def in_pilot() -> list[dict]:
    return [*plan_accepted(), scenario.start_pilot()]


def in_pilot_without_consent() -> list[dict]:
    """In the pilot, the citizen having given no one a consent."""
    return [*team_approved(), scenario.propose_plan(), scenario.accept_plan(), scenario.start_pilot()]


def observed() -> list[dict]:
    """In the pilot, and the volunteer (with the citizen's consent) has recorded an observation."""
    return [*in_pilot(), scenario.observation(VOLUNTEER)]


def meeting_scheduled() -> list[dict]:
    """In the pilot with joint meeting 1 planned."""
    return [*in_pilot(), scenario.schedule_meeting()]


def pilot_completed() -> list[dict]:
    """The case is in the evaluation phase."""
    return [*observed(), scenario.complete_pilot()]


def evaluated() -> list[dict]:
    return [*pilot_completed(), scenario.evaluation()]


def closed() -> list[dict]:
    """The whole case: evaluated, then closed."""
    return [*evaluated(), scenario.close()]


def decide_on_help(choice: str, reasons: str = "") -> dict:
    return {"type": "decide_on_help", "actor": CASEWORKER, "choice": choice, "reasons": reasons}


def follow_up(result: str = "continue") -> dict:
    return {
        "type": "record_follow_up",
        "actor": CASEWORKER,
        "result": result,
        "notes": "Jonas arbejder stadig 6 timer om ugen",
        "citizen_took_part": True,
    }


def in_follow_up() -> list[dict]:
    """The help goes on after the evaluation (SEL § 148): the case is in follow-up."""
    return [*evaluated(), decide_on_help("continue")]


def help_stopped() -> list[dict]:
    """A follow-up found the help should stop, and it was decided so; the case is still in follow-up."""
    return [*in_follow_up(), follow_up("stop"), decide_on_help("stop", "Målet er nået, og Jonas klarer sig selv")]
