"""Proof verification on the transparency-dev/merkle vectors, and the reference root."""

from __future__ import annotations

import base64
import json
import pathlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.ledger.rfc9162 import EMPTY_ROOT, leaf_hash, node_hash
from registry.ledger.verify import (
    root_from_leaf_hashes,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

TESTDATA = (
    pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "merkle" / "testdata"
)
INCLUSION = sorted(TESTDATA.glob("inclusion/*/*.json"))
CONSISTENCY = sorted(TESTDATA.glob("consistency/*/*.json"))

# RFC 6962 test leaves, the tree behind every happy-path vector.
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


def _vector_id(path: pathlib.Path) -> str:
    return str(path.relative_to(TESTDATA).with_suffix(""))


def _load(path: pathlib.Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in vector["proof"] or []]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, literally recursive: the definition the fast version must match."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_vector_sets_are_present() -> None:
    # Guards the parametrisation below against silently testing nothing.
    assert len(INCLUSION) > 50
    assert len(CONSISTENCY) > 50


@pytest.mark.parametrize("path", INCLUSION, ids=_vector_id)
def test_inclusion_vector(path: pathlib.Path) -> None:
    v = _load(path)
    ok = verify_inclusion(
        v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v), _b64(v["root"])
    )
    assert ok is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=_vector_id)
def test_consistency_vector(path: pathlib.Path) -> None:
    v = _load(path)
    proof = _proof(v)
    ok = verify_consistency(v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), proof)
    assert ok is not v["wantErr"], v["desc"]


def test_root_from_leaves_matches_published_roots() -> None:
    published = {
        1: "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
        2: "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=",
        3: "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=",
        5: "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
        6: "duZ9rbzfHhDht03cYIq9L5jfsW+851J3tSMqEn8gh+8=",
        7: "3bib5AOAnjJXUNPSY814kpwpQreUKjS3fhIslZSnTIw=",
        8: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
    }
    for size, root in published.items():
        assert root_from_leaves(RFC6962_LEAVES[:size]) == _b64(root), size


def test_root_of_nothing_is_the_empty_root() -> None:
    assert root_from_leaves([]) == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT


@given(st.lists(st.binary(max_size=8), max_size=140))
def test_root_from_leaves_is_the_recursive_mth(leaves: list[bytes]) -> None:
    assert root_from_leaves(leaves) == mth(leaves)
    assert root_from_leaf_hashes([leaf_hash(e) for e in leaves]) == mth(leaves)


def test_root_from_leaves_streams_from_an_iterator() -> None:
    count = 5000
    streamed = root_from_leaves(b"%d" % i for i in range(count))
    assert streamed == mth([b"%d" % i for i in range(count)])


_ANY_INT = st.integers(min_value=-(2**65), max_value=2**65)
_ANY_HASH = st.binary(max_size=40)


@given(_ANY_INT, _ANY_INT, _ANY_HASH, st.lists(_ANY_HASH, max_size=70), _ANY_HASH)
def test_verify_inclusion_never_raises(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> None:
    assert verify_inclusion(index, size, leaf, proof, root) in (True, False)


@given(_ANY_INT, _ANY_INT, _ANY_HASH, _ANY_HASH, st.lists(_ANY_HASH, max_size=70))
def test_verify_consistency_never_raises(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> None:
    assert verify_consistency(size1, size2, root1, root2, proof) in (True, False)


def test_negative_and_swapped_arguments_are_false() -> None:
    leaf = leaf_hash(b"x")
    assert verify_inclusion(0, 1, leaf, [], leaf)
    assert not verify_inclusion(-1, 1, leaf, [], leaf)
    assert not verify_inclusion(0, -1, leaf, [], leaf)
    assert not verify_inclusion(1, 1, leaf, [], leaf)
    assert verify_consistency(1, 1, leaf, leaf, [])
    assert not verify_consistency(-1, -1, leaf, leaf, [])
    assert not verify_consistency(0, 0, leaf, leaf, [])
    assert not verify_consistency(2, 1, leaf, leaf, [])
