"""Random command sequences never break the decider's invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.case.decider import ALLOWED, CaseState, command_adapter, decide, evolve, fold, initial_state
from domain.case.team import InvitationStatus
from domain.errors import DomainError
from domain.phases import Phase
from tests import scenario

ORDER = [
    Phase.NEW,
    Phase.NEED,
    Phase.VISITATION,
    Phase.TEAM,
    Phase.PILOT,
    Phase.EVALUATION,
    Phase.FOLLOW_UP,
    Phase.CLOSED,
]
ACTORS = [scenario.CASEWORKER, scenario.CITIZEN, scenario.VOLUNTEER, scenario.STAFF, {"id": "x", "role": "auditor"}]

POOL = [
    scenario.register("case-p"),
    *scenario.full_lifecycle_after_registration(),
    scenario.decision("refused", reasons="Ikke berettiget"),
    scenario.decision("partly_granted", reasons=""),
    scenario.answer(scenario.VOLUNTEER, accept=False, reason="Har ikke tid"),
    scenario.propose_plan(responsible="nobody"),
    scenario.accept_plan(accept=False, comment="Andre tider"),
    scenario.schedule_meeting(),
    scenario.record_meeting(),
    scenario.record_meeting(citizen_present=False),
    scenario.revoke(scenario.VOLUNTEER),
    scenario.baseline(),
    {"type": "propose_team", "actor": scenario.CASEWORKER},
    {"type": "change_team", "actor": scenario.CASEWORKER, "person_id": "vol-karim", "reason": "Flyttet"},
    {"type": "approve_team", "actor": scenario.CITIZEN, "approve": False, "comment": "Jeg vil hellere have en anden"},
    {
        "type": "complete_pilot",
        "actor": scenario.CASEWORKER,
        "summary": "Stoppet",
        "ended_early": True,
        "early_end_reason": "Flyttet",
    },
]


def rank(phase: Phase) -> int:
    return len(ORDER) if phase is Phase.REFUSED else ORDER.index(phase)


def check_invariants(state: CaseState, events_so_far: int) -> None:
    assert state.version == events_so_far
    if state.phase is not Phase.NEW:
        assert state.case_id and state.citizen is not None
    if state.team_approved:
        assert any(m.status is InvitationStatus.JOINED for m in state.team.values())
    if state.phase in (Phase.PILOT, Phase.EVALUATION) or state.plan is not None:
        assert state.team_approved and state.plan is not None and state.plan_accepted
    for meeting in state.meetings.values():
        assert not meeting.held or "citizen" in meeting.attended
    if state.evaluation is not None:
        assert state.pilot_result is not None
        assert all(0 <= v <= 100 for v in state.evaluation.value_domains.scores().values() if v is not None)
    if state.baseline is not None:
        assert state.plan is not None
    if state.phase is Phase.REFUSED:
        assert state.decision is not None and state.decision.outcome.value == "refused"
    # a closed case takes no command from a person; only an appeal's changed decision reopens it
    assert all(c.issued_by_system for c in ALLOWED[Phase.CLOSED])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(range(len(POOL))), st.sampled_from(range(len(ACTORS))), st.booleans()),
        max_size=40,
    )
)
def test_random_command_sequences_keep_the_case_consistent(moves):
    state, events_so_far, now = initial_state(), 0, datetime(2026, 1, 1, tzinfo=UTC)
    for index, actor_index, keep_actor in moves:
        data = dict(POOL[index])
        if not keep_actor:
            data["actor"] = ACTORS[actor_index]
        command = command_adapter.validate_python(data).model_copy(update={"at": now})
        before = state
        try:
            events = decide(state, command)
        except DomainError as error:
            assert error.message and error.rule  # every refusal explains itself
            assert state == before
            continue
        assert events, "an accepted command records at least one event"
        folded = fold(events, state)
        for event in events:
            state = evolve(state, event)
            events_so_far += 1
        assert folded == state  # folding a batch is evolving event by event
        assert rank(state.phase) >= rank(before.phase) or (
            before.phase is Phase.REFUSED and state.phase is Phase.CLOSED
        )
        check_invariants(state, events_so_far)
        now += timedelta(hours=1)
