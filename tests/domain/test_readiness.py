"""The actions a page offers are those the case can take now: each command ``waiting_for`` holds
back is refused by its decider with exactly the rule it names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.case.decider import ALLOWED, command_adapter, decide, fold
from domain.errors import DomainError
from domain.messages import Role
from domain.readiness import waiting_for
from tests import scenario

AT = datetime(2026, 3, 1, 12, tzinfo=UTC)
#: A valid-looking command of each type the tests try, so only the case's state can refuse it.
SAMPLES = {
    # a full grant: no hearing needed (FVL § 19) and no rules to name (§ 24), so only the case's state can refuse it
    "recommend_decision": {"outcome": "granted", "services": scenario.decision()["services"], "reasons": ""},
    "review_recommendation": {"approve": True, "actor": {"id": "tl-bo", "role": "team_lead"}},
    "make_decision": {"outcome": "granted", "services": scenario.decision()["services"], "reasons": ""},
    "answer_hearing": {"answer": "Svar", "actor": scenario.CITIZEN},
    "approve_team": {"approve": True, "actor": scenario.CITIZEN},
    "propose_plan": {k: v for k, v in scenario.propose_plan().items() if k != "type"},
    "answer_plan": {"accept": True, "actor": scenario.CITIZEN},
    "start_pilot": {},
    "give_consent": {k: v for k, v in scenario.consent(scenario.VOLUNTEER).items() if k != "type"},
    "revoke_consent": {"person_id": "vol-karim", "actor": scenario.CITIZEN},
    "change_team": {"person_id": "vol-karim", "reason": "Flyttet"},
    "record_meeting": {k: v for k, v in scenario.record_meeting().items() if k != "type"},
}


def _events(commands):
    state = fold([])
    events = []
    for c in commands:
        command = command_adapter.validate_python({**c, "at": AT})
        new = decide(state, command)
        events += new
        state = fold(new, state)
    return state


STATES = {
    "need": [scenario.register("K-1")],
    "visitation": [scenario.register("K-1"), {"type": "open_visitation", "actor": scenario.CASEWORKER}],
    "assessed": [scenario.register("K-1"), {"type": "open_visitation", "actor": scenario.CASEWORKER}, scenario.assessment()],
    "team": [scenario.register("K-1"), {"type": "open_visitation", "actor": scenario.CASEWORKER}, scenario.assessment(),
             scenario.decision()],
}  # fmt: skip


@pytest.mark.parametrize("name", list(STATES))
def test_every_command_held_back_is_refused_by_the_rule_it_names(name):
    state = _events(STATES[name])
    waits = waiting_for(state, person_id=scenario.CASEWORKER["id"], role=Role.CASEWORKER)
    allowed = {c.model_fields["type"].default for c in ALLOWED[state.phase]}
    tried = 0
    for command_type, rule in waits.items():
        if command_type not in allowed or command_type not in SAMPLES:
            continue
        data = {"type": command_type, "actor": scenario.CASEWORKER, **SAMPLES[command_type], "at": AT}
        with pytest.raises(DomainError) as refused:
            decide(state, command_adapter.validate_python(data))
        assert refused.value.rule == rule, (command_type, refused.value)
        tried += 1
    assert tried >= 1 or name == "need"
