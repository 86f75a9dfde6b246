"""The Merkle tree's hashing and proofs, checked against a plain reading of RFC 9162 2.1."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventlog.merkle import (
    Frontier,
    ProofError,
    assemble,
    completed_keys,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    range_keys,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1, recursively, as written."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(8, "big")) for i in range(n)]


def stored_node(all_leaves: list[bytes]):
    return lambda key: mth(all_leaves[key[1] << key[0] : (key[1] + 1) << key[0]])


def test_hashing_is_rfc_9162_leaf_and_node_prefixes():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


@given(st.integers(min_value=0, max_value=300))
def test_the_frontier_root_is_the_recursive_root_and_completed_subtrees_are_named_right(n):
    ls = leaves(n)
    frontier = Frontier()
    for index, leaf in enumerate(ls):
        completed = frontier.append(leaf)
        keys = completed_keys(index)
        assert completed == [stored_node(ls)(key) for key in keys]
    assert frontier.root() == mth(ls) == root_of(ls)
    assert Frontier.from_bytes(n, frontier.to_bytes()).root() == mth(ls)


@given(st.integers(min_value=1, max_value=200), st.data())
def test_inclusion_proofs_verify_and_any_change_fails(n, data):
    ls = leaves(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = assemble(inclusion_ranges(index, n), stored_node(ls))
    root = mth(ls)
    verify_inclusion(index, n, ls[index], proof, root)
    for start, length in inclusion_ranges(index, n):
        assert range_keys(start, length)  # every range is made of complete subtrees
    with pytest.raises(ProofError):
        verify_inclusion(index, n, leaf_hash(b"not in the log"), proof, root)
    if proof:
        with pytest.raises(ProofError):
            verify_inclusion(index, n, ls[index], proof[:-1], root)
        with pytest.raises(ProofError):
            verify_inclusion(index, n, ls[index], [b"\x00" * 32, *proof[1:]], root)
    with pytest.raises(ProofError):
        verify_inclusion(index, n, ls[index], [*proof, b"\x00" * 32], root)
    if n > 1:
        other = (index + 1) % n
        with pytest.raises(ProofError):
            verify_inclusion(other, n, ls[index], proof, root)


@given(st.integers(min_value=1, max_value=200), st.data())
def test_consistency_proofs_verify_and_a_rewritten_prefix_fails(second, data):
    first = data.draw(st.integers(min_value=1, max_value=second))
    ls = leaves(second)
    proof = assemble(consistency_ranges(first, second), stored_node(ls)) if first < second else []
    verify_consistency(first, second, mth(ls[:first]), mth(ls), proof)
    rewritten = [leaf_hash(b"rewritten"), *ls[1:]]
    with pytest.raises(ProofError):
        verify_consistency(first, second, mth(rewritten[:first]), mth(ls), proof)
    if proof:
        with pytest.raises(ProofError):
            verify_consistency(first, second, mth(ls[:first]), mth(ls), proof[:-1])
        with pytest.raises(ProofError):
            verify_consistency(first, second, mth(ls[:first]), mth(ls), [*proof, b"\x01" * 32])


def test_an_empty_consistency_proof_between_different_sizes_fails():
    ls = leaves(8)
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(4, 8, mth(ls[:4]), mth(ls), [])
