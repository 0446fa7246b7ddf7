"""Proof verification (RFC 9162 §2.1.3.2, §2.1.4.2) and a from-scratch root.

Kept apart from ``tree`` on purpose, as transparency-dev/merkle keeps ``verify.go`` apart
from proof building: this is the code a client or auditor runs, it must not share a bug
with the code that builds proofs, and it must never raise on hostile input — every
malformed proof is simply ``False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from registry.ledger import rfc9162
from registry.ledger.rfc9162 import EMPTY_ROOT, HASH_SIZE, node_hash


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf hash ``leaf_hash`` at ``index`` in the tree ``root``."""
    if not _counts_ok(index, size) or index >= size:
        return False
    if not _hashes_ok([leaf_hash, *proof]):
        return False
    fn, sn, digest = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            return False  # proof longer than the path
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and digest == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the tree ``root1`` of ``size1`` is a prefix of ``root2``.

    Equal sizes need an empty proof and equal roots; size 0 is never provable (there is
    nothing to be consistent with, and the published vectors treat it as an error).
    """
    if not _counts_ok(size1, size2) or size1 == 0 or size1 > size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not _hashes_ok([root1, root2, *proof]):
        return False
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    if not path:
        return False
    return _consistency_roots(size1, size2, path) == (root1, root2)


def _consistency_roots(size1: int, size2: int, path: list[bytes]) -> tuple[bytes, bytes] | None:
    """Fold the path into (old root, new root), or None if its length is wrong."""
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old = new = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            old, new = node_hash(sibling, old), node_hash(sibling, new)
            fn, sn = _skip_right_edge(fn, sn)
        else:
            new = node_hash(new, sibling)
        fn, sn = fn >> 1, sn >> 1
    return (old, new) if sn == 0 else None


def _skip_right_edge(fn: int, sn: int) -> tuple[int, int]:
    """Climb past levels where the node is a lone right-edge child (no sibling hash)."""
    while not fn & 1 and fn != 0:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _counts_ok(*counts: int) -> bool:
    """Sizes and indices must be non-negative integers."""
    return all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)


def _hashes_ok(hashes: Iterable[object]) -> bool:
    """Every hash must be exactly one SHA-256 digest."""
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


# ---------------------------------------------------------------- full re-derivation
def root_from_leaves(leaves: Iterable[bytes]) -> bytes:
    """MTH(D_n) of the entries ``leaves`` (raw entry bytes, hashed here as RFC 9162 leaves).

    Streams: an operator can re-derive the root of millions of entries straight from a
    database cursor in O(log n) memory.
    """
    return root_from_leaf_hashes(rfc9162.leaf_hash(entry) for entry in leaves)


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """MTH from leaf hashes, via a compact range: a stack of perfect subtrees.

    Each leaf is pushed as a height-0 subtree; equal-height neighbours merge at once, so
    the stack mirrors the 1-bits of the count. Folding it right to left at the end gives
    exactly the RFC's recursive split at the largest power of two.
    """
    stack: list[tuple[int, bytes]] = []
    for digest in hashes:
        height = 0
        while stack and stack[-1][0] == height:
            digest = node_hash(stack.pop()[1], digest)
            height += 1
        stack.append((height, digest))
    if not stack:
        return EMPTY_ROOT
    digest = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        digest = node_hash(left, digest)
    return digest
