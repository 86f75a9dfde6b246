"""The Merkle trees in the database: grown with each append, read for proofs.

Each tree keeps two things (``eventlog.schema``):

* the roots of the complete subtrees each leaf's append completed (leaf ``i``
  completes one per trailing 1-bit of ``i``), level 1 upwards, 32 bytes each,
  written once: for the event log in the event's own row
  (``events.merkle_nodes``, NULL for the half of the rows that complete
  none), for the access log in a ``merkle_nodes`` row per such leaf. Level-0
  nodes (leaves) are not stored: a leaf is ``H(0x00 || chain hash)`` of its
  log row, read by position.
* the frontier (the roots of the complete subtrees the tree is made of): for
  the event log in its head row (``log_head.frontier``, size = the head's
  position), for the access log in its ``merkle_frontier`` row (which is that
  log's head). The append reads it with the head and writes it back with it.

So an event append dirties no page the chain alone does not (the row and the
head it writes anyway just grow a little), and a proof (RFC 9162 sections
2.1.3, 2.1.4) needs at most two indexed reads: the complete subtrees it is
assembled from, and the leaves among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select

from eventlog.errors import EventLogError
from eventlog.hashing import GENESIS_HASH
from eventlog.merkle import (
    HASH_SIZE,
    Frontier,
    NodeKey,
    assemble,
    consistency_ranges,
    entry_of,
    frontier_keys,
    inclusion_ranges,
    keys_of,
    leaf_hash,
    row_leaf,
)
from eventlog.schema import (
    ACCESS_TREE,
    EVENTS_TREE,
    HEAD_ROW_ID,
    TREE_NAMES,
    access_log,
    events,
    log_head,
    merkle_frontier,
    merkle_nodes,
)


class TreeMissing(EventLogError):
    """The database has no Merkle tree for a log (made by an older version, or removed)."""


def log_table(tree: int) -> Table:
    return events if tree == EVENTS_TREE else access_log


@dataclass(frozen=True, slots=True)
class TreeState:
    """A tree as ``merkle_frontier`` holds it."""

    tree: int
    size: int
    chain_hash: str
    frontier: Frontier

    def root(self) -> bytes:
        return self.frontier.root()


def grow_rows(frontier: Frontier, row_hashes: Iterable[str]) -> list[bytes | None]:
    """Append the rows' leaves to ``frontier`` (in place); for each row, the roots its leaf
    completes, concatenated (None when it completes none)."""
    return [b"".join(completed) if (completed := frontier.append(row_leaf(h))) else None for h in row_hashes]


def grow(frontier: Frontier, tree: int, row_hashes: Iterable[str]) -> list[dict[str, Any]]:
    """Append the rows' leaves to ``frontier`` (in place); return the ``merkle_nodes`` rows to write."""
    first = frontier.size
    return [
        {"tree": tree, "leaf": first + offset, "hashes": hashes}
        for offset, hashes in enumerate(grow_rows(frontier, row_hashes))
        if hashes is not None
    ]


def read_state(conn: Connection, tree: int) -> TreeState:
    if tree == EVENTS_TREE:
        row = conn.execute(
            select(log_head.c.position, log_head.c.hash, log_head.c.frontier).where(log_head.c.id == HEAD_ROW_ID)
        ).first()
        if row is None or row[2] is None:
            raise TreeMissing("the events log has no Merkle tree (log_head.frontier)")
    else:
        row = conn.execute(
            select(merkle_frontier.c.size, merkle_frontier.c.chain_hash, merkle_frontier.c.frontier).where(
                merkle_frontier.c.tree == tree
            )
        ).first()
        if row is None:
            raise TreeMissing(f"the {TREE_NAMES[tree]} log has no Merkle tree row (merkle_frontier)")
    try:
        frontier = Frontier.from_bytes(row[0], bytes(row[2]))
    except ValueError as err:
        raise TreeMissing(f"the {TREE_NAMES[tree]} log's stored frontier is malformed: {err}") from None
    return TreeState(tree, row[0], row[1], frontier)


def stored_nodes(conn: Connection, tree: int, leaves: Sequence[int] | range) -> dict[int, bytes]:
    """The stored subtree roots completed by ``leaves`` (a list, or a range read as one), by leaf."""
    if tree == EVENTS_TREE:
        # Leaf i is the row at position i + 1.
        position = events.c.position
        if isinstance(leaves, range):
            where = [position > leaves.start, position <= leaves.stop, events.c.merkle_nodes.is_not(None)]
        else:
            where = [position.in_([leaf + 1 for leaf in leaves]), events.c.merkle_nodes.is_not(None)]
        rows = conn.execute(select(position - 1, events.c.merkle_nodes).where(*where))
    else:
        leaf = merkle_nodes.c.leaf
        where = [leaf >= leaves.start, leaf < leaves.stop] if isinstance(leaves, range) else [leaf.in_(leaves)]
        rows = conn.execute(select(leaf, merkle_nodes.c.hashes).where(merkle_nodes.c.tree == tree, *where))
    return {leaf: bytes(hashes) for leaf, hashes in rows}


class NodeReader:
    """Complete-subtree roots of one tree, read in one or two queries per proof."""

    def __init__(self, conn: Connection, tree: int) -> None:
        self._conn = conn
        self._tree = tree

    def fetch(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        keys = set(keys)
        found: dict[NodeKey, bytes] = {}
        leaves = sorted(index for level, index in keys if level == 0)
        if leaves:
            table = log_table(self._tree)
            rows = self._conn.execute(
                select(table.c.position, table.c.hash).where(table.c.position.in_([i + 1 for i in leaves]))
            ).all()
            for position, row_hash in rows:
                found[(0, position - 1)] = row_leaf(row_hash)
        upper = [(level, index) for level, index in keys if level > 0]
        if upper:
            # The subtree (level, index) was completed by leaf ((index + 1) << level) - 1.
            by_leaf = {((index + 1) << level) - 1: None for level, index in upper}
            stored = stored_nodes(self._conn, self._tree, sorted(by_leaf))
            for level, index in upper:
                packed = stored.get(((index + 1) << level) - 1)
                if packed is not None and len(packed) >= level * HASH_SIZE:
                    found[(level, index)] = packed[(level - 1) * HASH_SIZE : level * HASH_SIZE]
        missing = keys - found.keys()
        if missing:
            level, index = min(missing)
            raise TreeMissing(
                f"the {TREE_NAMES[self._tree]} tree has no stored node for the subtree at level {level}, "
                f"index {index} (leaves {index << level} to {((index + 1) << level) - 1})"
            )
        return found

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 2.1.3.1: the audit path of leaf ``index`` (0-based) in the tree of ``size`` leaves."""
        ranges = inclusion_ranges(index, size)
        nodes = self.fetch(keys_of(ranges))
        return assemble(ranges, nodes.__getitem__)

    def inclusion_proofs(self, indexes: Sequence[int], size: int) -> list[list[bytes]]:
        """Audit paths of several leaves against one tree, their nodes read together."""
        plans = [inclusion_ranges(index, size) for index in indexes]
        keys: set[NodeKey] = set()
        for plan in plans:
            keys |= keys_of(plan)
        nodes = self.fetch(keys)
        return [assemble(plan, nodes.__getitem__) for plan in plans]

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 2.1.4.1: the proof that the tree of ``second`` leaves extends the one of ``first``."""
        if first == 0 or first == second:
            return []
        ranges = consistency_ranges(first, second)
        nodes = self.fetch(keys_of(ranges))
        return assemble(ranges, nodes.__getitem__)

    def frontier_at(self, size: int) -> Frontier:
        """The frontier the tree had at ``size`` leaves, from the stored complete subtrees."""
        keys = frontier_keys(size)
        nodes = self.fetch(keys)
        return Frontier(size, [nodes[key] for key in keys])

    def root_at(self, size: int) -> bytes:
        return self.frontier_at(size).root()


Fault = tuple[str, int, str]


class TreeWalk:
    """Recomputes a log's tree from its rows, in position order, and compares it with what is stored.

    ``roots`` maps tree sizes to the roots signed tree heads give them; a
    different root at that size is a ``tree_head_mismatch``. Stored subtree
    roots that differ from the rows' are a ``tree_mismatch`` at the position
    whose append completed them.
    """

    def __init__(self, tree: int, roots: Mapping[int, bytes] | None = None, start: Frontier | None = None) -> None:
        self.tree = tree
        self.frontier = Frontier() if start is None else start.copy()
        self.roots = {size: root for size, root in (roots or {}).items() if size > 0}

    def feed(self, conn: Connection, row_hashes: Sequence[str]) -> Fault | None:
        """Grow the tree over rows given by their chain hashes (hex), in position order."""
        return self.feed_entries(conn, [entry_of(row_hash) for row_hash in row_hashes])

    def feed_entries(
        self, conn: Connection, entries: Sequence[bytes], stored: dict[int, bytes] | None = None
    ) -> Fault | None:
        """Grow the tree over rows given by their Merkle entries (raw chain hashes), in position order.

        ``stored``: the subtree roots stored for these rows, by leaf, when the
        caller read them with the rows (the event log keeps them in its rows);
        else they are read here.
        """
        frontier, roots = self.frontier, self.roots
        first = frontier.size
        if stored is None:
            stored = stored_nodes(conn, self.tree, range(first, first + len(entries)))
        append = frontier.append
        for entry in entries:
            index = frontier.size
            completed = append(leaf_hash(entry))
            found = stored.pop(index, None) if completed else None
            if completed and found != b"".join(completed):
                return (
                    "tree_mismatch",
                    index + 1,
                    f"the stored Merkle subtree roots completed by position {index + 1} "
                    f"{'are missing' if found is None else 'do not match the rows'}",
                )
            if roots and frontier.size in roots and frontier.root() != roots[frontier.size]:
                return (
                    "tree_head_mismatch",
                    frontier.size,
                    f"the Merkle root over positions 1 to {frontier.size} differs from the signed tree head's: "
                    "rows up to it were changed, inserted or removed and the chain recomputed",
                )
        if stored:
            leaf = min(stored)
            return (
                "tree_mismatch",
                leaf + 1,
                f"stored Merkle subtree roots for position {leaf + 1}, which completes no subtree",
            )
        return None

    def finish(self, state: TreeState, last_hash: str) -> Fault | None:
        size = self.frontier.size
        beyond = [s for s in self.roots if s > size]
        if beyond:
            return (
                "tree_head_mismatch",
                size + 1,
                f"a signed tree head covers {max(beyond)} rows, but the log ends at position {size}: "
                "rows were removed from its end",
            )
        if state.size != size:
            return (
                "head_mismatch",
                min(state.size, size) + 1,
                f"the tree's head says {state.size} rows, but the last row is at position {size}",
            )
        if state.chain_hash != last_hash:
            return (
                "head_mismatch",
                size,
                f"the head's hash {state.chain_hash} differs from the last row's {last_hash}",
            )
        if state.frontier.hashes() != self.frontier.hashes():
            return ("tree_mismatch", size, "the stored frontier does not match the rows")
        return None

    def root(self) -> bytes:
        return self.frontier.root()


def install_trees(conn: Connection, trees: Sequence[int] = (EVENTS_TREE, ACCESS_TREE)) -> None:
    """Make each log's tree row in ``merkle_frontier`` if it is missing, growing it over the rows already stored.

    Revision 0001 runs it for both logs (a log made before the trees existed
    gets them once, a new log starts with empty trees), and revision 0002
    then moves the event log's tree into ``log_head`` and its rows;
    ``create_schema`` runs it for the access log, whose tree stays here. The
    event log's tree is never grown again over existing rows: its subtree
    roots live in the append-only rows themselves.
    """
    for tree in trees:
        exists = conn.execute(select(merkle_frontier.c.size).where(merkle_frontier.c.tree == tree)).first()
        if exists is not None:
            continue
        table = log_table(tree)
        frontier = Frontier()
        chain_hash = GENESIS_HASH
        after = 0
        while True:
            rows = conn.execute(
                select(table.c.position, table.c.hash)
                .where(table.c.position > after)
                .order_by(table.c.position)
                .limit(10_000)
            ).all()
            if not rows:
                break
            if rows[0][0] != frontier.size + 1:
                raise EventLogError(
                    f"the {TREE_NAMES[tree]} log has a gap at position {frontier.size + 1}: "
                    "its Merkle tree cannot be built; run 'samskab audit verify'"
                )
            nodes = grow(frontier, tree, (row[1] for row in rows))
            if nodes:
                conn.execute(merkle_nodes.insert(), nodes)
            after, chain_hash = rows[-1][0], rows[-1][1]
            if after != frontier.size:
                raise EventLogError(f"the {TREE_NAMES[tree]} log has a gap before position {after}")
        conn.execute(
            merkle_frontier.insert().values(
                tree=tree, size=frontier.size, chain_hash=chain_hash, frontier=frontier.to_bytes()
            )
        )


__all__ = [
    "ACCESS_TREE", "EVENTS_TREE", "NodeReader", "TreeMissing", "TreeState", "TreeWalk",
    "grow", "grow_rows", "install_trees", "read_state", "stored_nodes",
]  # fmt: skip
