"""Exports an auditor can check on their own, with no database: JSON Lines.

Line by line::

    {"kind": "export", "format": "samskab-export/1", "scope": "all" | "case", "case": ..., "exported_at": ...}
    {"kind": "event", <every column of the events table, the payload as the stored text>}
    {"kind": "link",  <every column but the payload>}        (one-case exports only)
    {"kind": "checkpoint", <a signed checkpoint of the log's head at export time>}

Rows come in position order, from 1 to the checkpoint's position, all read in
one snapshot. A one-case export carries the case's events in full and every
other event as a *link*: its header and ``payload_hash`` but not its payload.
The row hash covers the payload's digest, not its text, so the verifier still
recomputes every hash in the chain, from the first event to the signed head,
without seeing any other citizen's data.

Payloads are exported as stored: personal fields are ciphertext (see
``eventlog.crypto``), so an export holds no personal data in the clear, and
its hashes are the ones in the database.

``verify_export`` reads such a file and checks, with nothing but the file and
the trusted public key: every row's payload digest and hash, every link, the
stream versions, that the chain ends exactly at the checkpoint's position and
hash, and the checkpoint's signature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import bindparam, select

from eventlog.checkpoints import Checkpoint, CheckpointInvalid, check_signature, sign_checkpoint
from eventlog.errors import EventLogError
from eventlog.hashing import format_timestamp
from eventlog.records import VerifyReport
from eventlog.schema import events, log_head
from eventlog.verification import VERIFY_COLUMNS, ChainWalker

FORMAT = "samskab-export/1"
BATCH = 5_000
_HEADER_COLUMNS = tuple(c for c in VERIFY_COLUMNS if c != "payload")


class ExportRefused(EventLogError):
    """The log does not verify; an export would sign a broken chain."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        super().__init__(f"the event log does not verify, so it is not exported and signed: {report}")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    scope: str
    case_id: str | None
    events: int
    links: int
    checkpoint: Checkpoint


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The outcome of checking an export file on its own."""

    ok: bool
    scope: str | None
    case_id: str | None
    events: int
    checked: int
    checkpoint: Checkpoint | None
    key_trusted: bool
    fault: str | None = None
    first_bad_position: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.ok:
            what = "the whole log" if self.scope == "all" else f"case {self.case_id}"
            trust = (
                f"signed by trusted key {self.checkpoint.key_fingerprint}"
                if self.key_trusted
                else f"signed by key {self.checkpoint.key_fingerprint} (NOT checked against a trusted key)"
            )
            return (
                f"export OK: {what}, {self.events} events in full, {self.checked} chain links verified "
                f"up to position {self.checkpoint.position}, {trust}"
            )
        where = f" at position {self.first_bad_position}" if self.first_bad_position is not None else ""
        return f"export BROKEN: {self.fault}{where}: {self.detail}"


# -- writing -------------------------------------------------------------------------


def export_log(
    store,
    out: Path,
    private_key: Ed25519PrivateKey,
    *,
    case_id: str | None = None,
    exported_by: dict[str, str] | None = None,
) -> ExportSummary:
    """Write the whole log, or one case with links through the rest, and a signed checkpoint.

    The log is verified while it is read (same snapshot); a broken log is not exported.
    """
    engines = store.engines
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = [events.c[name] for name in VERIFY_COLUMNS]
    batch = (
        select(*columns)
        .where(events.c.position > bindparam("after"))
        .order_by(events.c.position)
        .limit(bindparam("limit"))
    )
    walker = ChainWalker()
    counts = {"event": 0, "link": 0}
    partial = out.with_name(out.name + ".partial")
    with engines.read.connect() as conn, partial.open("w", encoding="utf-8") as handle:
        conn = conn.execution_options(**engines.snapshot_options)
        with conn.begin():
            _line(handle, {
                "kind": "export",
                "format": FORMAT,
                "scope": "all" if case_id is None else "case",
                "case": case_id,
                "exported_at": format_timestamp(datetime.now(timezone.utc)),
                "exported_by": exported_by,
            })
            after = 0
            while True:
                rows = conn.execute(batch, {"after": after, "limit": BATCH}).all()
                if not rows:
                    break
                failed = walker.feed(rows)
                if failed is not None:
                    raise ExportRefused(failed)
                for row in rows:
                    record = dict(zip(VERIFY_COLUMNS, row))
                    if case_id is None or record["stream_id"] == case_id:
                        kind = "event"
                    else:
                        kind = "link"
                        del record["payload"]
                    counts[kind] += 1
                    _line(handle, {"kind": kind, **record})
                after = rows[-1][2]
            head = conn.execute(select(log_head.c.position, log_head.c.hash)).first()
            report = walker.finish(None if head is None else (head[0], head[1]))
            if not report.ok:
                raise ExportRefused(report)
            checkpoint = sign_checkpoint(private_key, report.head_position, report.head_hash)
            _line(handle, {"kind": "checkpoint", **checkpoint.to_dict()})
    partial.replace(out)
    return ExportSummary(out, "all" if case_id is None else "case", case_id, counts["event"], counts["link"], checkpoint)


def _line(handle: TextIO, record: dict[str, Any]) -> None:
    handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# -- checking ------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, fault: str, detail: str, position: int | None = None) -> None:
        super().__init__(detail)
        self.fault, self.detail, self.position = fault, detail, position


def _records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            raise _Bad("malformed", f"line {number} is not JSON: {err.msg}") from None
        if not isinstance(record, dict) or "kind" not in record:
            raise _Bad("malformed", f"line {number} is not an export record (no 'kind')")
        yield number, record


def _row(number: int, record: dict[str, Any], with_payload: bool) -> tuple[Any, ...]:
    try:
        values = tuple(record[name] for name in _HEADER_COLUMNS)
    except KeyError as err:
        raise _Bad("malformed", f"line {number}: the {record['kind']} has no {err.args[0]!r} field") from None
    payload = record.get("payload") if with_payload else None
    if with_payload and not isinstance(payload, str):
        raise _Bad("malformed", f"line {number}: an event's payload must be the stored JSON text")
    for name, value in zip(_HEADER_COLUMNS, values):
        if name in ("position", "stream_version", "schema_version") and type(value) is not int:
            raise _Bad("malformed", f"line {number}: {name} must be an integer, got {value!r}")
    return (*values, payload)


def verify_export(path: Path, trusted: Iterable[Ed25519PublicKey] | None) -> ExportReport:
    """Check an export file on its own. ``trusted=None`` checks the signature only
    against the key the file carries, and the report says so."""
    header: dict[str, Any] | None = None
    checkpoint: Checkpoint | None = None
    walker: ChainWalker | None = None
    full_events = 0
    pending: list[tuple[Any, ...]] = []

    def flush() -> None:
        failed = walker.feed(pending)  # type: ignore[union-attr]
        pending.clear()
        if failed is not None:
            raise _Bad(failed.fault or "broken", failed.detail, failed.first_bad_position)

    try:
        try:
            handle = path.open(encoding="utf-8")
        except OSError as err:
            raise _Bad("unreadable", f"cannot read {path}: {err.strerror}") from None
        with handle:
            for number, record in _records(handle):
                kind = record["kind"]
                if header is None:
                    if kind != "export" or record.get("format") != FORMAT:
                        raise _Bad("malformed", f"line {number}: an export starts with its header (format {FORMAT})")
                    if record.get("scope") not in ("all", "case") or (record["scope"] == "case") != bool(record.get("case")):
                        raise _Bad("malformed", f"line {number}: the header's scope must be 'all', or 'case' with a case id")
                    header, walker = record, ChainWalker()
                    continue
                if checkpoint is not None:
                    raise _Bad("malformed", f"line {number}: nothing may follow the checkpoint")
                if kind in ("event", "link"):
                    row = _row(number, record, with_payload=kind == "event")
                    if kind == "event":
                        if header["scope"] == "case" and row[3] != header["case"]:
                            raise _Bad("malformed", f"line {number}: an event of case {row[3]} in an export of case {header['case']}", row[2])
                        full_events += 1
                    elif header["scope"] == "all" or row[3] == header["case"]:
                        raise _Bad("changed_payload", f"line {number}: an event of the exported scope comes without its payload", row[2])
                    pending.append(row)
                    if len(pending) >= BATCH:
                        flush()
                elif kind == "checkpoint":
                    flush()
                    fields = {k: v for k, v in record.items() if k != "kind"}
                    try:
                        checkpoint = Checkpoint.from_dict(fields)
                    except CheckpointInvalid as err:
                        raise _Bad("checkpoint_invalid", f"line {number}: {err}") from None
                else:
                    raise _Bad("malformed", f"line {number}: unknown record kind {kind!r}")
        if header is None:
            raise _Bad("malformed", "the file is empty: no export header")
        if checkpoint is None:
            raise _Bad("checkpoint_missing", "the export has no checkpoint line at its end (cut short?)")
        try:
            check_signature(checkpoint, trusted)
        except CheckpointInvalid as err:
            raise _Bad("checkpoint_invalid", str(err)) from None
        final = walker.finish((checkpoint.position, checkpoint.head_hash))  # type: ignore[union-attr]
        if not final.ok:
            fault = "checkpoint_mismatch" if final.fault == "head_mismatch" else final.fault
            raise _Bad(fault or "broken", final.detail.replace("the head", "the checkpoint"), final.first_bad_position)
    except _Bad as bad:
        return ExportReport(
            ok=False,
            scope=None if header is None else header.get("scope"),
            case_id=None if header is None else header.get("case"),
            events=full_events,
            checked=0 if walker is None else walker.checked,
            checkpoint=checkpoint,
            key_trusted=False,
            fault=bad.fault,
            first_bad_position=bad.position,
            detail=bad.detail,
        )
    return ExportReport(
        ok=True,
        scope=header["scope"],
        case_id=header.get("case"),
        events=full_events,
        checked=final.checked,
        checkpoint=checkpoint,
        key_trusted=trusted is not None,
    )
