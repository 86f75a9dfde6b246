"""Walking the chain: the checks ``EventStore.verify`` makes on every row.

Kept apart from the store so the rules read as one piece, and written for
speed (plain tuples, local names) because it runs over the whole log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventlog.hashing import GENESIS_HASH, event_digest, payload_hash
from eventlog.records import VerifyReport

#: Order of the columns a verifier selects. Columns 1..13 are exactly the
#: arguments of ``event_hash`` (and ``event_digest``), so a row slice can be passed on as is.
VERIFY_COLUMNS = (
    "hash",
    "prev_hash",
    "position",
    "stream_id",
    "stream_version",
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "actor_id",
    "actor_role",
    "legal_basis",
    "payload_hash",
    "payload",
)


def stored_in_rows(rows: Sequence[Sequence[Any]]) -> dict[int, bytes]:
    """The Merkle subtree roots stored in event rows read as ``VERIFY_COLUMNS`` plus
    ``merkle_nodes``, by leaf (position - 1), for ``TreeWalk.feed_entries``."""
    return {row[2] - 1: bytes(row[15]) for row in rows if row[15] is not None}


class ChainWalker:
    """Checks rows fed in position order and remembers only what the next row needs.

    Memory is one dict entry per stream (its last version), whatever the log's size.

    ``anchors`` maps positions to the hash each must have (from a signed
    checkpoint). A row whose payload is ``None`` (a row of another case in a
    one-case export) is checked from its ``payload_hash`` alone: the row hash
    covers that digest, not the payload text.
    """

    def __init__(self, anchors: Mapping[int, str] | None = None) -> None:
        self.checked = 0
        self.last_position = 0
        self.last_hash = GENESIS_HASH
        self.stream_versions: dict[str, int] = {}
        self.anchors = dict(anchors or {})

    def feed(self, rows: Sequence[Sequence[Any]], entries: list[bytes] | None = None) -> VerifyReport | None:
        """Check a batch; return a failing report at the first fault, else None.

        ``entries``, when given, gets the raw hash of each row that passed (its
        Merkle entry, ``eventlog.merkle``), computed here anyway: the tree walk
        then need not decode the hex again.
        """
        expected_position = self.last_position + 1
        last_hash = self.last_hash
        versions = self.stream_versions
        digest_of = event_digest
        keep = entries.append if entries is not None else None
        checked = 0
        fault = None
        for row in rows:
            # One unpacking, no slices: this loop runs once per row of the log.
            (stored_hash, prev_hash, position, stream_id, stream_version, event_id, event_type, schema_version,
             occurred_at, recorded_at, actor_id, actor_role, legal_basis, digest_hex, payload) = row[:15]  # fmt: skip
            if position != expected_position:
                fault = (
                    "gap",
                    expected_position,
                    f"position {expected_position} is missing; the next row is at {position}",
                )
            elif prev_hash != last_hash:
                fault = (
                    "broken_chain",
                    position,
                    f"prev_hash {prev_hash} does not match the hash {last_hash} of position {position - 1}",
                )
            elif payload is not None and payload_hash(payload) != digest_hex:
                fault = ("changed_payload", position, "the payload does not match its stored payload_hash")
            elif (
                digest := digest_of(
                    prev_hash,
                    position,
                    stream_id,
                    stream_version,
                    event_id,
                    event_type,
                    schema_version,
                    occurred_at,
                    recorded_at,
                    actor_id,
                    actor_role,
                    legal_basis,
                    digest_hex,
                )
            ).hex() != stored_hash:
                fault = (
                    "changed_header",
                    position,
                    "a header field (stream, version, id, type, times, actor, legal basis) "
                    "does not match the stored hash",
                )
            else:
                previous_version = versions.get(stream_id, 0)
                if stream_version != previous_version + 1:
                    fault = (
                        "stream_version_gap",
                        position,
                        f"stream {stream_id} goes from version {previous_version} to {stream_version}",
                    )
            if fault is not None:
                break
            versions[stream_id] = stream_version
            if keep is not None:
                keep(digest)
            last_hash = stored_hash
            expected_position += 1
            checked += 1
        first_position = self.last_position + 1
        self.checked += checked
        self.last_position = expected_position - 1
        self.last_hash = last_hash
        if fault is None and self.anchors and checked:
            fault = self._check_anchors(rows, first_position)
        return None if fault is None else self._fail(*fault)

    def _check_anchors(self, rows: Sequence[Sequence[Any]], first_position: int) -> tuple[str, int, str] | None:
        """Compare the rows just passed with the checkpoint anchors that fall among them."""
        for position in sorted(p for p in self.anchors if first_position <= p <= self.last_position):
            stored_hash = rows[position - first_position][0]
            if stored_hash != self.anchors[position]:
                return (
                    "checkpoint_mismatch",
                    position,
                    f"the hash at position {position} is {stored_hash}, but the signed checkpoint says "
                    f"{self.anchors[position]}: events up to position {position} were changed and the "
                    "chain recomputed",
                )
        return None

    def finish(self, head: tuple[int, str] | None) -> VerifyReport:
        """Compare the head row with the last row walked; the log must end where the head says."""
        if head is None:
            return self._fail("head_mismatch", self.last_position + 1, "the head row is missing")
        head_position, head_hash = head
        beyond = [p for p in self.anchors if p > self.last_position]
        if beyond:
            return self._fail(
                "checkpoint_mismatch",
                self.last_position + 1,
                f"a signed checkpoint covers positions up to {max(beyond)}, but the log ends at "
                f"position {self.last_position}: events were removed from its end",
            )
        if head_position != self.last_position:
            return self._fail(
                "head_mismatch",
                min(head_position, self.last_position) + 1,
                f"the head is at position {head_position} but the last row is at {self.last_position}",
            )
        if head_hash != self.last_hash:
            return self._fail(
                "head_mismatch",
                head_position,
                f"the head hash {head_hash} differs from the hash {self.last_hash} of the last row",
            )
        return VerifyReport(ok=True, checked=self.checked, head_position=self.last_position, head_hash=self.last_hash)

    def _fail(self, fault: str, position: int, detail: str) -> VerifyReport:
        return VerifyReport(
            ok=False,
            checked=self.checked,
            head_position=self.last_position,
            head_hash=self.last_hash,
            fault=fault,
            first_bad_position=position,
            detail=detail,
        )
