"""``samskab audit``: what an auditor does with the event log."""

from __future__ import annotations

import typer
from rich.console import Console

from activities.eventlog import open_event_store
from app.settings import get_settings
from app.views import trail_table, verify_panel

console = Console()
err = Console(stderr=True)

audit_app = typer.Typer(help="Read and verify the event log.", no_args_is_help=True)


@audit_app.command("trail")
def audit_trail(case_id: str) -> None:
    """The case's events, in order, as the event log holds them."""
    store = open_event_store(get_settings().database_url)
    try:
        events = store.read_stream(case_id)
    finally:
        store.dispose()
    if not events:
        err.print(f"[bold red]error:[/bold red] the event log has no events for case {case_id}")
        raise typer.Exit(1)
    console.print(trail_table(case_id, events))


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the whole hash chain; exit 1 if anything was changed, removed or inserted."""
    store = open_event_store(get_settings().database_url)
    try:
        report = store.verify()
    finally:
        store.dispose()
    console.print(verify_panel(report))
    if not report.ok:
        raise typer.Exit(1)
