"""Who you are on the command line: ``--as ROLE:PERSON_ID``, or the settings."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from app.settings import Settings

AsOption = Annotated[
    str | None,
    typer.Option("--as", help="Who you are, ROLE:PERSON_ID (default: SAMSKAB_ACTOR_ROLE / SAMSKAB_ACTOR_ID)"),
]


def who_you_are(as_: str | None, settings: Settings, example: str = "caseworker:anne") -> dict[str, str]:
    """The actor as ``{"id", "role"}``; exits with code 2 naming ``--as`` when it is not said."""
    if as_:
        role, _, person = as_.partition(":")
    else:
        role, person = settings.actor_role, settings.actor_id
    if not person or not role:
        Console(stderr=True).print(
            f"[bold red]error:[/bold red] say who you are: --as {example} (or set SAMSKAB_ACTOR_ID and "
            "SAMSKAB_ACTOR_ROLE) [dim](field: --as, rule: access.actor_required)[/dim]"
        )
        raise typer.Exit(2)
    return {"id": person, "role": role}
