"""The forum decider and the anonymity rule, without Temporal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import terminology
from domain.anonymity import find_cpr, find_person_name
from domain.errors import DomainError
from domain.forum import decide_forum, evolve_forum, forum_command_adapter, initial_forum_state

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHAIR = {"id": "tl-bo", "role": "team_lead"}
VOLUNTEER = {"id": "vol-maria", "role": "volunteer"}


def run(*commands: dict):
    state = initial_forum_state()
    for data in commands:
        command = forum_command_adapter.validate_python(data).model_copy(update={"at": NOW})
        for event in decide_forum(state, command):
            state = evolve_forum(state, event)
    return state


def refused(state, data: dict) -> DomainError:
    with pytest.raises(DomainError) as error:
        decide_forum(state, forum_command_adapter.validate_python(data).model_copy(update={"at": NOW}))
    return error.value


OPEN = {
    "type": "open_forum",
    "actor": CHAIR,
    "target_group": terminology.target_groups().by_display("Social isolation").code,
}


def observe(text: str, actor=VOLUNTEER) -> dict:
    return {"type": "submit_forum_observation", "actor": actor, "text": text}


@pytest.mark.parametrize(
    "text",
    [
        "Borgeren 0101901234 har brug for følgeskab",
        "Borgeren 010190-1234 har brug for følgeskab",
        "Vi mødte Karim Nasser i cafeen",
        "En mand der hedder Svend mangler hjælp",
    ],
)
def test_personal_identifiers_are_refused(text):
    error = refused(run(OPEN), observe(text))
    assert error.rule == "forum.personal_identifier" and error.field == "text"


@pytest.mark.parametrize(
    "text",
    [
        "Mange unge i Rødovre mangler et sted at mødes",
        "Borgere med angst kommer sjældent til Jobcenter",
        "Per uge ses få",
    ],
)
def test_texts_about_needs_pass(text):
    assert find_cpr(text) is None and find_person_name(text) is None


def test_a_citizen_cannot_bring_observations_to_the_forum():
    assert (
        refused(run(OPEN), observe("Der mangler tilbud om aftenen", actor={"id": "c", "role": "citizen"})).field
        == "actor.role"
    )


def test_an_individual_observation_makes_no_proposal():
    state = run(OPEN, observe("En borger mangler hjælp med sin post"))
    error = refused(
        state,
        {
            "type": "hold_forum_meeting",
            "actor": CHAIR,
            "minutes": "Møde",
            "judgements": [{"observation": 1, "relevance": "individual", "proposal": "x"}],
        },
    )
    assert error.rule == "forum.individual_with_proposal"


def test_an_observation_is_judged_once():
    follow_up = (NOW.date() + timedelta(days=30)).isoformat()
    judgement = {
        "observation": 1,
        "relevance": "general",
        "proposal": "Fællesspisning",
        "owner": "Ældre Sagen",
        "follow_up": follow_up,
    }
    state = run(
        OPEN,
        observe("Mange ældre spiser alene"),
        {"type": "hold_forum_meeting", "actor": CHAIR, "minutes": "Møde", "judgements": [judgement]},
    )
    assert state.proposals[1].follow_up == date.fromisoformat(follow_up)
    error = refused(state, {"type": "hold_forum_meeting", "actor": CHAIR, "minutes": "Møde", "judgements": [judgement]})
    assert error.rule == "forum.already_judged"


def test_a_proposal_is_decided_once():
    follow_up = (NOW.date() + timedelta(days=30)).isoformat()
    judgement = {
        "observation": 1,
        "relevance": "general",
        "proposal": "Fællesspisning",
        "owner": "Ældre Sagen",
        "follow_up": follow_up,
    }
    decide = {
        "type": "decide_forum_proposal",
        "actor": CHAIR,
        "proposal": 1,
        "decision": "rejected",
        "reason": "Ingen lokaler",
    }
    state = run(
        OPEN,
        observe("Mange ældre spiser alene"),
        {"type": "hold_forum_meeting", "actor": CHAIR, "minutes": "Møde", "judgements": [judgement]},
        decide,
    )
    assert state.proposals[1].decision == "rejected"
    assert refused(state, decide).rule == "forum.already_decided"
