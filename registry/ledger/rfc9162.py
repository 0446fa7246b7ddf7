"""RFC 9162 §2.1 hashing: the only place that knows how leaves and nodes are hashed.

The 0x00 / 0x01 prefixes are domain separation: without them an interior node could be
passed off as a leaf (a second-preimage attack on the tree). Everything else in
``registry.ledger`` builds on these two functions, so swapping the hash means editing
this file alone.
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
"""Size in bytes of every leaf, node and root hash (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) — the root of the empty tree, by definition SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """Hash one log entry into a leaf: ``SHA-256(0x00 || entry)``."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash two child hashes into their parent: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()
