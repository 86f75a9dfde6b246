"""The demo's last act: the audit an outsider can trust.

A signed checkpoint of the log, a verification of the log against it, an
export of the whole log, and a check of that export on its own (no database).
"""

from __future__ import annotations

from rich.console import Console

from app.audit_cli import access_panel, export_panel
from app.keys import checkpoint_key_path, checkpoint_signing_key
from app.settings import Settings
from app.views import verify_panel
from eventlog import EventStore
from eventlog.access_log import AccessLog
from eventlog.checkpoints import checkpoint_log, load_public_key, public_key_path, read_checkpoint, verify_against, write_checkpoint
from eventlog.export import export_log, verify_export

DEMO_READER = {"actor_id": "demo", "actor_role": "system"}


def record_demo_read(store: EventStore, case_id: str | None, what: str) -> None:
    """The demo shows case data too; those reads are recorded like any other."""
    AccessLog(store.engines).record(**DEMO_READER, stream_id=case_id, what=what, purpose="samskab demo")


def audit_epilogue(store: EventStore, settings: Settings, console: Console) -> bool:
    key = checkpoint_signing_key(settings)
    trusted = load_public_key(public_key_path(checkpoint_key_path(settings)))
    folder = settings.data_dir / "audit"

    console.rule("Audit: signed checkpoint, verification against it, export checked on its own")
    signed, report = checkpoint_log(store, key)
    if signed is None:
        console.print(verify_panel(report))
        console.print("[bold red]No checkpoint: the log does not verify.[/bold red]")
        return False
    path = write_checkpoint(signed, folder / f"checkpoint-{signed.position:010d}.json")
    console.print(f"Checkpoint: position {signed.position}, head {signed.head_hash[:16]}..., "
                  f"signed by key {signed.key_fingerprint}, written to {path}")

    against = verify_against(store, [read_checkpoint(path)], [trusted])
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
