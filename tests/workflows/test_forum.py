"""The cross-sector forum on the time-skipping server: observations without
personal identifiers, meetings on a timer, proposals tracked to a decision,
and continue-as-new that carries the forum's state."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import pytest_asyncio

from app.cases import CommandRejected
from app.forums import ForumClient
from domain import terminology
from domain.forum import forum_id
from domain.messages import Actor, Role

VOLUNTEER = {"id": "vol-maria", "role": "volunteer"}
CHAIR = {"id": "tl-bo", "role": "team_lead"}
INTERVAL = timedelta(weeks=6)


@pytest.fixture
def target_group() -> str:
    # A fresh forum per test: the forum id is the target group's code, so use
    # a separate task queue's worth of isolation by picking a code per test.
    codes = sorted(terminology.target_groups().codes)
    return codes[uuid.uuid4().int % len(codes)]


@pytest_asyncio.fixture
async def forums(env, settings, worker, target_group):
    client = ForumClient(env.client, settings)
    yield client
    try:
        await env.client.get_workflow_handle(forum_id(target_group)).terminate("test finished")
    except Exception:  # noqa: BLE001 - already ended
        pass


def observation(text: str) -> dict:
    return {"type": "submit_forum_observation", "actor": VOLUNTEER, "text": text, "life_area": "relations"}


async def test_an_observation_with_a_cpr_number_or_a_name_is_refused(forums, target_group):
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD))
    with pytest.raises(CommandRejected) as cpr:
        await forums.act(target_group, observation("Borgeren med 010190-1234 mangler et sted at være om aftenen"))
    assert cpr.value.rule == "forum.personal_identifier" and cpr.value.field == "text"
    with pytest.raises(CommandRejected) as name:
        await forums.act(target_group, observation("Vi har set at Else Jensen sidder alene hele ugen"))
    assert "Else Jensen" in name.value.message
    await forums.act(target_group, observation("Flere ældre i boligområdet sidder alene det meste af ugen"))
    assert len((await forums.state(target_group)).observations) == 1


async def test_a_general_observation_becomes_a_proposal_tracked_to_a_decision(
    env, forums, target_group, store, settings
):
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD), meeting_interval=INTERVAL)
    await forums.act(target_group, observation("Flere ældre i boligområdet sidder alene det meste af ugen"))
    await forums.act(target_group, observation("En borger har brug for hjælp til at åbne sin post"))

    await env.sleep(INTERVAL + timedelta(hours=1))
    assert (await forums.state(target_group)).meetings_due == 1

    follow_up = (date.today() + timedelta(days=400)).isoformat()
    await forums.act(
        target_group,
        {
            "type": "hold_forum_meeting",
            "actor": CHAIR,
            "minutes": "Tre frivillige og to medarbejdere drøftede ensomhed",
            "judgements": [
                {
                    "observation": 1,
                    "relevance": "general",
                    "proposal": "Fast fællesspisning hver torsdag",
                    "owner": "Ældre Sagen og Sundhed og Omsorg",
                    "follow_up": follow_up,
                },
                {"observation": 2, "relevance": "individual"},
            ],
        },
    )
    state = await forums.state(target_group)
    assert [o.relevance for o in state.observations.values()] == ["general", "individual"]
    assert state.proposals[1].owner == "Ældre Sagen og Sundhed og Omsorg"

    await forums.act(
        target_group,
        {
            "type": "decide_forum_proposal",
            "actor": CHAIR,
            "proposal": 1,
            "decision": "adopted",
            "reason": "Budget fundet",
        },
    )
    assert (await forums.state(target_group)).proposals[1].decision == "adopted"
    types = [e.event_type for e in store.read_stream(forum_id(target_group))]
    assert types == [
        "forum_opened",
        "forum_observation_submitted",
        "forum_observation_submitted",
        "forum_meeting_due",
        "forum_meeting_held",
        "forum_proposal_made",
        "forum_proposal_decided",
    ]


async def test_judging_refuses_a_general_observation_without_owner_or_follow_up(forums, target_group):
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD))
    await forums.act(target_group, observation("Flere ældre i boligområdet sidder alene det meste af ugen"))
    with pytest.raises(CommandRejected) as refused:
        await forums.act(
            target_group,
            {
                "type": "hold_forum_meeting",
                "actor": CHAIR,
                "minutes": "Møde",
                "judgements": [{"observation": 1, "relevance": "general", "proposal": "Noget"}],
            },
        )
    assert refused.value.field == "judgements[0].owner"


async def test_the_forum_continues_as_new_and_keeps_its_observations(env, forums, target_group, store):
    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD), history_limit=40)
    handle = env.client.get_workflow_handle(forum_id(target_group))
    first_run = (await handle.describe()).run_id
    for i in range(8):
        await forums.act(target_group, observation(f"Observation nummer {i + 1} om behov for samvær i weekenden"))

    state = await forums.state(target_group)
    assert (await handle.describe()).run_id != first_run
    assert len(state.observations) == 8 and state.version == 9
    assert len(store.read_stream(forum_id(target_group))) == 9


async def test_one_forum_text_is_erased_alone_and_reads_as_erased_in_the_log_and_the_forum(
    forums, target_group, store, settings
):
    """A text that named a person after all is erasable (GDPR art. 17): its own key is destroyed,
    the erasure is on the log, the other texts stay readable, and the chain verifies."""
    from activities.readmodels import readable_payload
    from app.keys import open_key_store
    from domain.forum import forum_id
    from domain.personal_data import ERASED_MARKER

    await forums.open_forum(target_group, Actor(id="tl-bo", role=Role.TEAM_LEAD))
    await forums.act(target_group, observation("Flere ældre i boligområdet sidder alene det meste af ugen"))
    await forums.act(target_group, observation("Unge med angst kommer ikke til fritidsaktiviteter"))
    erase = {"type": "erase_forum_text", "entry": "observation", "number": 1, "basis": "GDPR art. 17(1)(d)"}
    with pytest.raises(CommandRejected) as volunteer:
        await forums.act(target_group, {**erase, "actor": VOLUNTEER})
    assert volunteer.value.rule == "forum.role_not_allowed"
    with pytest.raises(CommandRejected) as unknown:
        await forums.act(target_group, {**erase, "number": 9, "actor": {"id": "adm-ole", "role": "administrator"}})
    assert unknown.value.rule == "forum.unknown_entry" and unknown.value.field == "number"

    result = await forums.act(target_group, {**erase, "actor": {"id": "adm-ole", "role": "administrator"}})
    assert result.events == ["forum_text_erased"]
    state = await forums.state(target_group)
    assert state.observations[1].text == ERASED_MARKER
    assert state.observations[2].text.startswith("Unge med angst")

    keys = open_key_store(store, settings)
    submitted = [e for e in store.read_stream(forum_id(target_group)) if e.event_type == "forum_observation_submitted"]
    first, second = (readable_payload(e, keys) for e in submitted)
    assert first == ({**first[0], "text": ERASED_MARKER}, ("text",))  # its key is gone: the field reads as erased
    assert second[1] == () and second[0]["text"].startswith("Unge med angst")
    erased = [e for e in store.read_stream(forum_id(target_group)) if e.event_type == "forum_text_erased"]
    assert erased[0].legal_basis == "GDPR art. 17(1)(d)" and erased[0].actor_role == "administrator"
    assert store.verify().ok
    with pytest.raises(CommandRejected) as again:
        await forums.act(target_group, {**erase, "actor": {"id": "adm-ole", "role": "administrator"}})
    assert again.value.rule == "forum.already_erased"
