"""Signed tree heads: both logs' sizes and Merkle roots, signed with Ed25519, kept outside.

A signed tree head (after RFC 9162 section 4.10, "Signed Tree Head") is a
small JSON file::

    {"format": "samskab-tree-head/1", "log_id": "<uuid of this database's log>",
     "timestamp": "2026-03-01T09:30:00.000000Z",
     "events":     {"size": 1234, "root": "<64 hex>", "chain_head": "<64 hex>"},
     "access_log": {"size": 567,  "root": "<64 hex>", "chain_head": "<64 hex>"},
     "public_key": "<base64 raw 32 bytes>", "signature": "<base64 64 bytes>"}

``root`` is the RFC 9162 Merkle root over the log's first ``size`` rows
(``eventlog.merkle``), ``chain_head`` the chain hash of row ``size`` (so a
head also anchors the hash chain, as the checkpoints it extends did). The
signature covers the compact JSON (sorted keys) of every field but
``signature``. ``log_id`` is made with the database: a head of another
installation's log is refused, not compared.

What a head is good for:

* ``verify --since HEAD``: the log only grew since the head (the stored
  subtrees still give the signed root, every new row is checked and the tree
  recomputed over it, a consistency proof leads from the old root to the new),
  in time proportional to the new rows;
* ``verify --checkpoint HEAD``: the whole walk, and the roots at the signed sizes;
* inclusion proofs in exports and ``audit prove`` are against a signed head.

Heads are signed only over a log that verifies, and kept in ``tree_heads``
for publication (``GET /audit/tree-head``). Trust comes from a public key the
verifier pins, never from the key a file carries.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, func, select

from eventlog.access_log import AccessLog, check_access_rows
from eventlog.checkpoints import CheckpointInvalid, fingerprint, raw_public
from eventlog.hashing import GENESIS_HASH, format_timestamp
from eventlog.merkle import ProofError, entry_of, verify_consistency
from eventlog.merkle_store import NodeReader, TreeMissing, TreeWalk, log_table, read_state
from eventlog.schema import ACCESS_TREE, EVENTS_TREE, TREE_NAMES, access_log, events, log_identity, tree_heads
from eventlog.verification import ChainWalker, stored_in_rows

FORMAT = "samskab-tree-head/1"
_HEX = frozenset("0123456789abcdef")
_BATCH = 10_000


class TreeHeadInvalid(CheckpointInvalid):
    """A tree head file is malformed, of another log, its signature does not hold, or its key is not trusted."""


@dataclass(frozen=True, slots=True)
class TreeSummary:
    """One log's part of a head: its size, Merkle root and last chain hash (hex)."""

    size: int
    root: str
    chain_head: str

    @classmethod
    def from_dict(cls, name: str, data: Any) -> TreeSummary:
        if not isinstance(data, dict):
            raise TreeHeadInvalid(f"the tree head's {name!r} must be an object with size, root and chain_head")
        try:
            summary = cls(size=data["size"], root=data["root"], chain_head=data["chain_head"])
        except KeyError as err:
            raise TreeHeadInvalid(f"the tree head's {name!r} has no {err.args[0]!r} field") from None
        if type(summary.size) is not int or summary.size < 0:
            raise TreeHeadInvalid(f"{name}.size must be an integer >= 0, got {summary.size!r}")
        for field in ("root", "chain_head"):
            value = getattr(summary, field)
            if not (isinstance(value, str) and len(value) == 64 and set(value) <= _HEX):
                raise TreeHeadInvalid(f"{name}.{field} must be 64 lowercase hex characters (a sha256 digest)")
        return summary


@dataclass(frozen=True, slots=True)
class SignedTreeHead:
    log_id: str
    timestamp: str
    events: TreeSummary
    access_log: TreeSummary
    public_key: str
    signature: str
    format: str = FORMAT

    def statement(self) -> bytes:
        """The bytes the signature covers."""
        fields = {k: v for k, v in self.to_dict().items() if k != "signature"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def tree(self, tree: int) -> TreeSummary:
        return self.events if tree == EVENTS_TREE else self.access_log

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(base64.b64decode(self.public_key))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> SignedTreeHead:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise TreeHeadInvalid(f"not a signed tree head: the format field must be {FORMAT!r}")
        try:
            head = cls(
                log_id=data["log_id"],
                timestamp=data["timestamp"],
                events=TreeSummary.from_dict("events", data["events"]),
                access_log=TreeSummary.from_dict("access_log", data["access_log"]),
                public_key=data["public_key"],
                signature=data["signature"],
            )
        except KeyError as err:
            raise TreeHeadInvalid(f"the tree head has no {err.args[0]!r} field") from None
        for name in ("log_id", "timestamp", "public_key", "signature"):
            if not isinstance(getattr(head, name), str) or not getattr(head, name):
                raise TreeHeadInvalid(f"the tree head's {name} must be a non-empty text")
        return head


def sign_tree_head(
    private_key: Ed25519PrivateKey, log_id: str, events_tree: TreeSummary, access_tree: TreeSummary
) -> SignedTreeHead:
    unsigned = SignedTreeHead(
        log_id=log_id,
        timestamp=format_timestamp(datetime.now(UTC)),
        events=events_tree,
        access_log=access_tree,
        public_key=base64.b64encode(raw_public(private_key.public_key())).decode("ascii"),
        signature="",
    )
    signature = base64.b64encode(private_key.sign(unsigned.statement())).decode("ascii")
    return SignedTreeHead(**{**_shallow(unsigned), "signature": signature})


def _shallow(head: SignedTreeHead) -> dict[str, Any]:
    return {name: getattr(head, name) for name in SignedTreeHead.__dataclass_fields__}


def check_tree_head(head: SignedTreeHead, trusted: list[Ed25519PublicKey] | None) -> None:
    """Raise TreeHeadInvalid unless the head is signed by one of the ``trusted`` keys.

    There is no "no key" mode: a signature checked against the key the file
    carries proves nothing (anyone can re-sign a forged head with a key of their own).
    """
    if not trusted:
        raise TreeHeadInvalid(
            "no trusted public key to check the tree head's signature with: pass --public-key "
            "(the installation's checkpoint-signing.pem.pub, obtained from the municipality, not from the file)"
        )
    try:
        carried = Ed25519PublicKey.from_public_bytes(base64.b64decode(head.public_key, validate=True))
        signature = base64.b64decode(head.signature, validate=True)
    except ValueError as err:
        raise TreeHeadInvalid(f"the tree head's public key or signature is not valid base64 Ed25519: {err}") from None
    trusted_raw = {raw_public(k) for k in trusted}
    if raw_public(carried) not in trusted_raw:
        raise TreeHeadInvalid(
            f"the tree head is signed with key {head.key_fingerprint}, which is not the trusted key "
            f"({', '.join(sorted(fingerprint(k) for k in trusted_raw))})"
        )
    try:
        carried.verify(signature, head.statement())
    except InvalidSignature:
        raise TreeHeadInvalid(
            "the tree head's signature does not match its contents: the file was changed after it was signed"
        ) from None


# -- files ---------------------------------------------------------------------------------


def write_tree_head(head: SignedTreeHead, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(head.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_tree_head(path: Path) -> SignedTreeHead:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise TreeHeadInvalid(f"cannot read tree head {path}: {err.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise TreeHeadInvalid(f"tree head {path} is not JSON: {err}") from None
    try:
        return SignedTreeHead.from_dict(data)
    except TreeHeadInvalid as err:
        raise TreeHeadInvalid(f"{path}: {err}") from None


# -- the database side ---------------------------------------------------------------------


def log_id_of(conn: Connection) -> str:
    row = conn.execute(select(log_identity.c.log_id)).first()
    if row is None:
        raise TreeMissing("the database has no log identity row (log_identity)")
    return row[0]


def latest_published(store) -> SignedTreeHead | None:
    """The last head this installation signed and kept, if any."""
    with store.engines.read.connect() as conn:
        row = conn.execute(select(tree_heads.c.signed).order_by(tree_heads.c.id.desc()).limit(1)).first()
    return None if row is None else SignedTreeHead.from_dict(json.loads(row[0]))


def publish(store, head: SignedTreeHead) -> None:
    """Keep a signed head in ``tree_heads``, where the HTTP API serves it from."""
    with store.engines.write.begin() as conn:
        conn.execute(
            tree_heads.insert().values(
                events_size=head.events.size,
                access_size=head.access_log.size,
                created_at=head.timestamp,
                signed=json.dumps(head.to_dict(), sort_keys=True, separators=(",", ":")),
            )
        )


@dataclass(frozen=True, slots=True)
class TreeCheck:
    """How one log fared against a signed head."""

    log: str
    ok: bool
    first_size: int
    size: int
    checked: int
    root: str | None = None
    chain_head: str | None = None
    proof_length: int = 0
    fault: str | None = None
    first_bad_position: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        if self.ok:
            return (
                f"{self.log}: grew from {self.first_size} to {self.size} rows; {self.checked} new rows checked, "
                f"consistency proof of {self.proof_length} hashes verified, root {self.root}"
            )
        return f"{self.log} BROKEN: {self.fault} at position {self.first_bad_position}: {self.detail}"

    def summary(self) -> TreeSummary:
        assert self.ok and self.root is not None and self.chain_head is not None
        return TreeSummary(self.size, self.root, self.chain_head)


def verify_since(store, head: SignedTreeHead, trusted: list[Ed25519PublicKey] | None) -> list[TreeCheck]:
    """Check that both logs only grew since ``head``, in time proportional to the new rows.

    Per log, in one snapshot: the stored complete subtrees of the head's size
    must give the signed root, and the row at the head's size its chain hash;
    every newer row is checked (its chain link and hash; for events, its
    payload digest and stream version) and the tree is grown over it from the
    old frontier and compared with the stored tree; finally a consistency proof
    (RFC 9162 2.1.4) from the stored nodes must lead from the signed root to
    the recomputed one. Read-only.
    """
    check_tree_head(head, trusted)
    results = []
    with store.engines.read.connect() as conn:
        conn = conn.execution_options(**store.engines.snapshot_options)
        with conn.begin():
            log_id = log_id_of(conn)
            if head.log_id != log_id:
                raise TreeHeadInvalid(
                    f"the tree head is of log {head.log_id}, but this database holds log {log_id}: "
                    "a head from another installation (or another database) proves nothing here"
                )
            for tree in (EVENTS_TREE, ACCESS_TREE):
                results.append(_grown_since(store, conn, tree, head.tree(tree)))
    return results


def _grown_since(store, conn: Connection, tree: int, old: TreeSummary) -> TreeCheck:
    name = TREE_NAMES[tree]

    def fail(fault: str, position: int, detail: str, checked: int = 0, size: int = 0) -> TreeCheck:
        return TreeCheck(name, False, old.size, size, checked, fault=fault, first_bad_position=position, detail=detail)

    try:
        state = read_state(conn, tree)
    except TreeMissing as missing:
        return fail("head_mismatch", 1, str(missing))
    if state.size < old.size:
        return fail("tree_head_mismatch", state.size + 1,
                    f"the signed head covers {old.size} rows, but the log holds {state.size}: rows were removed from its end",
                    size=state.size)  # fmt: skip
    reader = NodeReader(conn, tree)
    try:
        old_frontier = reader.frontier_at(old.size)
    except TreeMissing as missing:
        return fail("tree_mismatch", old.size, str(missing), size=state.size)
    if old_frontier.root().hex() != old.root:
        return fail("tree_head_mismatch", old.size,
                    f"the stored tree of the first {old.size} rows no longer has the signed root: the log was rewritten",
                    size=state.size)  # fmt: skip
    table = log_table(tree)
    if old.size:
        row = conn.execute(select(table.c.hash).where(table.c.position == old.size)).first()
        if row is None or row[0] != old.chain_head:
            return fail("tree_head_mismatch", old.size,
                        f"the row at position {old.size} no longer has the signed chain hash", size=state.size)  # fmt: skip
    walk = TreeWalk(tree, start=old_frontier)
    last_hash = old.chain_head if old.size else GENESIS_HASH
    checked = 0
    if tree == EVENTS_TREE:
        walker = ChainWalker()
        walker.last_position, walker.last_hash = old.size, last_hash
    after = old.size
    while True:
        if tree == EVENTS_TREE:
            rows = store.verify_rows(conn, after, _BATCH)
            if not rows:
                break
            versions = walker.stream_versions
            versions.update(_versions_before(conn, old.size, {r[3] for r in rows if r[3] not in versions}))
            entries: list[bytes] = []
            report = walker.feed(rows, entries)
            checked = walker.checked
            if report is not None:
                return fail(report.fault or "broken_chain", report.first_bad_position or after + 1, report.detail,
                            checked, state.size)  # fmt: skip
            after, last_hash = rows[-1][2], rows[-1][0]
            fault = walk.feed_entries(conn, entries, stored_in_rows(rows))
        else:
            rows = conn.execute(
                select(*access_log.c).where(access_log.c.position > after).order_by(access_log.c.position).limit(_BATCH)
            ).all()
            if not rows:
                break
            fault, _, last_hash, passed = check_access_rows(rows, after + 1, last_hash)
            checked += passed
            if fault is not None:
                return fail(*fault, checked, state.size)
            after = rows[-1][0]
            fault = walk.feed_entries(conn, [entry_of(r[-1]) for r in rows])
        if fault is not None:
            return fail(*fault, checked, state.size)
    fault = walk.finish(state, last_hash)
    if fault is not None:
        return fail(*fault, checked, state.size)
    new_root = walk.root()
    try:
        proof = reader.consistency_proof(old.size, state.size)
        verify_consistency(old.size, state.size, bytes.fromhex(old.root), new_root, proof)
    except (ProofError, TreeMissing) as err:
        return fail("tree_mismatch", state.size, f"the consistency proof from the stored tree fails: {err}",
                    checked, state.size)  # fmt: skip
    return TreeCheck(name, True, old.size, state.size, checked, new_root.hex(), last_hash, len(proof))


def _versions_before(conn: Connection, size: int, streams: set[str]) -> dict[str, int]:
    """Each of ``streams`` (streams of rows after ``size`` met for the first time) that has rows
    up to ``size``: its version at ``size`` (for the stream-version check). Asked per batch,
    for the streams the batch names, through the (stream, version) index: no second pass
    over the new rows."""
    if not streams:
        return {}
    rows = conn.execute(
        select(events.c.stream_id, func.max(events.c.stream_version))
        .where(events.c.position <= size, events.c.stream_id.in_(sorted(streams)))
        .group_by(events.c.stream_id)
    ).all()
    return {stream: version for stream, version in rows}


def sign_current(
    store, private_key: Ed25519PrivateKey, *, since: SignedTreeHead | None = None
) -> tuple[SignedTreeHead | None, list]:
    """Verify both logs and, only if they verify, sign and publish a head of what was verified.

    ``since``: a head this installation signed before; then only what was
    appended after it is checked (``verify_since``), else the whole of both logs.
    Returns the head (None when a log does not verify) and the reports.
    """
    with store.engines.read.connect() as conn:
        log_id = log_id_of(conn)
    if since is not None:
        checks = verify_since(store, since, [private_key.public_key()])
        if not all(c.ok for c in checks):
            return None, checks
        events_tree, access_tree = checks[0].summary(), checks[1].summary()
    else:
        report = store.verify()
        access = AccessLog(store.engines).verify()
        if not (report.ok and access.ok):
            return None, [report, access]
        assert report.tree_root is not None and access.tree_root is not None  # a log that verified has its root
        events_tree = TreeSummary(report.head_position, report.tree_root, report.head_hash)
        access_tree = TreeSummary(access.checked, access.tree_root, access.head_hash)
        return _sign_and_publish(store, private_key, log_id, events_tree, access_tree), [report, access]
    return _sign_and_publish(store, private_key, log_id, events_tree, access_tree), checks


def _sign_and_publish(
    store, private_key: Ed25519PrivateKey, log_id: str, events_tree: TreeSummary, access_tree: TreeSummary
) -> SignedTreeHead:
    head = sign_tree_head(private_key, log_id, events_tree, access_tree)
    publish(store, head)
    return head
