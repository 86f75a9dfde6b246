"""Representatives (forvaltningslovens § 8): given/when/then, the refusal and the lawful case.

Source checked: FVL § 8, stk. 1 (retsinformation's text as quoted by danskelove.dk):
"Den, der er part i en sag, kan på ethvert tidspunkt af sagens behandling lade sig
repræsentere eller bistå af andre"; Folketingets Ombudsmand, myndighedsguiden,
overblik #6 (a bisidder takes over none of the party's rights)."""

from __future__ import annotations

from datetime import datetime

from domain.access import Action, Subject, may
from domain.messages import Role
from tests.domain.test_visitation_rules import CITIZEN, CW, NOW, after, assessed, refused

ADVOKAT = {"id": "adv-ida", "role": "representative"}
REQUEST = {"type": "request_to_comment", "actor": ADVOKAT, "fuldmagt": 1}


def fuldmagt(kind="partsrepraesentant", scope=("request_to_comment",), until=None, person_id="adv-ida"):
    return {"type": "record_representative", "actor": CW, "person_id": person_id, "name": "Ida Advokat", "kind": kind,
            "scope": list(scope), "valid_from": "2026-11-01", "valid_until": until}  # fmt: skip


def test_a_partsrepraesentant_acts_for_the_citizen_within_the_fuldmagt():
    """FVL § 8, stk. 1: the party may be represented at any stage; the events name who acted."""
    state = after(assessed(heard=False), fuldmagt())
    state = after(state, REQUEST)
    assert state.visitation.comment_request is not None
    assert state.representatives[1].scope == ("request_to_comment",)


def test_a_command_outside_the_fuldmagts_scope_is_refused():
    """FVL § 8: the representative acts within the fuldmagt given (vejledning om forvaltningsloven pkt. 40)."""
    state = after(assessed(heard=False), fuldmagt(scope=("submit_comment",)))
    error = refused(state, REQUEST)
    assert error.rule == "representative.out_of_scope" and "forvaltningslovens § 8" in error.message


def test_a_fuldmagt_out_of_its_period_or_ended_is_refused():
    """FVL § 8: a fuldmagt for a period covers only that period."""
    state = after(assessed(heard=False), fuldmagt(until="2026-11-20"))
    assert refused(state, REQUEST).rule == "representative.out_of_period"
    ended = after(assessed(heard=False), fuldmagt(), {"type": "end_representation", "actor": CITIZEN, "number": 1})
    assert refused(ended, REQUEST).rule == "representative.out_of_period"


def test_a_representative_names_their_own_fuldmagt():
    state = after(assessed(heard=False), fuldmagt(person_id="adv-other"))
    assert refused(state, REQUEST).rule == "representative.not_yours"
    assert refused(state, {**REQUEST, "fuldmagt": None}).rule == "representative.no_fuldmagt"


def test_a_bisidder_has_no_fuldmagt_and_no_access():
    """Ombudsmanden, myndighedsguiden #6: a bisidder takes over none of the party's rights."""
    error = refused(assessed(), fuldmagt(kind="bisidder"))
    assert error.rule == "representative.bisidder_has_no_scope" and "§ 8" in error.message
    state = after(assessed(), fuldmagt(kind="bisidder", scope=()))
    who = Subject("adv-ida", Role.REPRESENTATIVE, "0101")
    assert not may(who, Action.READ_CASE, state=state, at=NOW)


def test_the_citizens_own_say_is_never_in_a_fuldmagt():
    """samskab's own choice (not FVL § 8): consent, the team and the plan stay the citizen's."""
    assert refused(assessed(), fuldmagt(scope=("give_consent",))).rule == "representative.scope_not_allowed"


def test_access_follows_the_fuldmagt_in_force():
    """FVL § 8: the representative reads as the party does while the fuldmagt is in force."""
    state = after(assessed(), fuldmagt(until="2026-12-31"))
    who = Subject("adv-ida", Role.REPRESENTATIVE, "0101")
    assert may(who, Action.READ_CASE, state=state, at=NOW)
    assert may(who, Action.ACT, state=state, at=NOW, command_type="request_to_comment")
    assert not may(who, Action.ACT, state=state, at=NOW, command_type="submit_comment")
    assert not may(who, Action.READ_CASE, state=state, at=datetime(2027, 1, 2, tzinfo=NOW.tzinfo))
    assert not may(Subject("adv-x", Role.REPRESENTATIVE, "0101"), Action.READ_CASE, state=state, at=NOW)


# -- need-to-know: the unit a case belongs to -------------------------------------------


def test_a_case_officer_of_another_unit_is_refused_and_one_of_the_same_unit_or_no_unit_let_through():
    """GDPR art. 5, stk. 1, litra c, art. 25 and 32 (need-to-know); the unit itself is the municipality's data."""
    state = after(assessed(), {"type": "assign_unit", "actor": CW, "unit": "unit-a"})
    assert state.unit == "unit-a"
    other = may(Subject("cw-bent", Role.CASEWORKER, "0101", unit="unit-b"), Action.READ_CASE, state=state, at=NOW)
    assert not other and "unit unit-a" in other.reason and "art. 5" in other.reason
    assert not may(Subject("cw-bent", Role.CASEWORKER, "0101", unit="unit-b"), Action.ACT, state=state, at=NOW,
                   command_type="record_case_information")  # fmt: skip
    assert may(Subject("cw-alma", Role.CASEWORKER, "0101", unit="unit-a"), Action.READ_CASE, state=state, at=NOW)
    assert may(Subject("cw-bent", Role.CASEWORKER, "0101", unit="unit-b"), Action.READ_CASE, state=assessed(), at=NOW)
    assert refused(state, {"type": "assign_unit", "actor": CW, "unit": "unit-b"}).rule == "unit.move_needs_reason"


# -- health information as a separate category ------------------------------------------


def test_staff_on_the_team_see_the_assessment_without_health_conditions():
    """GDPR art. 9 (health data) and art. 5, stk. 1, litra c: staff read what their part of the plan needs."""
    from domain.access import Decision, visible_payload, visible_state

    assessment = {"conditions": [{"condition": {"display": "Hukommelse"}, "area": {"display": "Mentale funktioner"}},
                                 {"condition": {"display": "Arbejde"}, "area": {"display": "Samfundsliv"}}]}  # fmt: skip
    staff = Decision(True, "staff", None, health=False)
    shown = visible_state(staff, {"case_id": "c", "assessment": assessment})
    assert [c["area"]["display"] for c in shown["assessment"]["conditions"]] == ["Samfundsliv"]
    assert len(visible_payload(staff, "assessment_recorded", assessment)["conditions"]) == 1
    officer = Decision(True, "caseworker")
    assert len(visible_state(officer, {"assessment": assessment})["assessment"]["conditions"]) == 2
    staff_state = after(assessed(), {"type": "assign_unit", "actor": CW, "unit": "unit-a"})
    assert not may(Subject("jc-lise", Role.STAFF, "0101"), Action.READ_CASE, state=staff_state, at=NOW)
