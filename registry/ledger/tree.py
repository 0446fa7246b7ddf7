"""Merkle tree over stored complete subtrees: what to store on append, what to fetch for proofs.

Storage model. Node ``(level, index)`` is the hash of leaves
``[index * 2**level, (index + 1) * 2**level)`` and is stored once that range is complete,
never changed afterwards (the log only appends). Level 0 holds the leaf hashes. A tree of
``n`` leaves therefore stores fewer than ``2n`` rows, and every hash an RFC 9162 proof
needs is either one stored row (an aligned complete subtree) or the hash of an incomplete
subtree on the right edge of the tree, which is folded from at most ``log2 n`` stored rows.

Every operation comes as a pair: ``*_needs(...)`` lists the ``(level, index)`` keys to
fetch — O(log n) of them, so the caller reads them in ONE database query — and the
matching function takes a mapping holding (at least) those keys and does the hashing.
This module does no I/O; ``registry.ledger.service`` owns the database.

Sizes are leaf counts; indices are 0-based. Bad arguments raise ``ValueError``; a key
missing from the supplied mapping raises ``KeyError`` (a caller bug, not user input).
Consistency from size 0 raises ``ValueError``: RFC 9162 §2.1.4 defines proofs only for
``0 < size1 <= size2``, and the HTTP API treats size 0 as a bad parameter (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from registry.ledger.rfc9162 import EMPTY_ROOT, HASH_SIZE, node_hash

Key = tuple[int, int]
"""A stored node's coordinates: ``(level, index)``."""

Row = tuple[int, int, bytes]
"""A node to store: ``(level, index, hash)``."""

Nodes = Mapping[Key, bytes]
"""Fetched nodes, keyed by ``(level, index)``."""

_Range = tuple[int, int]


# ---------------------------------------------------------------- append
def append_needs(size: int) -> list[Key]:
    """Keys of the left siblings that appending leaf number ``size`` completes.

    They are the stored subtrees on the right edge of the tree of ``size`` leaves that
    the new leaf pairs up with: one per trailing 1-bit of ``size``.
    """
    _check_count("size", size)
    needs: list[Key] = []
    level, index = 0, size
    while index & 1:
        needs.append((level, index - 1))
        level, index = level + 1, index >> 1
    return needs


def appended_nodes(size: int, leaf: bytes, nodes: Nodes) -> list[Row]:
    """Rows to store when leaf hash ``leaf`` becomes leaf number ``size``.

    Returns the leaf row first, then each parent that becomes complete, bottom-up.
    ``nodes`` must hold ``append_needs(size)``.
    """
    _check_count("size", size)
    _check_hash("leaf", leaf)
    rows: list[Row] = [(0, size, leaf)]
    digest, level, index = leaf, 0, size
    while index & 1:
        digest = node_hash(_get(nodes, (level, index - 1)), digest)
        level, index = level + 1, index >> 1
        rows.append((level, index, digest))
    return rows


def extend_needs(size: int) -> list[Key]:
    """Keys a batch append onto a tree of ``size`` leaves may need: its right-edge frontier.

    Any number of appended leaves only ever pairs with these stored subtrees (and with
    nodes built from the batch itself), so one query serves the whole batch.
    """
    return root_needs(size)


def extended_nodes(size: int, leaves: Iterable[bytes], nodes: Nodes) -> list[Row]:
    """Rows to store when appending the leaf hashes ``leaves`` to a tree of ``size`` leaves.

    ``nodes`` must hold ``extend_needs(size)``. Equivalent to calling ``appended_nodes``
    once per leaf, feeding each call the rows produced so far.
    """
    known: dict[Key, bytes] = {key: _get(nodes, key) for key in extend_needs(size)}
    rows: list[Row] = []
    for offset, leaf in enumerate(leaves):
        new = appended_nodes(size + offset, leaf, known)
        known.update(((level, index), digest) for level, index, digest in new)
        rows.extend(new)
    return rows


# ---------------------------------------------------------------- root
def root_needs(size: int) -> list[Key]:
    """Keys of the complete subtrees whose fold is the root of a tree of ``size`` leaves.

    One per 1-bit of ``size``, largest (leftmost) first; none for the empty tree.
    """
    _check_count("size", size)
    return _range_keys((0, size))


def root(size: int, nodes: Nodes) -> bytes:
    """MTH of the first ``size`` leaves; ``EMPTY_ROOT`` for 0. Needs ``root_needs(size)``."""
    _check_count("size", size)
    return _range_hash((0, size), nodes) if size else EMPTY_ROOT


# ---------------------------------------------------------------- inclusion
def inclusion_needs(index: int, size: int) -> list[Key]:
    """Keys to fetch for ``inclusion_proof(index, size, ...)``; at most 2*ceil(log2 size)."""
    return _needs(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[0:size])``: sibling hashes, leaf level first."""
    return [_range_hash(span, nodes) for span in _inclusion_ranges(index, size)]


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """The leaf ranges whose MTHs form the inclusion proof, in RFC order.

    Walks the RFC recursion top-down: split ``[lo, hi)`` at the largest power of two
    below its width, record the half not holding ``index``, descend into the other.
    """
    _check_count("index", index)
    _check_count("size", size)
    if index >= size:
        raise ValueError(f"index {index} is not below tree size {size}")
    spans: list[_Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo = mid
    spans.reverse()
    return spans


# ---------------------------------------------------------------- consistency
def consistency_needs(size1: int, size2: int) -> list[Key]:
    """Keys to fetch for ``consistency_proof(size1, size2, ...)``; at most 2*ceil(log2 size2)."""
    return _needs(_consistency_ranges(size1, size2))


def consistency_proof(size1: int, size2: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 §2.1.4.1 ``PROOF(size1, D[0:size2])``; empty when the sizes are equal."""
    return [_range_hash(span, nodes) for span in _consistency_ranges(size1, size2)]


def _consistency_ranges(size1: int, size2: int) -> list[_Range]:
    """The leaf ranges whose MTHs form the consistency proof, in RFC order.

    Walks ``SUBPROOF(m, D[lo:hi], whole)`` top-down until ``hi == size1``; the old tree's
    own subtree ``[lo, hi)`` closes the proof unless it is the whole old tree (whose root
    the verifier already has).
    """
    _check_count("size1", size1)
    _check_count("size2", size2)
    if size1 == 0:
        raise ValueError("size1 must be at least 1: no consistency proof from the empty tree")
    if size1 > size2:
        raise ValueError(f"size1 {size1} is larger than size2 {size2}")
    spans: list[_Range] = []
    lo, hi, whole = 0, size2, True
    while hi != size1:
        mid = lo + _split(hi - lo)
        if size1 <= mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo, whole = mid, False
    if not whole:
        spans.append((lo, hi))
    spans.reverse()
    return spans


# ---------------------------------------------------------------- shared
def _split(width: int) -> int:
    """The largest power of two strictly below ``width`` (>= 2): RFC 9162's ``k``."""
    return 1 << ((width - 1).bit_length() - 1)


def _range_keys(span: _Range) -> list[Key]:
    """Stored subtrees tiling ``[start, end)``, largest first.

    Valid for the ranges RFC proofs use: ``start`` is a multiple of a power of two at
    least ``end - start``, so each piece (one per 1-bit of the width) is aligned.
    """
    start, end = span
    width, keys = end - start, []
    for level in reversed(range(width.bit_length())):
        if width >> level & 1:
            keys.append((level, start >> level))
            start += 1 << level
    return keys


def _range_hash(span: _Range, nodes: Nodes) -> bytes:
    """MTH of the leaves in ``span``: stored pieces folded right to left, as RFC 9162 splits."""
    pieces = [_get(nodes, key) for key in _range_keys(span)]
    digest = pieces[-1]
    for left in reversed(pieces[:-1]):
        digest = node_hash(left, digest)
    return digest


def _needs(spans: list[_Range]) -> list[Key]:
    """All keys for a list of ranges (the ranges are disjoint, so keys do not repeat)."""
    return [key for span in spans for key in _range_keys(span)]


def _get(nodes: Nodes, key: Key) -> bytes:
    """Look a node up, naming it in the error so a short fetch is easy to diagnose."""
    try:
        return nodes[key]
    except KeyError:
        raise KeyError(f"tree node (level={key[0]}, index={key[1]}) was not supplied") from None


def _check_count(name: str, value: int) -> None:
    """Reject negative sizes and indices (and non-integers that slipped past typing)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def _check_hash(name: str, value: bytes) -> None:
    """Catch an entry stored where its hash belongs before it poisons the tree."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{name} must be a {HASH_SIZE}-byte hash")
