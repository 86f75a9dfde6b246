"""Checking one case's events without walking the whole log.

A case's page for an auditor needs to say whether *this case* is as it was
recorded, on every view, at a cost that follows the case and not the log:

1. every row of the case is recomputed: its payload against its
   ``payload_hash``, its header and payload hash against its ``hash``
   (an edited field, e.g. a changed actor, fails here);
2. every row links to the row after it in the log (that row's ``prev_hash``
   is this row's ``hash``), so a row re-hashed after an edit breaks the chain
   right there, without reading the chain's other rows;
3. every row the last signed tree head covers is proved included in that head
   (RFC 9162 2.1.3, O(log n) stored nodes per row), so a rewrite with a
   recomputed chain and regrown trees is caught too.

The whole log is verified by ``audit verify`` / ``audit checkpoint``; this is
the per-case check in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from eventlog.hashing import event_hash, payload_hash
from eventlog.merkle import ProofError, row_leaf, verify_inclusion
from eventlog.merkle_store import NodeReader
from eventlog.schema import EVENTS_TREE
from eventlog.schema import events as events_table


@dataclass(frozen=True)
class CaseCheck:
    ok: bool
    checked: int
    #: How many of the rows were also proved included in the signed head.
    proved: int
    fault: str | None = None
    position: int | None = None

    @property
    def summary(self) -> str:
        if self.ok:
            return (f"{self.checked} hændelser genberegnet og kædet; {self.proved} bevist med i det seneste "
                    "signerede træhoved")  # fmt: skip
        return f"{self.fault} ved position {self.position}"


def check_case(store, case_id: str, head=None) -> CaseCheck:
    """Checks the case's rows (1, 2 above) and, with ``head`` (a signed tree head
    already checked against the installation's key), their inclusion in it (3)."""
    rows = store.read_stream_rows(case_id)
    for row in rows:
        (position, stream_id, version, event_id, event_type, schema_version, occurred_at, recorded_at, actor_id,
         actor_role, legal_basis, payload_text, stored_payload_hash, prev_hash, row_hash) = row  # fmt: skip
        if payload_hash(payload_text) != stored_payload_hash:
            return CaseCheck(False, 0, 0, "changed_payload", position)
        computed = event_hash(prev_hash, position, stream_id, version, event_id, event_type, schema_version,
                              occurred_at, recorded_at, actor_id, actor_role, legal_basis, stored_payload_hash)  # fmt: skip
        if computed != row_hash:
            return CaseCheck(False, 0, 0, "changed_header", position)
    hashes = {row[0]: row[14] for row in rows}
    proved = 0
    with store.engines.read.connect() as conn:
        following = dict(conn.execute(
            select(events_table.c.position, events_table.c.prev_hash)
            .where(events_table.c.position.in_([p + 1 for p in hashes]))
        ).all())  # fmt: skip
        for position, row_hash in hashes.items():
            if position + 1 in following and following[position + 1] != row_hash:
                return CaseCheck(False, len(rows), 0, "broken_chain", position + 1)
        if head is not None:
            size = head.events.size
            covered = sorted(p for p in hashes if p <= size)
            if covered:
                proofs = NodeReader(conn, EVENTS_TREE).inclusion_proofs([p - 1 for p in covered], size)
                root = bytes.fromhex(head.events.root)
                for position, proof in zip(covered, proofs, strict=True):
                    try:
                        verify_inclusion(position - 1, size, row_leaf(hashes[position]), proof, root)
                    except ProofError:
                        return CaseCheck(False, len(rows), proved, "not_in_signed_head", position)
                    proved += 1
    return CaseCheck(True, len(rows), proved)
