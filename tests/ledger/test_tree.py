"""Tree storage and proof building, checked against the RFC text, verify.py and the auditor."""

from __future__ import annotations

import base64
import importlib.util
import json
import pathlib
from collections.abc import Callable
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.ledger import tree
from registry.ledger.rfc9162 import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from registry.ledger.verify import root_from_leaf_hashes, verify_consistency, verify_inclusion

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared"
TESTDATA = SHARED / "data" / "merkle" / "testdata"
RFC6962_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("log_check", SHARED / "checks" / "log_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _load_checker()


# ---------------------------------------------------------------- helpers
def build(entries: list[bytes]) -> tuple[list[bytes], dict[tree.Key, bytes]]:
    """Append entries one by one as the service will: fetch only the needs, store the rows."""
    hashes = [leaf_hash(e) for e in entries]
    nodes: dict[tree.Key, bytes] = {}
    for size, leaf in enumerate(hashes):
        fetched = only(nodes, tree.append_needs(size))
        for level, index, digest in tree.appended_nodes(size, leaf, fetched):
            assert (level, index) not in nodes, "a stored node is never rewritten"
            nodes[(level, index)] = digest
    return hashes, nodes


def entries(count: int) -> list[bytes]:
    return [b"entry %d" % i for i in range(count)]


def only(nodes: dict[tree.Key, bytes], keys: list[tree.Key]) -> dict[tree.Key, bytes]:
    """What one database query by ``keys`` returns: exactly those nodes (KeyError if absent)."""
    return {key: nodes[key] for key in keys}


def ceil_log2(n: int) -> int:
    return (n - 1).bit_length()


def flip(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:item], bytes(changed), *proof[item + 1 :]]


# RFC 9162 §2.1.3.1 / §2.1.4.1, transcribed literally over leaf hashes.
def ref_mth(hashes: list[bytes]) -> bytes:
    return root_from_leaf_hashes(hashes)


def _k(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def ref_path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, hashes[:k]), ref_mth(hashes[k:])]
    return [*ref_path(m - k, hashes[k:]), ref_mth(hashes[:k])]


def ref_subproof(m: int, hashes: list[bytes], whole: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if whole else [ref_mth(hashes)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, hashes[:k], whole), ref_mth(hashes[k:])]
    return [*ref_subproof(m - k, hashes[k:], False), ref_mth(hashes[:k])]


# ---------------------------------------------------------------- storage and root
@given(st.integers(min_value=0, max_value=300))
def test_append_stores_exactly_the_complete_subtrees(size: int) -> None:
    hashes, nodes = build(entries(size))
    complete = {
        (level, index) for level in range(size.bit_length()) for index in range(size >> level)
    }
    assert set(nodes) == complete
    for (level, index), digest in nodes.items():
        assert digest == ref_mth(hashes[index << level : (index + 1) << level])


@given(st.integers(min_value=0, max_value=2**40))
def test_append_needs_one_sibling_per_trailing_one_bit(size: int) -> None:
    trailing_ones = (size ^ (size + 1)).bit_length() - 1
    needs = tree.append_needs(size)
    assert len(needs) == trailing_ones
    assert all(((index + 1) << level) <= size for level, index in needs)


@given(st.integers(min_value=0, max_value=300))
def test_root_matches_reference_for_every_size(size: int) -> None:
    hashes, nodes = build(entries(size))
    needs = tree.root_needs(size)
    assert len(needs) == size.bit_count()
    assert tree.root(size, only(nodes, needs)) == ref_mth(hashes)


def test_root_of_the_empty_tree() -> None:
    assert tree.root_needs(0) == []
    assert tree.root(0, {}) == EMPTY_ROOT


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=70))
def test_batch_append_equals_one_by_one(size: int, batch: int) -> None:
    _, before = build(entries(size))
    hashes, after = build(entries(size + batch))
    rows = tree.extended_nodes(size, hashes[size:], only(before, tree.extend_needs(size)))
    assert {(level, index): digest for level, index, digest in rows} == {
        key: digest for key, digest in after.items() if key not in before
    }
    assert len(rows) == len(after) - len(before)


# ---------------------------------------------------------------- inclusion
@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=600))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@given(size_and_index(), st.data())
def test_inclusion_proofs_verify_everywhere(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    hashes, nodes = build(entries(size))
    root = tree.root(size, only(nodes, tree.root_needs(size)))
    proof = tree.inclusion_proof(index, size, only(nodes, tree.inclusion_needs(index, size)))

    assert proof == ref_path(index, hashes)
    assert verify_inclusion(index, size, hashes[index], proof, root)
    assert CHECKER.verify_inclusion(index, size, hashes[index], proof, root)

    if proof:
        item = data.draw(st.integers(0, len(proof) - 1), label="item")
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit")
        assert not verify_inclusion(index, size, hashes[index], flip(proof, item, bit), root)
        assert not verify_inclusion(index, size, hashes[index], proof[:-1], root)
    assert not verify_inclusion(index, size, hashes[index], [*proof, root], root)
    other = data.draw(st.integers(0, size), label="other index")
    if other != index:
        assert not verify_inclusion(other, size, hashes[index], proof, root)
    assert not verify_inclusion(index, size, leaf_hash(b"not an entry"), proof, root)


def test_inclusion_bit_flips_all_fail() -> None:
    size = 37
    hashes, nodes = build(entries(size))
    root = tree.root(size, nodes)
    for index in (0, 17, 32, 36):
        proof = tree.inclusion_proof(index, size, nodes)
        for item in range(len(proof)):
            for bit in range(8 * HASH_SIZE):
                assert not verify_inclusion(
                    index, size, hashes[index], flip(proof, item, bit), root
                )


# ---------------------------------------------------------------- consistency
@st.composite
def size_pair(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(min_value=1, max_value=600))
    return draw(st.integers(min_value=1, max_value=size2)), size2


@given(size_pair(), st.data())
def test_consistency_proofs_verify_everywhere(case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    hashes, nodes = build(entries(size2))
    root1 = tree.root(size1, only(nodes, tree.root_needs(size1)))
    root2 = tree.root(size2, only(nodes, tree.root_needs(size2)))
    proof = tree.consistency_proof(size1, size2, only(nodes, tree.consistency_needs(size1, size2)))

    assert root1 == ref_mth(hashes[:size1])
    assert proof == ref_subproof(size1, hashes, True)
    assert verify_consistency(size1, size2, root1, root2, proof)
    assert CHECKER.verify_consistency(size1, size2, root1, root2, proof)

    other_root = leaf_hash(b"forged")
    assert not verify_consistency(size1, size2, other_root, root2, proof)
    assert not verify_consistency(size1, size2, root1, other_root, proof)
    if proof:
        item = data.draw(st.integers(0, len(proof) - 1), label="item")
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit")
        assert not verify_consistency(size1, size2, root1, root2, flip(proof, item, bit))
        assert not verify_consistency(size1, size2, root1, root2, proof[:-1])
    assert not verify_consistency(size1, size2, root1, root2, [*proof, root2])
    other = data.draw(st.integers(1, size2), label="other size1")
    if other != size1:
        assert not verify_consistency(other, size2, root1, root2, proof)


# ---------------------------------------------------------------- published vectors
def _vector(kind: str, case: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((TESTDATA / kind / case / "happy-path.json").read_text())
    return data


def _b64_list(value: object) -> list[bytes]:
    assert value is None or isinstance(value, list)
    return [base64.b64decode(p) for p in value or []]


@pytest.mark.parametrize("case", ["0", "1", "2", "3", "4"])
def test_builds_the_published_inclusion_proofs(case: str) -> None:
    v = _vector("inclusion", case)
    size, index = v["treeSize"], v["leafIdx"]
    assert isinstance(size, int) and isinstance(index, int)
    _, nodes = build(RFC6962_LEAVES[:size])
    assert tree.inclusion_proof(index, size, nodes) == _b64_list(v["proof"])
    assert tree.root(size, nodes) == base64.b64decode(str(v["root"]))


@pytest.mark.parametrize("case", ["0", "1", "2", "3", "4"])
def test_builds_the_published_consistency_proofs(case: str) -> None:
    v = _vector("consistency", case)
    size1, size2 = v["size1"], v["size2"]
    assert isinstance(size1, int) and isinstance(size2, int)
    _, nodes = build(RFC6962_LEAVES[:size2])
    assert tree.consistency_proof(size1, size2, nodes) == _b64_list(v["proof"])
    assert tree.root(size1, nodes) == base64.b64decode(str(v["root1"]))
    assert tree.root(size2, nodes) == base64.b64decode(str(v["root2"]))


# ---------------------------------------------------------------- O(log n) fetches
# Bounds, with L = ceil(log2 n). A proof has at most L hashes (inclusion) or L + 1
# (consistency). At most one of them is an incomplete right-edge subtree: the sibling met
# when the walk first leaves the right edge, at a split of width w <= 2**(L-j) after j
# steps (k = largest power of two below w). That sibling tiles into popcount(w - k) <=
# log2 k stored nodes, and log2 k further steps remain below it. So the keys are at most
# j + 2*log2(k) (+1 for consistency's closing node) <= 2L - 2 (inclusion) / 2L - 1
# (consistency), or L / L + 1 when no incomplete sibling occurs. n = 2**t - 1 attains both
# (from n = 7 on; the test checks it).
def inclusion_bound(n: int) -> int:
    return max(ceil_log2(n), 2 * ceil_log2(n) - 2)


def consistency_bound(n: int) -> int:
    return max(ceil_log2(n) + 1, 2 * ceil_log2(n) - 1)


def _stored(key: tree.Key, size: int) -> bool:
    level, index = key
    return level >= 0 and index >= 0 and (index + 1) << level <= size


def test_needs_bounds_hold_exhaustively_and_are_tight() -> None:
    for n in range(1, 200):
        worst_incl = worst_cons = 0
        for m in range(n):
            keys = tree.inclusion_needs(m, n)
            assert len(keys) == len(set(keys)) and all(_stored(k, n) for k in keys)
            worst_incl = max(worst_incl, len(keys))
        for m in range(1, n + 1):
            keys = tree.consistency_needs(m, n)
            assert len(keys) == len(set(keys)) and all(_stored(k, n) for k in keys)
            worst_cons = max(worst_cons, len(keys))
        assert worst_incl <= inclusion_bound(n)
        assert worst_cons <= consistency_bound(n)
        if n > 4 and n & (n + 1) == 0:  # n = 2**t - 1 from 7 on
            assert (worst_incl, worst_cons) == (inclusion_bound(n), consistency_bound(n))


@given(st.integers(min_value=1, max_value=2**48), st.data())
def test_needs_stay_logarithmic_for_huge_trees(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    size1 = data.draw(st.integers(1, size), label="size1")
    incl, cons = tree.inclusion_needs(index, size), tree.consistency_needs(size1, size)
    assert len(incl) <= inclusion_bound(size) <= 2 * ceil_log2(size) + 2
    assert len(cons) <= consistency_bound(size) <= 2 * ceil_log2(size) + 2
    assert all(_stored(k, size) for k in [*incl, *cons])


# ---------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: tree.inclusion_needs(5, 5), "not below tree size"),
        (lambda: tree.inclusion_needs(0, 0), "not below tree size"),
        (lambda: tree.inclusion_proof(-1, 5, {}), "index must be a non-negative"),
        (lambda: tree.inclusion_needs(0, -3), "size must be a non-negative"),
        (lambda: tree.consistency_needs(0, 4), "size1 must be at least 1"),
        (lambda: tree.consistency_proof(0, 0, {}), "size1 must be at least 1"),
        (lambda: tree.consistency_needs(5, 4), "larger than size2"),
        (lambda: tree.consistency_needs(-1, 4), "size1 must be a non-negative"),
        (lambda: tree.root_needs(-1), "size must be a non-negative"),
        (lambda: tree.append_needs(-2), "size must be a non-negative"),
        (lambda: tree.appended_nodes(0, b"entry, not its hash", {}), "32-byte hash"),
        (lambda: tree.inclusion_needs(True, 3), "index must be a non-negative"),
    ],
)
def test_bad_arguments_raise_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_missing_node_is_named() -> None:
    _, nodes = build(entries(6))
    del nodes[(1, 2)]  # leaves 4..5, the right-edge piece of every size-6 root
    with pytest.raises(KeyError, match=r"level=1, index=2"):
        tree.root(6, nodes)


def test_equal_sizes_give_an_empty_consistency_proof() -> None:
    _, nodes = build(entries(9))
    assert tree.consistency_needs(9, 9) == []
    assert tree.consistency_proof(9, 9, nodes) == []


def test_node_hash_is_what_the_tree_stores() -> None:
    hashes, nodes = build(entries(2))
    assert nodes[(1, 0)] == node_hash(hashes[0], hashes[1])
