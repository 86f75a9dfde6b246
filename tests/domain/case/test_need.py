"""The case as a whole: every command is stamped with its time, is one the case's
phase allows (a refusal says which are), and each event is one version of the case;
the case belongs to one unit at a time (need-to-know: GDPR art. 5, stk. 1, litra c,
and art. 25; domain/case/units.py). The need is registered for a valid CPR number."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.case.decider import command_adapter
from domain.phases import Phase
from tests import scenario
from tests.domain.case.histories import CASE_ID, CASEWORKER, VOLUNTEER, closed, registered
from tests.domain.gwt import CASE, NOW, Accepted, Refusal, rule_id


def assign(unit: str, reason: str = "") -> dict:
    return {"type": "assign_unit", "actor": CASEWORKER, "unit": unit, "reason": reason}


RULES = [
    # The workflow stamps each command with its own clock before deciding: a
    # command without a time would be decided on no clock at all.
    Refusal("case.unstamped", given=[], when=scenario.register(CASE_ID), at=None, field="at"),
    # a command out of phase names the phase the case is in and what it allows now
    Refusal("case.wrong_phase", given=registered(), when=scenario.start_pilot(), field="type", says="need phase"),
    Refusal("case.wrong_phase", given=registered(), when=scenario.start_pilot(), says="Allowed now: Open visitation, "),
    Refusal("case.wrong_phase", given=registered(), when=scenario.start_pilot(), says="Close case"),
    Refusal(
        "case.wrong_phase", given=closed(), when=scenario.observation(VOLUNTEER), says="nothing (the case is closed)"
    ),
    Refusal(
        "unit.unchanged",
        given=[*registered(), assign("jobcenter-nord")],
        when=assign("jobcenter-nord", reason="Borgeren er flyttet"),
        field="unit",
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule):
    rule.check(CASE)


ACCEPTED = [
    Accepted("register_need", given=[], when=scenario.register(CASE_ID), then=["need_registered"]),
    Accepted(
        "unit.moved_with_reason",
        given=[*registered(), assign("jobcenter-nord")],
        when=assign("jobcenter-syd", reason="Borgeren er flyttet"),
        then=["unit_assigned"],
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=rule_id)
def test_accepted(case):
    case.check(CASE)


def test_a_case_closes_after_its_whole_course_with_one_version_per_event():
    state, events = CASE.history(closed(), NOW)
    assert state.phase is Phase.CLOSED
    assert state.version == len(events)
    assert state.evaluation is not None and state.evaluation.citizen_statement == "Jeg bestemmer mere selv nu"


def test_a_bad_cpr_number_is_refused_by_the_model():
    data = scenario.register(CASE_ID)
    data["citizen"]["cpr"] = "3213991234"
    with pytest.raises(ValidationError) as error:
        command_adapter.validate_python(data)
    assert "CPR" in str(error.value)
