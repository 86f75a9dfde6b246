"""``samskab projections``: run the read models' projector, see how far each has got, rebuild one."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated

import typer
from rich.table import Table

from activities.eventlog import open_event_store
from app.keys import open_key_store
from app.settings import get_settings
from app.terminal import console
from projections.setup import NAMES, build_projector

projections_app = typer.Typer(no_args_is_help=True, help="The read models: follow the event log, status, rebuild.")


def _projector(store):
    settings = get_settings()
    return build_projector(store, open_key_store(store, settings), settings.deadlines)


@projections_app.command("run")
def run(once: Annotated[bool, typer.Option("--once", help="Catch up to the log's head, then stop")] = False) -> None:
    """Keep the read models up to date (a process of its own; the worker does it too unless told not to).

    Safe beside another projector: each batch locks its projection's state row,
    so the second waits for the first's batch and goes on from there."""
    settings = get_settings()
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        projector = _projector(store)
        if once:
            done = projector.catch_up()
            console.print(f"projected {done} events; every projection is at the log's head")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print("following the event log (Ctrl-C stops)")
        projector.run_forever(stop)
    finally:
        store.dispose()


@projections_app.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="As JSON")] = False) -> None:
    """Each projection's position, lag (events and seconds), generation, and where it stopped if it failed."""
    settings = get_settings()
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        rows = _projector(store).status()
    finally:
        store.dispose()
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in rows]))
        return
    table = Table(title="Read models")
    for heading in ("projection", "position", "head", "lag (events)", "lag (s)", "generation", "state"):
        table.add_column(heading)
    for r in rows:
        state = "rebuilding" if r.rebuilding else "ok"
        if r.failed_position is not None:
            state = f"STOPPED at {r.failed_position} ({r.failed_type}): {r.failure}"
        table.add_row(
            r.name, str(r.position), str(r.head), str(r.lag_events), f"{r.lag_seconds:.1f}", str(r.generation), state
        )
    console.print(table)
    if any(r.failed_position is not None for r in rows):
        raise typer.Exit(1)


@projections_app.command("rebuild")
def rebuild(name: Annotated[str | None, typer.Argument(help=f"One of: {', '.join(NAMES)}; empty: all")] = None) -> None:
    """Project the whole log again into new tables and swap them in; reads go on meanwhile."""
    if name is not None and name not in NAMES:
        console.print(f"[red]no projection {name!r}; the projections are: {', '.join(NAMES)}[/red]")
        raise typer.Exit(2)
    settings = get_settings()
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        projector = _projector(store)
        for one in [name] if name else list(NAMES):
            done = projector.rebuild(one)
            console.print(f"{one}: rebuilt from {done} events and made live")
    finally:
        store.dispose()
