"""Publishing the log as static tiles to the file store (DESIGN.md §6b), and reading them back.

For a signed checkpoint of size ``N`` the publisher writes, under the store's ``log/``
prefix, every full tile completed since the checkpoint the store already holds (full
tiles never change, so they are written once), the partial tiles of ``N``, and only then
``log/checkpoint`` itself: a static host or CDN pointed at the prefix never serves a
checkpoint whose tiles are missing. Tile bytes are read in bulk, one range query per level
and chunk, from ``log_nodes`` (hashes of tree level ``8·L`` are stored complete-subtree
hashes) and ``log_entries``.

Publishers may race (a cron job and a worker, two workers): every tile write puts the same
bytes under the same key, and the ``log_publication`` row orders the checkpoint writes: a
publisher raises its size (only upwards) and, holding the row, writes ``log/checkpoint``;
one whose checkpoint is older than the stored one leaves it alone. The partial tiles of the
checkpoint replaced are then deleted, except those the new one shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from registry import storage
from registry.db import Db, utcnow
from registry.errors import DomainError, NotFound
from registry.keys import keystore
from registry.ledger import note, service, tiles
from registry.ledger.models import LogEntry, LogNode, LogPublication
from registry.ledger.tiles import ENTRIES, Tile
from registry.storage import Missing, Store

PREFIX = "log"
CHECKPOINT = f"{PREFIX}/checkpoint"

FULL_CACHE = "public, max-age=31536000, immutable"
PARTIAL_CACHE = "public, max-age=60"
"""A partial tile's bytes never change; it is short-lived only because it may be deleted."""
CHECKPOINT_CACHE = "public, max-age=5"
TEXT = "text/plain; charset=utf-8"

CHUNK = 64
"""Tiles read from the database per query: 16,384 rows, a few MB of entries at most."""

WRITERS = 8
"""Tiles written at once: the store's writes wait on the disk or the network, not the CPU."""


class BadTilePath(DomainError):
    status = 400
    title = _l("This is not the path of a log tile.")


class TileNotFound(NotFound):
    title = _l("The log has no such tile (yet).")


class ForeignStore(RuntimeError):
    """The store's checkpoint is not one of this log's trees: publishing onto it would mix
    two logs' tiles."""


class MissingNodes(RuntimeError):
    """The database lacks rows a tile needs: the stored tree is damaged."""


@dataclass(frozen=True)
class Published:
    """What one publication did."""

    size: int
    previous: int  # size of the checkpoint the store held before (0: none)
    written: int  # tiles written
    removed: int  # superseded partial tiles deleted
    current: bool  # False when the store already held a larger checkpoint


def key(tile: Tile) -> str:
    """The store key of a tile: ``log/tile/...``."""
    return f"{PREFIX}/{tile.path}"


def cache_control(tile: Tile) -> str:
    return FULL_CACHE if tile.full else PARTIAL_CACHE


# ---------------------------------------------------------------- reading tiles
def read(session: Db, wanted: Iterable[Tile]) -> dict[Tile, bytes]:
    """The bytes of ``wanted`` tiles, built from the database with one query per level."""
    found: dict[Tile, bytes] = {}
    for level, group in groupby(sorted(wanted), key=lambda tile: tile.level):
        chosen = list(group)
        start, end = chosen[0].start, max(tile.end for tile in chosen)
        items = _items(session, level, start, end)
        for tile in chosen:
            part = items[tile.start - start : tile.end - start]
            if level == ENTRIES:
                found[tile] = tiles.encode_bundle(part)
            else:
                found[tile] = tiles.encode_hashes(part)
    return found


def _items(session: Db, level: int, start: int, end: int) -> list[bytes]:
    """Entries (level ``ENTRIES``) or hashes of tree level ``8·level`` at positions
    ``start <= i < end``, checked to be all there."""
    if level == ENTRIES:
        query = select(LogEntry.index, LogEntry.entry).where(
            LogEntry.index >= start, LogEntry.index < end
        )
        query = query.order_by(LogEntry.index)
    else:
        query = select(LogNode.index, LogNode.hash).where(
            LogNode.level == tiles.HEIGHT * level, LogNode.index >= start, LogNode.index < end
        )
        query = query.order_by(LogNode.index)
    rows = session.connection().execute(query).all()  # plain rows, no ORM work
    # primary keys are unique, so the right count with the right ends means no gap
    if len(rows) != end - start or (rows and (rows[0][0], rows[-1][0]) != (start, end - 1)):
        raise MissingNodes(f"level {level}: {len(rows)} of positions {start}..{end - 1} stored")
    return [value for _, value in rows]


def tile_bytes(session: Db, store: Store, tile: Tile) -> bytes:
    """A tile as the app serves it: from the store, else (not published yet, or an older
    checkpoint's partial tile since replaced) from the database, if the log has it."""
    try:
        return store.get(key(tile))
    except Missing:
        pass
    if not tiles.within(tile, service.size(session)):
        raise TileNotFound()
    return read(session, [tile])[tile]


# ---------------------------------------------------------------- publishing
def publish(session: Db, store: Store, signed: bytes) -> Published:
    """Publish the tiles of the signed checkpoint ``signed``, then the checkpoint.

    Commits the session (the ``log_publication`` row is held only while the checkpoint
    is written). Raises ``ForeignStore`` when the store holds another log's checkpoint.
    """
    size = _open(signed).size
    previous = _stored_size(session, store)
    if previous > size:
        return Published(size, previous, 0, 0, current=False)
    written = _write_tiles(session, store, tiles.new_tiles(previous, size))
    if not _claim(session, size):
        session.rollback()
        newest = session.scalar(select(LogPublication.size)) or 0
        removed = _remove(store, tiles.partials(size) - tiles.partials(newest))
        return Published(size, previous, written, removed, current=False)
    try:
        replaced = _stored_size(session, store)  # under the row: the store's newest one
        store.put(
            CHECKPOINT,
            signed,
            content_type="text/plain; charset=utf-8",
            cache_control=CHECKPOINT_CACHE,
        )
    except BaseException:
        session.rollback()
        raise
    session.commit()
    removed = _remove(store, tiles.partials(replaced) - tiles.partials(size))
    return Published(size, previous, written, removed, current=True)


def publish_current(session: Db, store: Store, origin: str, signer: Ed25519PrivateKey) -> Published:
    """Sign (or reuse) the checkpoint of the whole log now and publish it."""
    signed = service.checkpoint(session, origin, signer)
    session.commit()
    return publish(session, store, signed)


def publish_job(session: Db) -> None:
    """The job workers' publication, every minute (registry/jobs/periodic.py)."""
    origin = current_app.config["LOG_ORIGIN"]
    publish_current(session, storage.store(), origin, keystore().private("log"))


def _write_tiles(session: Db, store: Store, todo: Sequence[Tile]) -> int:
    """Write ``todo``, a chunk at a time: the writes of one chunk (each a file flushed to
    disk, or a request to object storage) run on threads while the next chunk is read."""
    with ThreadPoolExecutor(WRITERS, thread_name_prefix="tiles") as pool:
        pending: list[Future[None]] = []
        for at in range(0, len(todo), CHUNK):
            built = read(session, todo[at : at + CHUNK])
            for future in pending:
                future.result()  # a failed write stops the publication here
            pending = [pool.submit(_put, store, tile, data) for tile, data in built.items()]
        for future in pending:
            future.result()
    return len(todo)


def _put(store: Store, tile: Tile, data: bytes) -> None:
    store.put(key(tile), data, cache_control=cache_control(tile))


def _remove(store: Store, stale: set[Tile]) -> int:
    for tile in stale:
        store.delete(key(tile))
    return len(stale)


def _claim(session: Db, size: int) -> bool:
    """Raise the published size to ``size`` unless it is already larger; True if raised
    (or equal). Holds the row (PostgreSQL) or the write lock (SQLite) until commit."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    insert = dialect.insert(LogPublication).values(id=1, size=size, published_at=now)
    upsert = insert.on_conflict_do_update(
        index_elements=[LogPublication.id],
        set_={"size": insert.excluded.size, "published_at": now},
        where=LogPublication.size <= insert.excluded.size,
    ).returning(LogPublication.size)
    return session.execute(upsert).first() is not None


def _open(signed: bytes) -> note.Checkpoint:
    """The checkpoint a signed note carries (the note is the registry's own: not verified)."""
    text = signed.decode()
    return note.parse_checkpoint(text[: text.rfind("\n\n") + 1])


def _stored_size(session: Db, store: Store) -> int:
    """The size of the store's checkpoint (0 without one), once it is sure to be one of
    this log's trees: its root must be the root of the log's first ``size`` entries."""
    try:
        stored = _open(store.get(CHECKPOINT))
    except Missing:
        return 0
    except (ValueError, UnicodeDecodeError) as exc:
        raise ForeignStore(f"{CHECKPOINT} in the store is not a checkpoint: {exc}") from None
    if stored.size > service.size(session) or stored.root != service.root(session, stored.size):
        raise ForeignStore(
            f"{CHECKPOINT} in the store (size {stored.size}) is not a tree of this log"
        )
    return stored.size
