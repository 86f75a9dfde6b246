"""The demo's forum: the standing cross-sector forum for socially isolated
citizens, where a volunteer and staff bring what they saw and a general
observation becomes a proposal with an owner."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console

from app.cases import CommandRejected
from app.forum_cli import forum_table
from app.forums import ForumClient
from domain import terminology
from domain.forum import ForumState
from domain.messages import Actor

VOLUNTEER = {"id": "vol-maria", "role": "volunteer"}
STAFF = {"id": "sp-ole", "role": "staff"}
CHAIR = {"id": "tl-bo", "role": "team_lead"}


async def run_forum(forums: ForumClient, console: Console) -> ForumState:
    target_group = terminology.target_groups().by_display("Social isolation").code
    await forums.open_forum(target_group, Actor.model_validate(CHAIR))
    console.rule("Tværsektorielt forum: Social isolation")
    try:
        await forums.act(target_group, _observation(VOLUNTEER, "Else Jensen sidder alene hele ugen"))
        raise AssertionError("an observation naming a citizen should have been refused")
    except CommandRejected as refused:
        console.print(f"[yellow]refused as it should be[/yellow]: {refused.message}")
    before = len((await forums.state(target_group)).observations)
    await forums.act(
        target_group,
        _observation(
            VOLUNTEER, "Flere ældre i boligområdet kommer kun ud, når en besøgsven følger dem det første stykke"
        ),
    )
    await forums.act(target_group, _observation(STAFF, "En borger ønsker hjælp til at komme i gang med en ny hobby"))
    await forums.act(
        target_group,
        {
            "type": "hold_forum_meeting",
            "actor": CHAIR,
            "minutes": "Frivillige og medarbejdere drøftede, hvad der får ensomme borgere ud ad døren",
            "judgements": [
                {
                    "observation": before + 1,
                    "relevance": "general",
                    "proposal": "Et fast 'følgeskab' fra besøgsvennerne til cafeen de første fire uger for nye deltagere",
                    "owner": "Ældre Sagen Rødovre med Sundhed og Omsorg",
                    "follow_up": (date.today() + timedelta(weeks=12)).isoformat(),
                },
                {"observation": before + 2, "relevance": "individual"},
            ],
        },
    )
    state = await forums.state(target_group)
    console.print(forum_table(state))
    for proposal in state.proposals.values():
        console.print(
            f"Forslag {proposal.number}: {proposal.text} (ejer: {proposal.owner}, opfølgning {proposal.follow_up:%d.%m.%Y})"
        )
    return state


def _observation(actor: dict, text: str) -> dict:
    return {"type": "submit_forum_observation", "actor": actor, "text": text, "life_area": "relations"}
