"""The forum's rules (``domain.forum``): given the forum's history, when a command, then this refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import terminology
from tests.domain.gwt import FORUM, NOW, Accepted, Refusal, rule_id

SYSTEM = {"id": "samskab", "role": "system"}
CHAIR = {"id": "tl-bo", "role": "team_lead"}
VOLUNTEER = {"id": "vol-maria", "role": "volunteer"}
CITIZEN = {"id": "citizen", "role": "citizen"}

OPEN = {
    "type": "open_forum",
    "actor": CHAIR,
    "target_group": terminology.target_groups().by_display("Social isolation").code,
}
OBSERVE = {"type": "submit_forum_observation", "actor": VOLUNTEER, "text": "Mange ældre spiser alene"}
AHEAD = (NOW.date() + timedelta(days=30)).isoformat()
GENERAL = {
    "observation": 1,
    "relevance": "general",
    "proposal": "Fællesspisning",
    "owner": "Ældre Sagen",
    "follow_up": AHEAD,
}
PILOT = {
    "type": "receive_pilot_proposal",
    "actor": SYSTEM,
    "text": "Fællesspisning i nærmiljøet",
    "pilot_ref": "a" * 32,
}


def meeting(*judgements: dict) -> dict:
    return {"type": "hold_forum_meeting", "actor": CHAIR, "minutes": "Møde", "judgements": list(judgements)}


def erase(entry: str, number: int, basis: str = "GDPR art. 17(1)(d)") -> dict:
    return {"type": "erase_forum_text", "actor": CHAIR, "entry": entry, "number": number, "basis": basis}


DECIDE = {
    "type": "decide_forum_proposal",
    "actor": CHAIR,
    "proposal": 1,
    "decision": "adopted",
    "reason": "Der er lokaler",
}

RULES = [
    # -- the forum's life
    Refusal("forum.unstamped", given=[], when=OBSERVE, at=None, field="at"),
    Refusal("forum.not_open", given=[], when=OBSERVE),
    Refusal("forum.already_open", given=[OPEN], when=OPEN),
    Refusal(
        "forum.role_not_allowed", given=[OPEN], when={**OBSERVE, "actor": CITIZEN}, field="actor.role", says="volunteer"
    ),
    # -- observations name needs, not persons (GDPR art. 5(1)(c))
    Refusal(
        "forum.personal_identifier",
        given=[OPEN],
        when={**OBSERVE, "text": "Borgeren 0101901234 mangler følgeskab"},
        field="text",
        says="CPR",
    ),
    Refusal(
        "forum.personal_identifier",
        given=[OPEN],
        when={**PILOT, "text": "Vi mødte Karim Nasser i cafeen"},
        field="text",
    ),
    # -- the meeting judges each observation once; a general one becomes a proposal
    Refusal("forum.unknown_observation", given=[OPEN], when=meeting(GENERAL), field="judgements[0].observation"),
    Refusal(
        "forum.already_judged", given=[OPEN, OBSERVE], when=meeting(GENERAL, GENERAL), field="judgements[1].observation"
    ),
    Refusal(
        "forum.individual_with_proposal",
        given=[OPEN, OBSERVE],
        when=meeting({"observation": 1, "relevance": "individual", "proposal": "Fællesspisning"}),
        field="judgements[0].proposal",
    ),
    Refusal(
        "forum.general_needs_proposal",
        given=[OPEN, OBSERVE],
        when=meeting({**GENERAL, "proposal": "  "}),
        field="judgements[0].proposal",
    ),
    Refusal(
        "forum.proposal_needs_owner",
        given=[OPEN, OBSERVE],
        when=meeting({**GENERAL, "owner": ""}),
        field="judgements[0].owner",
    ),
    Refusal(
        "forum.proposal_needs_follow_up",
        given=[OPEN, OBSERVE],
        when=meeting({**GENERAL, "follow_up": None}),
        field="judgements[0].follow_up",
    ),
    # today is not ahead
    Refusal(
        "forum.proposal_needs_follow_up",
        given=[OPEN, OBSERVE],
        when=meeting({**GENERAL, "follow_up": NOW.date().isoformat()}),
        field="judgements[0].follow_up",
        says="ahead",
    ),
    # -- proposals are decided once
    Refusal("forum.unknown_proposal", given=[OPEN, OBSERVE], when=DECIDE, field="proposal"),
    Refusal("forum.already_decided", given=[OPEN, OBSERVE, meeting(GENERAL), DECIDE], when=DECIDE, field="proposal"),
    # -- a case's pilot proposal is taken once (``domain.case.follow_up``)
    Refusal("forum.proposal_already_received", given=[OPEN, PILOT], when=PILOT, field="pilot_ref"),
    Refusal("forum.role_not_allowed", given=[OPEN], when={**PILOT, "actor": CHAIR}, field="actor.role"),
    # -- erasure of a text (GDPR art. 17)
    Refusal("forum.unknown_entry", given=[OPEN], when=erase("observation", 1), field="number"),
    Refusal(
        "forum.already_erased",
        given=[OPEN, OBSERVE, erase("observation", 1)],
        when=erase("observation", 1),
        field="number",
    ),
    Refusal("forum.basis_required", given=[OPEN, OBSERVE], when=erase("observation", 1, basis="   "), field="basis"),
    Refusal(
        "forum.role_not_allowed",
        given=[OPEN, OBSERVE],
        when={**erase("observation", 1), "actor": VOLUNTEER},
        field="actor.role",
    ),
]

#: The boundaries the refusals above stand beside: what the same rule lets through.
ACCEPTED = [
    Accepted(
        "a general observation with owner and a follow-up ahead becomes a proposal",
        given=[OPEN, OBSERVE],
        when=meeting(GENERAL),
        then=["forum_meeting_held", "forum_proposal_made"],
    ),
    Accepted(
        "another case's pilot proposal is taken",
        given=[OPEN, PILOT],
        when={**PILOT, "pilot_ref": "b" * 32},
        then=["forum_observation_submitted"],
    ),
]


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule(rule: Refusal):
    rule.check(FORUM)


@pytest.mark.parametrize("accepted", ACCEPTED, ids=rule_id)
def test_accepted(accepted: Accepted):
    accepted.check(FORUM)
