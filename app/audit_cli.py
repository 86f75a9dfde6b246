"""``samskab audit``: what an auditor (and a citizen) does with the event log.

Every command that shows a case's data takes ``--as ROLE:ID`` and
``--purpose`` and records the read in the access log before it shows anything;
reading the access log is recorded too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from activities.eventlog import open_event_store
from activities.readmodels import case_view
from app.erasure import ErasureRefused, erase_citizen
from app.keys import checkpoint_signing_key, open_key_store, trusted_checkpoint_key
from app.identity import AsOption, who_you_are
from app.settings import Settings, get_settings
from app.views import trail_table, verify_panel
from eventlog import EventLogError, EventStore
from eventlog.access_log import AccessLog, AccessRecord, AccessVerifyReport
from eventlog.checkpoints import CheckpointInvalid, checkpoint_log, read_checkpoint, verify_against, write_checkpoint
from eventlog.export import ExportRefused, ExportReport, export_log, verify_export

console = Console()
err = Console(stderr=True)

audit_app = typer.Typer(help="Read, verify, export and erase: the audit log.", no_args_is_help=True)

PurposeOption = Annotated[
    str, typer.Option("--purpose", help="Why you read this (recorded in the access log), e.g. 'klagesag 2024-113'")
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option("--public-key", help="The trusted public key checkpoints must be signed with (default: this installation's)"),
]


def _fail(message: str, code: int = 1, *, field: str | None = None, rule: str | None = None) -> typer.Exit:
    where = f" [dim](field: {field}, rule: {rule})[/dim]" if field or rule else ""
    err.print(f"[bold red]error:[/bold red] {message}{where}")
    return typer.Exit(code)


@contextmanager
def _store(settings: Settings) -> Iterator[EventStore]:
    store = open_event_store(settings.database_url)
    try:
        yield store
    finally:
        store.dispose()


def record_read(
    store: EventStore, as_: str | None, purpose: str, case_id: str | None, what: str, settings: Settings
) -> AccessRecord:
    """Record a read in the access log before it happens; refuse the read if it cannot be recorded."""
    reader = who_you_are(as_, settings, example="auditor:ida")
    role, person = reader["role"], reader["id"]
    try:
        return AccessLog(store.engines).record(
            actor_id=person, actor_role=role, stream_id=case_id, what=what, purpose=purpose
        )
    except ValueError as error:
        raise _fail(str(error), 2, field="--purpose" if "purpose" in str(error) else "--as",
                    rule="access.record_required") from None


# -- reading ----------------------------------------------------------------------


@audit_app.command("trail")
def audit_trail(case_id: str, purpose: PurposeOption, as_: AsOption = None) -> None:
    """The case's events, in order, as the event log holds them (headers, no payloads)."""
    settings = get_settings()
    with _store(settings) as store:
        record_read(store, as_, purpose, case_id, "trail (event headers)", settings)
        events = store.read_stream(case_id)
    if not events:
        raise _fail(f"the event log has no events for case {case_id}", field="case_id", rule="case.unknown")
    console.print(trail_table(case_id, events))


@audit_app.command("events")
def audit_events(
    case_id: str,
    purpose: PurposeOption,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON")] = False,
) -> None:
    """The case's events with their payloads, decrypted; erased fields read as [slettet]."""
    settings = get_settings()
    with _store(settings) as store:
        record_read(store, as_, purpose, case_id, "events (payloads, personal fields)", settings)
        try:
            view = case_view(store, case_id, open_key_store(store, settings))
        except EventLogError as error:
            raise _fail(f"case {case_id}: {error}", field="payload", rule="crypto.decrypt") from None
    if not view:
        raise _fail(f"the event log has no events for case {case_id}", field="case_id", rule="case.unknown")
    if as_json:
        console.print_json(json.dumps(view, ensure_ascii=False))
        return
    table = Table(title=f"Events of case {case_id}", title_justify="left")
    for column in ("ver", "occurred (UTC)", "event", "actor", "payload"):
        table.add_column(column)
    for item in view:
        erased = " [red](erased)[/red]" if item["erased_fields"] else ""
        table.add_row(str(item["version"]), item["occurred_at"][:19], escape(item["type"]) + erased,
                      escape(item["actor"]), escape(json.dumps(item["payload"], ensure_ascii=False)))
    console.print(table)


def access_table(case_id: str, records: list[AccessRecord]) -> Table:
    table = Table(title=f"Who has read case {case_id}", title_justify="left")
    for column in ("#", "when (UTC)", "who", "role", "what", "purpose"):
        table.add_column(column)
    for r in records:
        what = r.what if r.stream_id is not None else f"{r.what} (whole log)"
        table.add_row(str(r.position), r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"), escape(r.actor_id),
                      escape(r.actor_role), escape(what), escape(r.purpose))
    return table


@audit_app.command("access")
def audit_access(case_id: str, purpose: PurposeOption, as_: AsOption = None) -> None:
    """Who has read the case, when, what and why (this read included)."""
    settings = get_settings()
    with _store(settings) as store:
        record_read(store, as_, purpose, case_id, "access_log", settings)
        records = AccessLog(store.engines).for_case(case_id)
    console.print(access_table(case_id, records))


# -- verifying --------------------------------------------------------------------


def _load_checkpoints(files: list[Path]):
    try:
        return [read_checkpoint(f) for f in files]
    except CheckpointInvalid as error:
        raise _fail(str(error), 2, field="--checkpoint", rule="checkpoint.invalid") from None


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None, typer.Option("--checkpoint", help="A signed checkpoint the log must still hold (repeatable)")
    ] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Walk the whole hash chain (and the access log's); exit 1 if anything was changed, removed or inserted."""
    settings = get_settings()
    checkpoints = _load_checkpoints(checkpoint or [])
    with _store(settings) as store:
        if checkpoints:
            trusted = trusted_checkpoint_key(settings, public_key)
            if trusted is None:
                raise _fail("no trusted public key: pass --public-key FILE", 2, field="--public-key",
                            rule="checkpoint.untrusted")
            try:
                report = verify_against(store, checkpoints, [trusted])
            except CheckpointInvalid as error:
                raise _fail(str(error), 1, field="--checkpoint", rule="checkpoint.signature") from None
        else:
            report = store.verify()
        access = AccessLog(store.engines).verify()
    console.print(verify_panel(report))
    if checkpoints and report.ok:
        console.print(f"The log still holds the signed prefix of {len(checkpoints)} checkpoint(s) "
                      f"(up to position {max(c.position for c in checkpoints)}).")
    console.print(access_panel(access))
    if not report.ok or not access.ok:
        raise typer.Exit(1)


def access_panel(report: AccessVerifyReport) -> Panel:
    return Panel(str(report), title="Access log verified" if report.ok else "Access log FAILED verification",
                 border_style="green" if report.ok else "bold red", expand=False)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[Path | None, typer.Option("--out", help="Where to write it (default: DATA_DIR/checkpoints/)")] = None,
) -> None:
    """Verify the log, then write its size and head hash, signed (Ed25519), to a file outside the database."""
    settings = get_settings()
    key = checkpoint_signing_key(settings)
    with _store(settings) as store:
        signed, report = checkpoint_log(store, key)
    if signed is None:
        console.print(verify_panel(report))
        raise _fail("the log does not verify; no checkpoint is signed for a broken log", rule="checkpoint.broken_log")
    path = out or settings.data_dir / "checkpoints" / f"checkpoint-{signed.position:010d}-{signed.created_at[:19].replace(':', '')}.json"
    write_checkpoint(signed, path)
    console.print(f"Checkpoint written to [b]{path}[/b]: position {signed.position}, head {signed.head_hash}, "
                  f"signed by key {signed.key_fingerprint}. Keep it outside this database.")


# -- export -----------------------------------------------------------------------


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="The JSON Lines file to write")],
    purpose: PurposeOption,
    case_id: Annotated[str | None, typer.Argument(help="The case to export (or --all)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Export the whole log")] = False,
    as_: AsOption = None,
) -> None:
    """Export one case (with the chain's links through the rest) or the whole log, with a signed checkpoint."""
    if bool(case_id) == all_:
        raise _fail("give either a case id or --all", 2, field="case_id", rule="export.scope")
    settings = get_settings()
    reader = who_you_are(as_, settings, example="auditor:ida")
    role, person = reader["role"], reader["id"]
    key = checkpoint_signing_key(settings)
    with _store(settings) as store:
        record_read(store, as_, purpose, case_id, "export", settings)
        try:
            summary = export_log(store, out, key, case_id=case_id, exported_by={"id": person, "role": role})
        except ExportRefused as refused:
            console.print(verify_panel(refused.report))
            raise _fail(str(refused), rule="export.broken_log") from None
    links = f" and {summary.links} links through other cases" if summary.scope == "case" else ""
    console.print(f"Exported {summary.events} events{links} to [b]{summary.path}[/b], "
                  f"with a checkpoint at position {summary.checkpoint.position} signed by key {summary.checkpoint.key_fingerprint}.")


def export_panel(report: ExportReport) -> Panel:
    return Panel(str(report), title="Export verified" if report.ok else "Export FAILED verification",
                 border_style="green" if report.ok else "bold red", expand=False)


@audit_app.command("verify-export")
def audit_verify_export(
    file: Annotated[Path, typer.Argument(help="An export written by 'samskab audit export'")],
    public_key: PublicKeyOption = None,
) -> None:
    """Check an export on its own, with no database: every hash, every link, and the signed checkpoint."""
    trusted = trusted_checkpoint_key(get_settings(), public_key)
    report = verify_export(file, None if trusted is None else [trusted])
    console.print(export_panel(report))
    if not report.ok:
        raise typer.Exit(1)
    if trusted is None:
        err.print("[yellow]warning:[/yellow] no trusted public key: the signature was checked only against the key "
                  "the file carries; pass --public-key to pin the installation's key")


# -- erasure ----------------------------------------------------------------------


@audit_app.command("erase")
def audit_erase(
    citizen: Annotated[str, typer.Argument(help="The citizen's CPR number, or a case id of theirs")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis, e.g. 'GDPR art. 17(1)(a)'")],
    as_: AsOption = None,
) -> None:
    """Erase a citizen's personal data: record the erasure, destroy their key. The chain stays intact."""
    settings = get_settings()
    reader = who_you_are(as_, settings, example="auditor:ida")
    role, person = reader["role"], reader["id"]
    with _store(settings) as store:
        try:
            result = erase_citizen(store, open_key_store(store, settings), citizen, basis=basis,
                                   actor_id=person, actor_role=role, retention=settings.retention)
        except ErasureRefused as refused:
            raise _fail(refused.message, 1, field=refused.field, rule=refused.rule) from None
        except (EventLogError, ValueError) as error:
            raise _fail(str(error), 1, field="--basis" if "basis" in str(error) else "citizen", rule="erasure.failed") from None
        report = store.verify()
    console.print(f"Erased: key {result.key_id} destroyed at {result.status.erased_at} (basis: {result.status.erasure_basis}); "
                  f"erasure recorded at position {result.position}; cases: {', '.join(result.cases) or 'none'}.")
    console.print(verify_panel(report))
    if not report.ok:
        raise typer.Exit(1)
