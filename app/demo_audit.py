"""The demo's last act: the audit an outsider can trust.

A signed tree head of both logs, a verification of the logs against it, an
export of the whole log, and a check of that export on its own (no database).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from app.audit_cli import access_panel, export_panel
from app.keys import checkpoint_key_path, checkpoint_signing_key
from app.settings import Settings
from app.views import verify_panel
from eventlog import EventStore
from eventlog.access_log import AccessLog
from eventlog.checkpoints import load_public_key, public_key_path
from eventlog.export import export_log, verify_export
from eventlog.tree_heads import read_tree_head, sign_current, write_tree_head

DEMO_READER: dict[str, Any] = {"actor_id": "demo", "actor_role": "system"}


def record_demo_read(store: EventStore, case_id: str | None, what: str) -> None:
    """The demo shows case data too; those reads are recorded like any other."""
    AccessLog(store.engines).record(**DEMO_READER, stream_id=case_id, what=what, purpose="samskab demo")


def audit_epilogue(store: EventStore, settings: Settings, console: Console) -> bool:
    key = checkpoint_signing_key(settings)
    trusted = load_public_key(public_key_path(checkpoint_key_path(settings)))
    folder = settings.data_dir / "audit"

    console.rule("Audit: signed tree head, verification against it, export checked on its own")
    signed, reports = sign_current(store, key)
    if signed is None:
        for report in reports:
            console.print(str(report))
        console.print("[bold red]No tree head: the log does not verify.[/bold red]")
        return False
    path = write_tree_head(signed, folder / f"tree-head-{signed.events.size:010d}.json")
    console.print(
        f"Tree head: {signed.events.size} events (root {signed.events.root[:16]}...), "
        f"{signed.access_log.size} reads, signed by key {signed.key_fingerprint}, written to {path}"
    )

    kept = read_tree_head(path)
    against = store.verify(
        anchors={kept.events.size: kept.events.chain_head} if kept.events.size else None,
        roots={kept.events.size: bytes.fromhex(kept.events.root)},
    )
    console.print(verify_panel(against))

    record_demo_read(store, None, "export")
    out = folder / "export-all.jsonl"
    summary = export_log(store, out, key, exported_by={"id": "demo", "role": "system"})
    console.print(f"Export: {summary.events} events to {summary.path}")
    exported = verify_export(out, [trusted])  # the file alone: no database
    console.print(export_panel(exported))

    access = AccessLog(store.engines).verify()
    console.print(access_panel(access))
    return against.ok and exported.ok and access.ok
