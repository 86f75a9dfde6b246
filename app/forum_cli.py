"""``samskab forum``: the standing cross-sector forum per target group."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from app.cases import CommandRejected
from app.forums import ForumClient
from app.identity import AsOption, LocalAdminOption, TokenOption, authenticate
from app.settings import get_settings
from app.temporal import connect
from app.terminal import console, err
from domain import terminology
from domain.forum import ForumState
from domain.messages import Actor

forum_app = typer.Typer(help="The cross-sector forum (SAMAKT) for a target group.", no_args_is_help=True)

TargetGroup = Annotated[str, typer.Argument(help="FFB Målgruppe: its code or its Danish name, e.g. 'Social isolation'")]


def _code(target_group: str) -> str:
    codes = terminology.target_groups()
    if target_group in codes:
        return target_group
    try:
        return codes.by_display(target_group).code
    except KeyError:
        err.print(f"[bold red]error:[/bold red] target_group: {target_group!r} is not an FFB Målgruppe code or name")
        raise typer.Exit(2) from None


def _run(work):
    async def main():
        settings = get_settings()
        return await work(ForumClient(await connect(settings), settings))

    try:
        return asyncio.run(main())
    except CommandRejected as refused:
        err.print(
            f"[bold red]refused:[/bold red] {refused.message} [dim](field: {refused.field}, rule: {refused.rule})[/dim]"
        )
        raise typer.Exit(3) from None


def forum_table(state: ForumState) -> Table:
    title = state.target_group.display if state.target_group else "?"
    table = Table(title=f"Forum: {title}", title_justify="left")
    for column in ("no.", "observation", "by", "judged"):
        table.add_column(column)
    for o in state.observations.values():
        table.add_row(str(o.number), o.text, o.by_role.value, o.relevance.value if o.relevance else "venter")
    return table


@forum_app.command("open")
def forum_open(
    target_group: TargetGroup,
    meeting_weeks: Annotated[int, typer.Option(help="Weeks between meetings")] = 6,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Open the forum for a target group (or find the one running)."""
    actor = Actor.model_validate(authenticate(token, as_, local_admin, get_settings(), example="volunteer:maria").actor)
    forum = _run(lambda f: f.open_forum(_code(target_group), actor, timedelta(weeks=meeting_weeks)))
    console.print(f"Forum [b]{forum}[/b] is open.")


@forum_app.command("observe")
def forum_observe(
    target_group: TargetGroup,
    text: Annotated[str, typer.Argument(help="The need you have seen, without names or CPR numbers")],
    life_area: Annotated[
        str | None, typer.Option(help="work, housing, health, relations, leisure, economy, education")
    ] = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Bring an observation of citizens' needs to the forum."""
    data = {
        "type": "submit_forum_observation",
        "actor": authenticate(token, as_, local_admin, get_settings(), example="volunteer:maria").actor,
        "text": text,
        "life_area": life_area,
    }
    result = _run(lambda f: f.act(_code(target_group), data))
    console.print(f"Observation recorded (forum version {result.version}).")


@forum_app.command("meeting")
def forum_meeting(
    target_group: TargetGroup,
    judgements: Annotated[
        str,
        typer.Option(
            help='JSON list, e.g. [{"observation":1,"relevance":"general","proposal":"...","owner":"...","follow_up":"2027-03-01"}]'
        ),
    ],
    minutes: Annotated[str, typer.Option(help="The meeting's minutes")],
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Hold a meeting: judge each observation individual or general; general ones become proposals."""
    try:
        parsed = json.loads(judgements)
    except json.JSONDecodeError as error:
        err.print(f"[bold red]error:[/bold red] judgements: not valid JSON ({error.msg})")
        raise typer.Exit(2) from None
    data = {
        "type": "hold_forum_meeting",
        "actor": authenticate(token, as_, local_admin, get_settings(), example="volunteer:maria").actor,
        "judgements": parsed,
        "minutes": minutes,
    }
    result = _run(lambda f: f.act(_code(target_group), data))
    console.print(f"Meeting recorded: {', '.join(result.events)}")


@forum_app.command("decide")
def forum_decide(
    target_group: TargetGroup,
    proposal: int,
    decision: Annotated[str, typer.Argument(help="adopted or rejected")],
    reason: Annotated[str, typer.Option(help="Why")],
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Decide a proposal."""
    data = {
        "type": "decide_forum_proposal",
        "actor": authenticate(token, as_, local_admin, get_settings(), example="volunteer:maria").actor,
        "proposal": proposal,
        "decision": decision,
        "reason": reason,
    }
    _run(lambda f: f.act(_code(target_group), data))
    console.print(f"Proposal {proposal} {decision}.")


@forum_app.command("erase")
def forum_erase(
    target_group: TargetGroup,
    entry: Annotated[
        str, typer.Argument(help="observation, meeting (its minutes and the proposals written in it) or proposal")
    ],
    number: Annotated[int, typer.Argument(help="Its number in the forum")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis, e.g. 'GDPR art. 17(1)(d)'")],
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Erase a forum text that names a person after all: its key is destroyed, the erasure recorded."""
    actor = authenticate(token, as_, local_admin, get_settings(), example="administrator:ole").actor
    data = {"type": "erase_forum_text", "actor": actor, "entry": entry, "number": number, "basis": basis}
    _run(lambda f: f.act(_code(target_group), data))
    console.print(f"The text of {entry} {number} is erased (basis: {basis}).")


@forum_app.command("show")
def forum_show(target_group: TargetGroup) -> None:
    """The forum's observations and proposals."""
    state = _run(lambda f: f.state(_code(target_group)))
    console.print(forum_table(state))
    for p in state.proposals.values():
        status = p.decision.value if p.decision else f"følges op {p.follow_up:%d.%m.%Y}"
        console.print(f"Forslag {p.number}: {p.text} (ejer: {p.owner}; {status})")
