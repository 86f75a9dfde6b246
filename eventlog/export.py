"""Exports an auditor can check on their own, with no database: JSON Lines with Merkle proofs.

Line by line::

    {"kind": "export", "format": "samskab-export/2", "scope": "all" | "case", "case": ...,
     "payloads": true, "exported_at": ..., "exported_by": ..., "events": N, "reads": M,
     "tree_head_signature": ..., "signature": ...}
    {"kind": "tree_head", <a signed tree head of both logs, eventlog.tree_heads>}
    {"kind": "event", <every column of the events table, the payload as the stored text>, "proof": [...]}
    {"kind": "read",  <every column of the access log>, "proof": [...]}

A one-case export holds the case's events and the reads of the case (and
reads of the whole log, which include it), each with its inclusion proof
(RFC 9162 2.1.3: the audit path, hex, leaf side first) against the signed
head's root: its size grows with the case's rows times log2 of the log's
size, never with the log. A whole-log export holds every row without proofs:
the verifier recomputes both roots. ``audit prove`` writes the same file
without payloads (``"payloads": false``): the row hash covers the payload's
digest, so the proofs hold without the text.

The header is signed with the same key as the head: it binds the counts (so
rows cut from the file are noticed) and the head it belongs to.

Payloads are exported as stored: personal fields are ciphertext (see
``eventlog.crypto``), so an export holds no personal data in the clear.

A head is signed only over a log that verifies: since the last head this
installation signed (``verify_since``, proportional to the rows added since),
or, with no such head, the whole log.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import bindparam, select

from eventlog.access_log import access_hash, check_access_rows
from eventlog.errors import EventLogError
from eventlog.hashing import GENESIS_HASH, event_hash, format_timestamp, payload_hash
from eventlog.merkle import Frontier, ProofError, row_leaf, verify_inclusion
from eventlog.merkle_store import NodeReader
from eventlog.schema import ACCESS_TREE, EVENTS_TREE, access_log, events
from eventlog.tree_heads import (
    SignedTreeHead,
    TreeHeadInvalid,
    check_tree_head,
    latest_published,
    log_id_of,
    sign_current,
)
from eventlog.verification import VERIFY_COLUMNS, ChainWalker

FORMAT = "samskab-export/2"
BATCH = 5_000
_HEADER_COLUMNS = tuple(c for c in VERIFY_COLUMNS if c != "payload")
_ACCESS_COLUMNS = tuple(c.name for c in access_log.c)


class ExportRefused(EventLogError):
    """The log does not verify (a head would vouch for a broken log), or there is nothing to export."""

    def __init__(self, report: Any, message: str | None = None) -> None:
        self.report = report
        super().__init__(message or f"the log does not verify, so it is not exported and signed: {report}")


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    scope: str
    case_id: str | None
    events: int
    reads: int
    tree_head: SignedTreeHead
    bytes: int


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The outcome of checking an export file on its own."""

    ok: bool
    scope: str | None
    case_id: str | None
    events: int
    reads: int
    tree_head: SignedTreeHead | None
    fault: str | None = None
    first_bad_position: int | None = None
    detail: str = ""

    @property
    def key_trusted(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            head = self.tree_head
            assert head is not None  # an export that verified has its head
            what = "the whole log" if self.scope == "all" else f"case {self.case_id}"
            how = "roots recomputed from every row" if self.scope == "all" else "each with its inclusion proof"
            return (
                f"export OK: {what}, {self.events} events and {self.reads} reads, {how}, against the tree head "
                f"of {head.events.size} events and {head.access_log.size} reads signed by trusted key {head.key_fingerprint}"
            )
        where = f" at position {self.first_bad_position}" if self.first_bad_position is not None else ""
        return f"export BROKEN: {self.fault}{where}: {self.detail}"


# -- writing -------------------------------------------------------------------------


def _trusted_latest(store, private_key: Ed25519PrivateKey) -> SignedTreeHead | None:
    """The last published head, if this key signed it for this log (else a full verification)."""
    head = latest_published(store)
    if head is None:
        return None
    try:
        check_tree_head(head, [private_key.public_key()])
    except TreeHeadInvalid:
        return None
    with store.engines.read.connect() as conn:
        return head if head.log_id == log_id_of(conn) else None


def export_log(
    store,
    out: Path,
    private_key: Ed25519PrivateKey,
    *,
    case_id: str | None = None,
    exported_by: dict[str, str] | None = None,
    payloads: bool = True,
) -> ExportSummary:
    """Write one case with inclusion proofs, or the whole log, under a freshly signed tree head."""
    engines = store.engines
    if case_id is not None:
        with engines.read.connect() as conn:
            if conn.execute(select(events.c.position).where(events.c.stream_id == case_id).limit(1)).first() is None:
                raise ExportRefused(None, f"the event log has no events for case {case_id}: nothing is exported")
        head, checks = sign_current(store, private_key, since=_trusted_latest(store, private_key))
    else:
        head, checks = sign_current(store, private_key)
    if head is None:
        raise ExportRefused(next(c for c in checks if not c.ok))
    size, reads_size = head.events.size, head.access_log.size
    event_lines: list[dict[str, Any]] = []
    read_lines: list[dict[str, Any]] = []
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with engines.read.connect() as conn:
        if case_id is not None:
            rows = conn.execute(
                select(*(events.c[name] for name in VERIFY_COLUMNS))
                .where(events.c.stream_id == case_id, events.c.position <= size)
                .order_by(events.c.position)
            ).all()
            proofs = NodeReader(conn, EVENTS_TREE).inclusion_proofs([row[2] - 1 for row in rows], size)
            for row, proof in zip(rows, proofs, strict=True):
                event_lines.append(_event_line(row, payloads, proof))
            reads = conn.execute(
                select(*access_log.c)
                .where((access_log.c.stream_id == case_id) | access_log.c.stream_id.is_(None))
                .where(access_log.c.position <= reads_size)
                .order_by(access_log.c.position)
            ).all()
            proofs = NodeReader(conn, ACCESS_TREE).inclusion_proofs([row[0] - 1 for row in reads], reads_size)
            for row, proof in zip(reads, proofs, strict=True):
                read_lines.append(
                    {"kind": "read", **dict(zip(_ACCESS_COLUMNS, row, strict=True)), "proof": [p.hex() for p in proof]}
                )
            counts = (len(event_lines), len(read_lines))
        else:
            counts = (size, reads_size)
        header: dict[str, Any] = {
            "kind": "export",
            "format": FORMAT,
            "scope": "all" if case_id is None else "case",
            "case": case_id,
            "payloads": payloads,
            "exported_at": format_timestamp(datetime.now(UTC)),
            "exported_by": exported_by,
            "events": counts[0],
            "reads": counts[1],
            "tree_head_signature": head.signature,
        }
        header["signature"] = base64.b64encode(private_key.sign(_header_statement(header))).decode("ascii")
        with partial.open("w", encoding="utf-8") as handle:
            _line(handle, header)
            _line(handle, {"kind": "tree_head", **head.to_dict()})
            if case_id is not None:
                for record in (*event_lines, *read_lines):
                    _line(handle, record)
            else:
                _write_all(conn, handle, size, reads_size, payloads)
    partial.replace(out)
    return ExportSummary(out, header["scope"], case_id, counts[0], counts[1], head, out.stat().st_size)


def _write_all(conn, handle: TextIO, size: int, reads_size: int, payloads: bool) -> None:
    batch = (
        select(*(events.c[name] for name in VERIFY_COLUMNS))
        .where(events.c.position > bindparam("after"), events.c.position <= size)
        .order_by(events.c.position)
        .limit(BATCH)
    )
    after = 0
    while rows := conn.execute(batch, {"after": after}).all():
        for row in rows:
            _line(handle, _event_line(row, payloads, None))
        after = rows[-1][2]
    reads = select(*access_log.c).where(access_log.c.position > bindparam("after"), access_log.c.position <= reads_size)
    after = 0
    while rows := conn.execute(reads.order_by(access_log.c.position).limit(BATCH), {"after": after}).all():
        for row in rows:
            _line(handle, {"kind": "read", **dict(zip(_ACCESS_COLUMNS, row, strict=True))})
        after = rows[-1][0]


def _event_line(row, payloads: bool, proof: list[bytes] | None) -> dict[str, Any]:
    record = {"kind": "event", **dict(zip(VERIFY_COLUMNS, row, strict=True))}
    if not payloads:
        del record["payload"]
    if proof is not None:
        record["proof"] = [p.hex() for p in proof]
    return record


def _header_statement(header: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in header.items() if k != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


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


def _event_row(number: int, record: dict[str, Any], with_payload: bool) -> tuple[Any, ...]:
    try:
        values = tuple(record[name] for name in _HEADER_COLUMNS)
    except KeyError as err:
        raise _Bad("malformed", f"line {number}: the event has no {err.args[0]!r} field") from None
    payload = record.get("payload")
    if with_payload and not isinstance(payload, str):
        raise _Bad("malformed", f"line {number}: an event's payload must be the stored JSON text")
    for name, value in zip(_HEADER_COLUMNS, values, strict=True):
        if name in ("position", "stream_version", "schema_version") and type(value) is not int:
            raise _Bad("malformed", f"line {number}: {name} must be an integer, got {value!r}")
        if name in ("hash", "prev_hash", "payload_hash") and not (isinstance(value, str) and len(value) == 64):
            raise _Bad("malformed", f"line {number}: {name} must be 64 hex characters")
    return (*values, payload if with_payload else None)


def _read_row(number: int, record: dict[str, Any]) -> tuple[Any, ...]:
    try:
        row = tuple(record[name] for name in _ACCESS_COLUMNS)
    except KeyError as err:
        raise _Bad("malformed", f"line {number}: the read has no {err.args[0]!r} field") from None
    if type(row[0]) is not int or not (isinstance(row[-1], str) and len(row[-1]) == 64):
        raise _Bad("malformed", f"line {number}: a read needs an integer position and a 64-hex hash")
    return row


def _proof(number: int, record: dict[str, Any]) -> list[bytes]:
    proof = record.get("proof")
    if not isinstance(proof, list):
        raise _Bad(
            "malformed", f"line {number}: a row of a one-case export needs its inclusion proof (a list of hashes)"
        )
    try:
        return [bytes.fromhex(p) for p in proof]
    except (TypeError, ValueError):
        raise _Bad("malformed", f"line {number}: an inclusion proof is a list of hex hashes") from None


def _check_header_signature(header: dict[str, Any], trusted: list[Ed25519PublicKey]) -> None:
    try:
        signature = base64.b64decode(header.get("signature") or "", validate=True)
    except ValueError:
        raise _Bad("header_invalid", "the export header's signature is not base64") from None
    statement = _header_statement(header)
    for key in trusted:
        try:
            key.verify(signature, statement)
            return
        except InvalidSignature:
            continue
    raise _Bad("header_invalid", "the export header is not signed by the trusted key, or was changed after signing")


def verify_export(path: Path, trusted: Iterable[Ed25519PublicKey] | None) -> ExportReport:
    """Check an export file on its own, against a trusted public key (required)."""
    header: dict[str, Any] | None = None
    head: SignedTreeHead | None = None
    counts = {"event": 0, "read": 0}
    try:
        keys = list(trusted or [])
        if not keys:
            raise _Bad(
                "untrusted_key",
                "no trusted public key: pass --public-key with the installation's public key "
                "(obtained from the municipality, not from the file); a file can carry any key its forger chose",
            )
        try:
            handle = path.open(encoding="utf-8")
        except OSError as err:
            raise _Bad("unreadable", f"cannot read {path}: {err.strerror}") from None
        with handle:
            checker: _Checker | None = None
            for number, record in _records(handle):
                kind = record["kind"]
                if header is None:
                    if kind != "export" or record.get("format") != FORMAT:
                        raise _Bad("malformed", f"line {number}: an export starts with its header (format {FORMAT})")
                    if record.get("scope") not in ("all", "case") or (record["scope"] == "case") != bool(
                        record.get("case")
                    ):
                        raise _Bad(
                            "malformed", f"line {number}: the header's scope must be 'all', or 'case' with a case id"
                        )
                    if type(record.get("events")) is not int or type(record.get("reads")) is not int:
                        raise _Bad("malformed", f"line {number}: the header must count its events and reads")
                    _check_header_signature(record, keys)
                    header = record
                    continue
                if head is None:
                    if kind != "tree_head":
                        raise _Bad("malformed", f"line {number}: the signed tree head follows the header")
                    try:
                        head = SignedTreeHead.from_dict({k: v for k, v in record.items() if k != "kind"})
                        check_tree_head(head, keys)
                    except TreeHeadInvalid as err:
                        raise _Bad("tree_head_invalid", f"line {number}: {err}") from None
                    if head.signature != header.get("tree_head_signature"):
                        raise _Bad("header_invalid", "the header belongs to another tree head than the one in the file")
                    checker = _Checker(header, head)
                    continue
                if kind not in counts:
                    raise _Bad("malformed", f"line {number}: unknown record kind {kind!r}")
                counts[kind] += 1
                checker.check(number, kind, record)  # type: ignore[union-attr]
        if header is None:
            raise _Bad("malformed", "the file is empty: no export header")
        if head is None or checker is None:
            raise _Bad("tree_head_missing", "the export has no signed tree head (cut short?)")
        if (counts["event"], counts["read"]) != (header["events"], header["reads"]):
            raise _Bad(
                "incomplete",
                f"the signed header counts {header['events']} events and {header['reads']} reads, "
                f"the file holds {counts['event']} and {counts['read']}: rows were removed or added",
            )
        checker.finish()
    except _Bad as bad:
        return ExportReport(False, None if header is None else header.get("scope"),
                            None if header is None else header.get("case"), counts["event"], counts["read"], head,
                            bad.fault, bad.position, bad.detail)  # fmt: skip
    return ExportReport(True, header["scope"], header.get("case"), counts["event"], counts["read"], head)


class _Checker:
    """Checks rows against the signed head: inclusion proofs (one case) or recomputed roots (all)."""

    def __init__(self, header: dict[str, Any], head: SignedTreeHead) -> None:
        self.case = header["case"] if header["scope"] == "case" else None
        self.payloads = header.get("payloads", True) is not False
        self.head = head
        self.walker = ChainWalker()
        self.events_tree = Frontier()
        self.reads_tree = Frontier()
        self.read_next, self.read_prev = 1, GENESIS_HASH
        self.last_version = 0
        self.last_read = 0
        self.seen_reads = False

    def check(self, number: int, kind: str, record: dict[str, Any]) -> None:
        if kind == "event":
            if self.seen_reads:
                raise _Bad("malformed", f"line {number}: events come before reads")
            self._event(number, record)
        else:
            self.seen_reads = True
            self._read(number, record)

    def _event(self, number: int, record: dict[str, Any]) -> None:
        row = _event_row(number, record, self.payloads)
        position = row[2]
        if self.case is None:
            failed = self.walker.feed([row])
            if failed is not None:
                raise _Bad(failed.fault or "broken_chain", failed.detail, failed.first_bad_position)
            self.events_tree.append(row_leaf(row[0]))
            return
        if row[3] != self.case:
            raise _Bad(
                "malformed", f"line {number}: an event of case {row[3]} in an export of case {self.case}", position
            )
        if row[14] is not None and payload_hash(row[14]) != row[13]:
            raise _Bad("changed_payload", "the payload does not match its payload_hash", position)
        if event_hash(*row[1:14]) != row[0]:
            raise _Bad("changed_header", "a header field does not match the event's hash", position)
        if row[4] != self.last_version + 1:
            raise _Bad(
                "stream_version_gap", f"case {self.case} goes from version {self.last_version} to {row[4]}", position
            )
        self.last_version = row[4]
        self._prove("event", number, record, position, row[0], self.head.events)

    def _read(self, number: int, record: dict[str, Any]) -> None:
        row = _read_row(number, record)
        position = row[0]
        if self.case is None:
            fault, self.read_next, self.read_prev, _ = check_access_rows([row], self.read_next, self.read_prev)
            if fault is not None:
                raise _Bad(fault[0], f"access log: {fault[2]}", fault[1])
            self.reads_tree.append(row_leaf(row[-1]))
            return
        if row[4] not in (self.case, None):
            raise _Bad(
                "malformed", f"line {number}: a read of case {row[4]} in an export of case {self.case}", position
            )
        if position <= self.last_read:
            raise _Bad("malformed", f"line {number}: reads must come in position order", position)
        self.last_read = position
        if access_hash(row[7], *row[:7]) != row[8]:
            raise _Bad("changed_header", "access log: a field of the read does not match its hash", position)
        self._prove("read", number, record, position, row[8], self.head.access_log)

    def _prove(self, kind: str, number: int, record: dict[str, Any], position: int, row_hash: str, tree) -> None:
        proof = _proof(number, record)
        try:
            verify_inclusion(position - 1, tree.size, row_leaf(row_hash), proof, bytes.fromhex(tree.root))
        except ProofError as err:
            what = "event" if kind == "event" else "access log read"
            raise _Bad("proof_invalid", f"the {what} is not proven to be in the signed log: {err}", position) from None

    def finish(self) -> None:
        if self.case is not None:
            return
        head = self.head
        if self.walker.last_position != head.events.size or self.walker.last_hash != (
            head.events.chain_head if head.events.size else GENESIS_HASH
        ):
            raise _Bad(
                "tree_head_mismatch",
                f"the events end at position {self.walker.last_position}, the signed head covers {head.events.size}",
                self.walker.last_position + 1,
            )
        if self.events_tree.root().hex() != head.events.root:
            raise _Bad("tree_head_mismatch", "the events' Merkle root differs from the signed head's", head.events.size)
        if self.read_next - 1 != head.access_log.size or self.reads_tree.root().hex() != head.access_log.root:
            raise _Bad(
                "tree_head_mismatch",
                f"access log: the reads (up to position {self.read_next - 1}) do not give "
                f"the signed head's root over {head.access_log.size} reads",
                self.read_next,
            )


__all__ = ["ExportRefused", "ExportReport", "ExportSummary", "export_log", "verify_export"]
