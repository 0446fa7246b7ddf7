"""Transparency-log service (DESIGN.md §6).

An entry is logged inside its business transaction, with the change or not at all, in one
of two ways. `append` numbers it at once: the entry, its leaf and the subtree hashes it
completes are written there, and appenders serialise on the single `log_head` row (an
UPDATE ... RETURNING takes its lock first) until their commit. `sequencer.submit` puts it
in the pool instead and the sequencer numbers committed entries in batches (`store` writes
them the same way), so that writers no longer commit one at a time; the caller learns the
index when its commit returns. Either way indices are gapless and ordered on PostgreSQL and
SQLite alike. Reads fetch only the O(log n) stored subtrees that `registry.ledger.tree` asks
for, in one query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, tuple_, update

from registry.db import Db, utcnow
from registry.errors import DomainError, NotFound
from registry.ledger import note, tree
from registry.ledger.models import LogCheckpoint, LogEntry, LogHead, LogNode
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.tiles import MAX_ENTRY  # an entry bundle holds each length as a uint16

SYSTEM_ACTOR = "REGISTRY"  # the operator acting through the command line, not a user
TYPE_PATTERN = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
PRIVATE_KEYS = frozenset(
    {
        "household",
        "household_name",
        "member",
        "member_name",
        "phone",
        "phone_number",
        "email",
        "address",
    }
)


Entry = tuple[str, str, str, Mapping[str, Any]]  # type, actor, subject, data


class Stored(NamedTuple):
    """An encoded entry about to be numbered."""

    type: str
    actor: str
    subject: str
    time: datetime
    entry: bytes


class BadParameter(DomainError):
    status = 400
    title = _l("The log parameters are not valid.")


class EntryNotFound(NotFound):
    title = _l("The log has no entry with this index.")


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_entry(
    type: str, time: datetime, actor: str, subject: str, data: Mapping[str, Any]
) -> bytes:
    """The exact leaf bytes: RFC 8785 canonical JSON of the five fields of §6."""
    if not TYPE_PATTERN.match(type):
        raise ValueError(f"log entry type {type!r} is not like 'label.issued'")
    _refuse_private(data)
    document: dict[str, Any] = {
        "type": type,
        "time": rfc3339(time),
        "actor": actor,
        "subject": subject,
        "data": dict(data),
    }
    try:
        encoded = rfc8785.dumps(document)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"log entry data is not canonical JSON: {exc}") from exc
    if len(encoded) > MAX_ENTRY:
        raise ValueError(f"log entry of {len(encoded)} bytes; tiles hold {MAX_ENTRY} at most")
    return encoded


def _refuse_private(value: Any) -> None:
    """Household names, phones and similar never enter the public log (DESIGN.md §4)."""
    if isinstance(value, Mapping):
        leaked = PRIVATE_KEYS & set(value)
        if leaked:
            raise ValueError(f"private fields may not be logged: {sorted(leaked)}")
        for item in value.values():
            _refuse_private(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_private(item)


def append(session: Db, type: str, actor: str, subject: str, data: Mapping[str, Any]) -> int:
    """Append one entry inside the caller's transaction; returns its index."""
    return append_many(session, [(type, actor, subject, data)])[0]


def append_many(session: Db, entries: Iterable[Entry]) -> list[int]:
    """Append several entries at once (one head update, one node query, bulk inserts).

    The index is known at once, but the head row stays locked until the caller's transaction
    ends, so appenders commit one at a time: for writes that need their index before they
    commit (a label's signed token holds it). Others `submit` (registry/ledger/sequencer.py)."""
    now = entry_time()
    encoded = [Stored(t, a, s, now, encode_entry(t, now, a, s, d)) for t, a, s, d in entries]
    if not encoded:
        return []
    new_size = session.execute(
        update(LogHead)
        .where(LogHead.id == 1)
        .values(size=LogHead.size + len(encoded))
        .returning(LogHead.size)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    first = new_size - len(encoded)
    store(session, first, encoded)
    return list(range(first, new_size))


def entry_time() -> datetime:
    return utcnow().replace(microsecond=0)


def store(session: Db, first: int, entries: Sequence[Stored]) -> None:
    """Write `entries` as numbers `first`, `first + 1`, ... with their leaf hashes and the
    subtree hashes they complete. The caller holds the head row, raised by len(entries)."""
    leaves = [leaf_hash(e.entry) for e in entries]
    rows = tree.extended_nodes(first, leaves, _nodes(session, tree.extend_needs(first)))
    session.execute(
        insert(LogEntry),
        [
            {
                "index": first + i,
                "type": e.type,
                "actor": e.actor,
                "subject": e.subject,
                "time": e.time,
                "entry": e.entry,
            }
            for i, e in enumerate(entries)
        ],
    )
    session.execute(insert(LogNode), [{"level": lv, "index": ix, "hash": h} for lv, ix, h in rows])


def _nodes(session: Db, keys: list[tree.Key]) -> dict[tree.Key, bytes]:
    if not keys:
        return {}
    query = select(LogNode.level, LogNode.index, LogNode.hash).where(
        tuple_(LogNode.level, LogNode.index).in_(keys)
    )
    return {(level, index): digest for level, index, digest in session.execute(query)}


def size(session: Db) -> int:
    return session.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0


def entry(session: Db, index: int) -> bytes:
    found = session.scalar(select(LogEntry.entry).where(LogEntry.index == index))
    if found is None:
        raise EntryNotFound()
    return found


def recent(session: Db, limit: int = 50, before: int | None = None) -> list[LogEntry]:
    query = select(LogEntry).order_by(LogEntry.index.desc()).limit(limit)
    if before is not None:
        query = query.where(LogEntry.index < before)
    return list(session.scalars(query))


def root(session: Db, tree_size: int) -> bytes:
    return tree.root(tree_size, _nodes(session, tree.root_needs(tree_size)))


def _too_big(session: Db, name: str) -> BadParameter:
    current = size(session)
    return BadParameter(
        _l("%(name)s must be between 1 and the log size %(size)d.", name=name, size=current),
        errors={name: [f"1..{current}"]},
    )


def _proof_nodes(session: Db, keys: list[tree.Key], tree_size: int, name: str) -> tree.Nodes:
    """The nodes a proof needs, plus the tree's last leaf: if that leaf is not stored, the
    asked size is beyond the log. One query instead of reading the head first."""
    last_leaf = (0, tree_size - 1)
    nodes = _nodes(session, [*keys, last_leaf])
    if last_leaf not in nodes:
        raise _too_big(session, name)
    return nodes


def inclusion_proof(session: Db, index: int, tree_size: int) -> list[bytes]:
    if tree_size < 1:
        raise _too_big(session, "size")
    if not 0 <= index < tree_size:
        raise BadParameter(
            _l("index must be below size."), errors={"index": [f"0..{tree_size - 1}"]}
        )
    keys = tree.inclusion_needs(index, tree_size)
    return tree.inclusion_proof(index, tree_size, _proof_nodes(session, keys, tree_size, "size"))


def consistency_proof(session: Db, first: int, second: int) -> list[bytes]:
    if second < 1:
        raise _too_big(session, "to")
    if not 1 <= first <= second:
        raise BadParameter(_l("from must be between 1 and to."), errors={"from": [f"1..{second}"]})
    keys = tree.consistency_needs(first, second)
    return tree.consistency_proof(first, second, _proof_nodes(session, keys, second, "to"))


def checkpoint(session: Db, origin: str, key: Ed25519PrivateKey) -> bytes:
    """The signed checkpoint of the current tree, signing (and keeping) a new one only when
    the tree has grown or the key has changed since the last one. Callers commit; two
    requests racing may both keep a note of the same size, which is harmless."""
    key_hash = note.key_id(origin, note.raw_public(key.public_key())).hex()
    current = size(session)
    latest = session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.id.desc()).limit(1))
    if latest and latest.size == current and latest.key_hash == key_hash:
        return latest.note
    tree_root = root(session, current)
    signed = note.sign_note(note.format_checkpoint(origin, current, tree_root), origin, key)
    session.add(LogCheckpoint(size=current, root=tree_root, note=signed, key_hash=key_hash))
    return signed
