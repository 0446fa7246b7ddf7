"""RFC 9162 §2.1 hashing, pinned to the RFC 6962 test leaves and to the outside auditor."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import pathlib
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st

from registry.ledger.rfc9162 import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash

SHARED = pathlib.Path(__file__).resolve().parents[2].parent / "shared"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("log_check", SHARED / "checks" / "log_check.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _load_checker()


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert EMPTY_ROOT == b64("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")


def test_leaf_hash_matches_published_leaves() -> None:
    # The first two RFC 6962 test leaves, as they appear in the transparency-dev vectors.
    assert leaf_hash(b"") == b64("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")
    assert leaf_hash(b"\x00") == b64("lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=")


def test_node_hash_matches_published_two_leaf_root() -> None:
    # consistency/3/happy-path.json: root1 is the tree of the first two test leaves.
    root2 = node_hash(leaf_hash(b""), leaf_hash(b"\x00"))
    assert root2 == b64("+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=")


@given(st.binary(max_size=200))
def test_leaf_hash_agrees_with_auditor(entry: bytes) -> None:
    assert leaf_hash(entry) == CHECKER.leaf_hash(entry)
    assert len(leaf_hash(entry)) == HASH_SIZE


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_node_hash_agrees_with_auditor_and_is_domain_separated(left: bytes, right: bytes) -> None:
    assert node_hash(left, right) == CHECKER.node_hash(left, right)
    # A leaf whose entry is two hashes must not collide with their parent node.
    assert node_hash(left, right) != leaf_hash(left + right)
