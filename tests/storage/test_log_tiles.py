"""The log's tiles published to each backend (a local folder and the S3 API server) and read
back from the store alone, as a static host or CDN in front of it would serve them."""

from __future__ import annotations

import uuid
from typing import Any

from registry.db import db
from registry.keys import keystore
from registry.ledger import publish, service, tiles
from registry.storage import Missing, Store
from registry.storage.local import LocalStore
from registry.storage.s3 import S3Store
from tests.ledger.test_publish import ORIGIN, grow
from tests.ledger.test_tiles import CHECKER
from tests.storage.conftest import BUCKET


def audit(store: Store, size: int, current: int | None = None) -> None:
    def fetch(path: str) -> bytes:
        try:
            return store.get(f"log/{path}")
        except Missing:
            raise KeyError(path) from None

    root = service.root(db.session, size)
    assert len(CHECKER.check_tree(CHECKER.Tiles(fetch, current), size, root)) == size


def publish_now(store: Store) -> publish.Published:
    note = service.checkpoint(db.session, ORIGIN, keystore().private("log"))
    db.session.commit()
    return publish.publish(db.session, store, note)


def test_tiles_on_every_backend(ctx: None, store: Store) -> None:
    grow(300)
    assert publish_now(store).written == len(tiles.tiles(300))
    audit(store, 300)
    grow(530)
    done = publish_now(store)
    assert (done.previous, done.removed) == (300, 3)
    audit(store, 530)
    audit(store, 300, current=530)
    assert sorted(store.keys("log/")) == sorted(
        [publish.CHECKPOINT, *(publish.key(tile) for tile in tiles.tiles(530))]
    )
    if isinstance(store, LocalStore):  # tile 001 is full: its folder of partials went too
        assert not (store.path("log/tile/0/001.p")).exists()
        empty = [p for p in store.root.rglob("*") if p.is_dir() and not any(p.iterdir())]
        assert empty == []


def test_objects_carry_their_type_and_lifetime_on_s3(ctx: None, s3: Any) -> None:
    store = S3Store(BUCKET, f"tests/{uuid.uuid4().hex}", s3=s3)
    grow(300)
    publish_now(store)

    def head(key: str) -> tuple[str, str]:
        found = s3.head_object(Bucket=store.bucket, Key=store.name(key))
        return found["ContentType"], found["CacheControl"]

    assert head("log/tile/0/000") == (
        "application/octet-stream",
        "public, max-age=31536000, immutable",
    )
    assert head("log/tile/0/001.p/44") == ("application/octet-stream", "public, max-age=60")
    assert head("log/checkpoint") == ("text/plain; charset=utf-8", "public, max-age=5")
