"""Merkle trees over the logs, hashed as Certificate Transparency does (RFC 9162).

Pure functions and one small class, no database: the store keeps the tree as
it grows (``eventlog.merkle_store``) and an auditor's tool checks proofs with
nothing but this module.

Hashing (RFC 9162 section 2.1.1), with SHA-256:

* a leaf is ``H(0x00 || entry)``; a node is ``H(0x01 || left || right)``;
* the entry of a log row is the 32 raw bytes of its chain hash (the row's
  ``hash`` column read as hex), which covers every field of the row and the
  rows before it (``eventlog.hashing``, ``eventlog.access_log``);
* the root of ``n`` leaves splits them at ``k``, the largest power of two below
  ``n``: ``MTH(D[0:n]) = H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``; the empty
  tree's root is ``H()`` (sha256 of nothing).

Storage: a tree of ``n`` leaves is the list of its *complete* subtrees, one per
set bit of ``n`` (largest first): the *frontier*. Appending a leaf completes
the subtrees its index ends in (leaf ``i`` completes one subtree per trailing
1-bit of ``i``); those roots never change again, so they are written once, in
the append's transaction, and every proof is assembled from such complete
subtrees in O(log n) lookups. A complete subtree is named ``(level, index)``:
it covers leaves ``index * 2**level`` to ``(index + 1) * 2**level - 1``.

Proofs: inclusion (RFC 9162 section 2.1.3) and consistency (section 2.1.4),
generated as the RFC's PATH and SUBPROOF define them and verified with the
RFC's iterative algorithms (sections 2.1.3.2 and 2.1.4.2), which check every
hash they are given and the proof's exact length (a verifier must use every
link, cf. the immudb advisory GHSA-672p-m5jq-mrh8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()

#: A complete subtree: (level, index), covering leaves [index << level, (index + 1) << level).
NodeKey = tuple[int, int]


class ProofError(ValueError):
    """A proof does not hold: a wrong hash, a wrong length, or sizes that make no sense."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 2.1.1: ``MTH({d}) = SHA-256(0x00 || d)``."""
    return _sha256(b"\x00" + entry).digest()


def entry_of(row_hash_hex: str) -> bytes:
    """A log row's Merkle entry: its chain hash as 32 raw bytes."""
    entry = bytes.fromhex(row_hash_hex)
    if len(entry) != HASH_SIZE:
        raise ValueError(f"a chain hash is 32 bytes (64 hex characters), got {len(entry)} bytes")
    return entry


def row_leaf(row_hash_hex: str) -> bytes:
    """The leaf hash of a log row, from its stored chain hash (hex)."""
    return _sha256(b"\x00" + bytes.fromhex(row_hash_hex)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """``k`` of RFC 9162 2.1.1: the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def frontier_keys(size: int) -> list[NodeKey]:
    """The complete subtrees a tree of ``size`` leaves is made of, largest first."""
    keys = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, (size >> level) - 1))
    return keys


def range_keys(start: int, length: int) -> list[NodeKey]:
    """The complete subtrees that make up leaves ``[start, start + length)``, left to right.

    Holds for every range RFC 9162's recursions ask for: ``start`` is a
    multiple of a power of two that is at least ``length``.
    """
    keys = []
    position = start
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """The root over consecutive complete subtrees given largest (leftmost) first."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


class Frontier:
    """A growing tree's complete-subtree roots: append leaves, read the root.

    ``nodes[level]`` is the root of the complete subtree of that level in the
    frontier, or None when the size has no such bit.
    """

    __slots__ = ("nodes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        keys = frontier_keys(size)
        if len(keys) != len(hashes):
            raise ValueError(f"a tree of {size} leaves has {len(keys)} frontier hashes, got {len(hashes)}")
        self.size = size
        self.nodes: list[bytes | None] = [None] * size.bit_length()
        for (level, _), digest in zip(keys, hashes, strict=True):
            self.nodes[level] = digest

    @classmethod
    def from_bytes(cls, size: int, packed: bytes) -> Frontier:
        """The frontier stored as its hashes concatenated, largest subtree first."""
        if len(packed) % HASH_SIZE:
            raise ValueError("a packed frontier is a whole number of 32-byte hashes")
        return cls(size, [packed[i : i + HASH_SIZE] for i in range(0, len(packed), HASH_SIZE)])

    def to_bytes(self) -> bytes:
        return b"".join(self.nodes[level] for level, _ in frontier_keys(self.size))  # type: ignore[misc]

    def hashes(self) -> list[bytes]:
        return [self.nodes[level] for level, _ in frontier_keys(self.size)]  # type: ignore[misc]

    def append(self, leaf: bytes) -> list[bytes]:
        """Add a leaf hash; return the roots of the subtrees it completes, level 1 upwards."""
        completed = []
        nodes = self.nodes
        carry = leaf
        level = 0
        size = self.size
        while size >> level & 1:
            carry = node_hash(nodes[level], carry)  # type: ignore[arg-type]
            nodes[level] = None
            level += 1
            completed.append(carry)
        if level == len(nodes):
            nodes.append(carry)
        else:
            nodes[level] = carry
        self.size = size + 1
        return completed

    def root(self) -> bytes:
        return fold_right(self.hashes())

    def copy(self) -> Frontier:
        clone = Frontier()
        clone.size, clone.nodes = self.size, list(self.nodes)
        return clone


def completed_keys(leaf_index: int) -> list[NodeKey]:
    """The subtrees leaf ``leaf_index`` completes (levels 1 upwards), in the order ``Frontier.append`` returns them."""
    keys = []
    level = 1
    while (leaf_index + 1) % (1 << level) == 0:
        keys.append((level, (leaf_index + 1 >> level) - 1))
        level += 1
    return keys


# -- proofs, as lists of ranges whose roots the proof holds ------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 9162 2.1.3.1 PATH(m, D[n]) as the (start, length) of each subtree root it holds, leaf side first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[tuple[int, int]] = []
    start, n, m = 0, size, index
    while n > 1:
        k = largest_power_of_two_below(n)
        if m < k:
            path.append((start + k, n - k))
            n = k
        else:
            path.append((start, k))
            start, n, m = start + k, n - k, m - k
    path.reverse()
    return path


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """RFC 9162 2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), as (start, length) ranges in proof order."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from a tree of {first} leaves to one of {second}")
    out: list[tuple[int, int]] = []

    def subproof(m: int, start: int, n: int, b: bool) -> None:
        if m == n:
            if not b:
                out.append((start, n))
            return
        k = largest_power_of_two_below(n)
        if m <= k:
            subproof(m, start, k, b)
            out.append((start + k, n - k))
        else:
            subproof(m - k, start + k, n - k, False)
            out.append((start, k))

    subproof(first, 0, second, True)
    return out


def keys_of(ranges: Iterable[tuple[int, int]]) -> set[NodeKey]:
    keys: set[NodeKey] = set()
    for start, length in ranges:
        keys.update(range_keys(start, length))
    return keys


def assemble(ranges: Sequence[tuple[int, int]], node: Callable[[NodeKey], bytes]) -> list[bytes]:
    """The proof's hashes: each range's root from its complete subtrees."""
    return [fold_right([node(key) for key in range_keys(start, length)]) for start, length in ranges]


# -- verifying ------------------------------------------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to (compare it with a signed root).

    Raises ProofError when the proof's length does not fit the leaf and size.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        _check_hash(p)
        if sn == 0:
            raise ProofError("the inclusion proof is longer than a tree of this size allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than a tree of this size needs")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``path`` proves ``leaf`` is leaf ``index`` of the tree of ``size`` with ``root``."""
    if root_from_inclusion(index, size, leaf, path) != root:
        raise ProofError(f"the inclusion proof of leaf {index} does not lead to the signed root of {size} leaves")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2: raise ProofError unless ``proof`` shows the tree of ``second``
    leaves with ``second_root`` extends the tree of ``first`` leaves with ``first_root``."""
    for p in proof:
        _check_hash(p)
    if not 0 < first <= second:
        if first == 0 and not proof:  # every log extends the empty one
            return
        raise ProofError(f"no consistency proof from a tree of {first} leaves to one of {second}")
    if first == second:
        if proof:
            raise ProofError("a proof between two trees of the same size must be empty")
        if first_root != second_root:
            raise ProofError(f"two different roots for the same size {first}: the log was rewritten")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the proof's first node
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the sizes allow")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the sizes need")
    if fr != first_root:
        raise ProofError(f"the consistency proof does not lead to the earlier root of {first} leaves")
    if sr != second_root:
        raise ProofError(f"the consistency proof does not lead to the later root of {second} leaves")


def _check_hash(value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError("every hash in a proof is 32 bytes")


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (for tests and small exports): the frontier's root."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()
