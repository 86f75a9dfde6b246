"""``samskab audit``: what an auditor (and a citizen) does with the event log.

Every command that shows a case's data needs a token (``--token`` or
SAMSKAB_TOKEN; or ``--local-admin``, see app/identity.py) and ``--purpose``;
the permission matrix decides, and the read is recorded in the access log
before anything is shown; reading the access log is recorded too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from activities.eventlog import open_event_store
from activities.readmodels import case_view
from app.erasure import ErasureRefused, erase_citizen
from app.identity import AsOption, Caller, LocalAdminOption, TokenOption, authenticate, authorize_read
from app.keys import checkpoint_signing_key, open_key_store, trusted_checkpoint_key
from app.settings import Settings, get_settings
from app.terminal import console, err
from app.views import trail_table, verify_panel
from domain.access import Action
from domain.messages import Role
from domain.personal_data import ERASED_MARKER
from eventlog import EventLogError, EventStore
from eventlog.access_log import AccessLog, AccessRecord, AccessVerifyReport
from eventlog.checkpoints import Checkpoint, CheckpointInvalid, anchors, check_signature, read_checkpoint
from eventlog.existing import NoEventLog, missing_guards, open_existing
from eventlog.export import ExportRefused, ExportReport, export_log, verify_export
from eventlog.tree_heads import (
    FORMAT as TREE_HEAD_FORMAT,
)
from eventlog.tree_heads import (
    SignedTreeHead,
    check_tree_head,
    read_tree_head,
    sign_current,
    verify_since,
    write_tree_head,
)

audit_app = typer.Typer(help="Read, verify, export and erase: the audit log.", no_args_is_help=True)

PurposeOption = Annotated[
    str, typer.Option("--purpose", help="Why you read this (recorded in the access log), e.g. 'klagesag 2024-113'")
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key", help="The trusted public key checkpoints must be signed with (default: this installation's)"
    ),
]


def _fail(message: str, code: int = 1, *, field: str | None = None, rule: str | None = None) -> typer.Exit:
    where = f" [dim](field: {field}, rule: {rule})[/dim]" if field or rule else ""
    err.print(f"[bold red]error:[/bold red] {message}{where}")
    return typer.Exit(code)


@contextmanager
def _store(settings: Settings) -> Iterator[EventStore]:
    store = open_event_store(settings.database_url, upgrade=not settings.production)
    try:
        yield store
    finally:
        store.dispose()


def _caller(token: str | None, as_: str | None, local_admin: bool, settings: Settings) -> Caller:
    return authenticate(token, as_, local_admin, settings, example="auditor:ida")


# -- reading ----------------------------------------------------------------------


@audit_app.command("trail")
def audit_trail(
    case_id: str,
    purpose: PurposeOption,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """The case's events, in order, as the event log holds them (headers, no payloads)."""
    settings = get_settings()
    caller = _caller(token, as_, local_admin, settings)
    with _store(settings) as store:
        # an unknown case is refused there, by the matrix (no such case): a case read here has events
        authorize_read(store, caller, Action.AUDIT_TRAIL, case_id, purpose, "trail (event headers)", settings)
        events = store.read_stream(case_id)
    console.print(trail_table(case_id, events))


# The help is Rich markup (the app's rich_markup_mode), which would read the marker as a tag and drop it.
@audit_app.command(
    "events", help=f"The case's events with their payloads, decrypted; erased fields read as {escape(ERASED_MARKER)}."
)
def audit_events(
    case_id: str,
    purpose: PurposeOption,
    as_: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the events as JSON")] = False,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    settings = get_settings()
    caller = _caller(token, as_, local_admin, settings)
    with _store(settings) as store:
        # the case is decrypted to decide the read first: an unknown case is refused there (no such case), and
        # so is a key that does not unwrap (crypto.decrypt)
        authorize_read(
            store, caller, Action.AUDIT_TRAIL, case_id, purpose, "events (payloads, personal fields)", settings
        )
        view = case_view(store, case_id, open_key_store(store, settings))
    if as_json:
        console.print_json(json.dumps(view, ensure_ascii=False))
        return
    table = Table(title=f"Events of case {case_id}", title_justify="left")
    for column in ("ver", "occurred (UTC)", "event", "actor", "payload"):
        table.add_column(column)
    for item in view:
        erased = " [red](erased)[/red]" if item["erased_fields"] else ""
        table.add_row(
            str(item["version"]),
            item["occurred_at"][:19],
            escape(item["type"]) + erased,
            escape(item["actor"]),
            escape(json.dumps(item["payload"], ensure_ascii=False)),
        )
    console.print(table)


def access_table(case_id: str, records: list[AccessRecord]) -> Table:
    table = Table(title=f"Who has read case {case_id}", title_justify="left")
    for column in ("#", "when (UTC)", "who", "role", "what", "purpose"):
        table.add_column(column)
    for r in records:
        what = r.what if r.stream_id is not None else f"{r.what} (whole log)"
        table.add_row(
            str(r.position),
            r.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(r.actor_id),
            escape(r.actor_role),
            escape(what),
            escape(r.purpose),
        )
    return table


@audit_app.command("access")
def audit_access(
    case_id: str,
    purpose: PurposeOption,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Who has read the case, when, what and why (this read included)."""
    settings = get_settings()
    caller = _caller(token, as_, local_admin, settings)
    with _store(settings) as store:
        authorize_read(store, caller, Action.READ_ACCESS_LOG, case_id, purpose, "access_log", settings)
        records = AccessLog(store.engines).for_case(case_id)
    console.print(access_table(case_id, records))


# -- verifying --------------------------------------------------------------------


def _load_heads(files: list[Path]) -> list[SignedTreeHead | Checkpoint]:
    """Old checkpoints (``samskab-checkpoint/1``) and signed tree heads, as given."""
    heads: list[SignedTreeHead | Checkpoint] = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise _fail(
                f"cannot read {path}: {error.strerror}", 2, field="--checkpoint", rule="tree_head.invalid"
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise _fail(f"{path} is not JSON: {error}", 2, field="--checkpoint", rule="tree_head.invalid") from None
        try:
            if isinstance(data, dict) and data.get("format") == TREE_HEAD_FORMAT:
                heads.append(SignedTreeHead.from_dict(data))
            else:
                heads.append(read_checkpoint(path))
        except CheckpointInvalid as error:
            raise _fail(f"{path}: {error}", 2, field="--checkpoint", rule="tree_head.invalid") from None
    return heads


@contextmanager
def _existing_store(settings: Settings) -> Iterator[EventStore]:
    """The log as it is, opened read-only; a missing or wrong database is an error that names it."""
    try:
        store = open_existing(settings.database_url)
    except NoEventLog as error:
        raise _fail(str(error), 2, field="SAMSKAB_DATABASE_URL", rule="verify.no_log") from None
    try:
        yield store
    finally:
        store.dispose()


def _trusted(settings: Settings, public_key: Path | None) -> Ed25519PublicKey:
    try:
        trusted = trusted_checkpoint_key(settings, public_key)
    except CheckpointInvalid as error:
        raise _fail(str(error), 2, field="--public-key", rule="tree_head.untrusted") from None
    if trusted is None:
        raise _fail("no trusted public key: pass --public-key FILE (the installation's public key, obtained "
                    "from the municipality, never from the file being checked)", 2, field="--public-key",
                    rule="tree_head.untrusted")  # fmt: skip
    return trusted


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", help="A signed tree head (or older checkpoint) the log must still hold (repeatable)"
        ),
    ] = None,
    since: Annotated[
        Path | None,
        typer.Option(
            "--since", help="A signed tree head: check only that both logs grew from it (time ~ the new rows)"
        ),
    ] = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Walk both logs' chains and Merkle trees (or, with --since, what was added after a signed head); exit 1 on any fault.

    Read-only: it never creates a database, a table, a row or a trigger."""
    settings = get_settings()
    heads = _load_heads(checkpoint or [])
    since_head = None
    if since is not None:
        try:
            since_head = read_tree_head(since)
        except CheckpointInvalid as error:
            raise _fail(str(error), 2, field="--since", rule="tree_head.invalid") from None
    trusted = _trusted(settings, public_key) if heads or since_head else None
    for head in heads:
        assert trusted is not None  # read above when heads are given
        try:
            if isinstance(head, SignedTreeHead):
                check_tree_head(head, [trusted])
            else:
                check_signature(head, [trusted])
        except CheckpointInvalid as error:
            raise _fail(str(error), 1, field="--checkpoint", rule="tree_head.signature") from None
    with _existing_store(settings) as store:
        guards = missing_guards(store)
        if since_head is not None:
            assert trusted is not None  # read above when a head is given
            try:
                checks = verify_since(store, since_head, [trusted])
            except CheckpointInvalid as error:
                raise _fail(str(error), 1, field="--since", rule="tree_head.other_log") from None
            for check in checks:
                console.print(Panel(str(check), title=f"{check.log}: grown since the signed head" if check.ok
                                    else f"{check.log} FAILED", border_style="green" if check.ok else "bold red",
                                    expand=False))  # fmt: skip
            failed = not all(c.ok for c in checks)
        else:
            old = [h for h in heads if not isinstance(h, SignedTreeHead)]
            new = [h for h in heads if isinstance(h, SignedTreeHead)]
            try:
                chain_anchors = anchors(old)
            except CheckpointInvalid as error:
                raise _fail(str(error), 1, field="--checkpoint", rule="tree_head.disagree") from None
            for head in new:
                if head.events.size:
                    chain_anchors[head.events.size] = head.events.chain_head
            report = store.verify(
                anchors=chain_anchors, roots={h.events.size: bytes.fromhex(h.events.root) for h in new}
            )
            access = AccessLog(store.engines).verify(
                roots={h.access_log.size: bytes.fromhex(h.access_log.root) for h in new}
            )
            console.print(verify_panel(report))
            if heads and report.ok:
                console.print(
                    f"The log still holds what {len(heads)} signed head(s) vouch for "
                    f"(up to position {max(h.position if hasattr(h, 'position') else h.events.size for h in heads)})."
                )
            console.print(access_panel(access))
            failed = not report.ok or not access.ok
    if guards:
        err.print(
            f"[bold red]guards missing:[/bold red] the append-only triggers {', '.join(guards)} are not in place "
            "(dropped by someone with the owner's rights?); verify does not put them back"
        )
    if failed or guards:
        raise typer.Exit(1)


def access_panel(report: AccessVerifyReport) -> Panel:
    return Panel(
        str(report),
        title="Access log verified" if report.ok else "Access log FAILED verification",
        border_style="green" if report.ok else "bold red",
        expand=False,
    )


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: DATA_DIR/checkpoints/)")
    ] = None,
) -> None:
    """Verify both logs, then sign a tree head (sizes, Merkle roots, time; Ed25519), publish it and write it to a file."""
    settings = get_settings()
    key = checkpoint_signing_key(settings)
    with _store(settings) as store:
        signed, reports = sign_current(store, key)
    if signed is None:
        for report in reports:
            console.print(Panel(str(report), border_style="green" if report.ok else "bold red", expand=False))
        raise _fail("the log does not verify; no tree head is signed for a broken log", rule="checkpoint.broken_log")
    stamp = signed.timestamp[:19].replace(":", "")
    path = out or settings.data_dir / "checkpoints" / f"tree-head-{signed.events.size:010d}-{stamp}.json"
    write_tree_head(signed, path)
    console.print(
        f"Signed tree head written to [b]{path}[/b]: {signed.events.size} events (root {signed.events.root}), "
        f"{signed.access_log.size} reads (root {signed.access_log.root}), signed by key {signed.key_fingerprint}. "
        "Keep it outside this database."
    )


# -- export -----------------------------------------------------------------------


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="The JSON Lines file to write")],
    purpose: PurposeOption,
    case_id: Annotated[str | None, typer.Argument(help="The case to export (or --all)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Export the whole log")] = False,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Export one case (each event and read with its inclusion proof) or the whole log, under a signed tree head."""
    if bool(case_id) == all_:
        raise _fail("give either a case id or --all", 2, field="case_id", rule="export.scope")
    settings = get_settings()
    caller = _caller(token, as_, local_admin, settings)
    person, role = caller.who.person_id, caller.logged_role
    key = checkpoint_signing_key(settings)
    with _store(settings) as store:
        if case_id and not store.stream_version(case_id):
            raise _fail(f"the event log has no events for case {case_id}", field="case_id", rule="case.unknown")
        if case_id is None and caller.who.role is not Role.AUDITOR:
            raise _fail("exporting the whole log is for auditors", 3, field="--all", rule="access.denied")
        # the whole log is checked against the matrix as an auditor's read of no one case
        authorize_read(
            store, caller, Action.AUDIT_EXPORT if case_id else Action.AUDIT_VERIFY, case_id, purpose, "export", settings
        )
        try:
            summary = export_log(store, out, key, case_id=case_id, exported_by={"id": person, "role": role})
        except ExportRefused as refused:
            raise _fail(str(refused), rule="export.refused") from None
    head = summary.tree_head
    proofs = " with inclusion proofs" if summary.scope == "case" else ""
    console.print(
        f"Exported {summary.events} events and {summary.reads} reads{proofs} to [b]{summary.path}[/b] "
        f"({summary.bytes:,} bytes), against the tree head of {head.events.size} events signed by key "
        f"{head.key_fingerprint}."
    )


def export_panel(report: ExportReport) -> Panel:
    return Panel(
        str(report),
        title="Export verified" if report.ok else "Export FAILED verification",
        border_style="green" if report.ok else "bold red",
        expand=False,
    )


@audit_app.command("verify-export")
def audit_verify_export(
    file: Annotated[Path, typer.Argument(help="An export written by 'samskab audit export'")],
    public_key: PublicKeyOption = None,
) -> None:
    """Check an export on its own, with no database: every hash, every proof, every signature, against a trusted key."""
    try:
        trusted = trusted_checkpoint_key(get_settings(), public_key)
    except CheckpointInvalid as error:
        raise _fail(str(error), 2, field="--public-key", rule="tree_head.untrusted") from None
    report = verify_export(file, None if trusted is None else [trusted])
    console.print(export_panel(report))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("prove")
def audit_prove(
    case_id: Annotated[str, typer.Argument(help="The case whose events to prove")],
    purpose: PurposeOption,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the proofs (default: DATA_DIR/proofs/)")
    ] = None,
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Prove each of the case's events (and reads) is in the log: inclusion proofs against a signed tree head,
    without payloads; check with verify-export."""
    settings = get_settings()
    caller = _caller(token, as_, local_admin, settings)
    key = checkpoint_signing_key(settings)
    path = out or settings.data_dir / "proofs" / f"proofs-{case_id}.jsonl"
    with _store(settings) as store:
        if not store.stream_version(case_id):
            raise _fail(f"the event log has no events for case {case_id}", field="case_id", rule="case.unknown")
        authorize_read(store, caller, Action.AUDIT_EXPORT, case_id, purpose, "inclusion proofs", settings)
        try:
            summary = export_log(
                store,
                path,
                key,
                case_id=case_id,
                payloads=False,
                exported_by={"id": caller.who.person_id, "role": caller.logged_role},
            )
        except ExportRefused as refused:
            raise _fail(str(refused), rule="prove.refused") from None
    head = summary.tree_head
    console.print(
        f"{summary.events} events and {summary.reads} reads of case {case_id} proven against the tree head of "
        f"{head.events.size} events (root {head.events.root}) and {head.access_log.size} reads, signed by key "
        f"{head.key_fingerprint}: [b]{summary.path}[/b] ({summary.bytes:,} bytes)."
    )


# -- erasure ----------------------------------------------------------------------


@audit_app.command("erase")
def audit_erase(
    citizen: Annotated[str, typer.Argument(help="The citizen's CPR number, or a case id of theirs")],
    basis: Annotated[str, typer.Option("--basis", help="The legal basis, e.g. 'GDPR art. 17(1)(a)'")],
    as_: AsOption = None,
    token: TokenOption = None,
    local_admin: LocalAdminOption = False,
) -> None:
    """Erase a citizen's personal data: record the erasure, destroy their key. The chain stays intact."""
    settings = get_settings()
    caller = authenticate(token, as_, local_admin, settings, example="administrator:ole")
    role, person = caller.who.role.value, caller.who.person_id
    with _store(settings) as store:
        try:
            result = erase_citizen(
                store,
                open_key_store(store, settings),
                citizen,
                basis=basis,
                actor_id=person,
                actor_role=role,
                retention=settings.retention,
            )
        except ErasureRefused as refused:
            raise _fail(refused.message, 1, field=refused.field, rule=refused.rule) from None
        except (EventLogError, ValueError) as error:
            raise _fail(
                str(error), 1, field="--basis" if "basis" in str(error) else "citizen", rule="erasure.failed"
            ) from None
        report = store.verify()
    console.print(
        f"Erased: key {result.key_id} destroyed at {result.status.erased_at} (basis: {result.status.erasure_basis}); "
        f"erasure recorded at position {result.position}; cases: {', '.join(result.cases) or 'none'}."
    )
    console.print(verify_panel(report))
    if not report.ok:
        raise typer.Exit(1)
