"""Publishing the log's tiles to the file store (registry/ledger/publish.py), read back as a
static host would serve them: by the shared checker, from the store alone."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from registry.db import db
from registry.jobs import periodic
from registry.keys import keystore
from registry.ledger import publish, service, tiles
from registry.ledger.models import LogNode, LogPublication
from registry.storage import Missing
from registry.storage.local import LocalStore
from tests.ledger.test_tiles import CHECKER

ORIGIN = "test.phatthaithap.vn/log"


def grow(to: int) -> None:
    """Append test entries until the log has ``to`` of them (in batches, committed)."""
    have = service.size(db.session)
    while have < to:
        count = min(to - have, 20000)
        service.append_many(
            db.session,
            [("test.event", "HTX-A", f"s{i}", {"i": i}) for i in range(have, have + count)],
        )
        db.session.commit()
        have += count


def signed() -> bytes:
    note = service.checkpoint(db.session, ORIGIN, keystore().private("log"))
    db.session.commit()
    return note


def stored(store: LocalStore) -> set[str]:
    """Every key under the store's log/ prefix."""
    return {
        path.relative_to(store.root).as_posix()
        for path in store.root.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


def expected(size: int) -> set[str]:
    return {publish.key(tile) for tile in tiles.tiles(size)} | {publish.CHECKPOINT}


def audit(store: LocalStore, size: int, current: int | None = None) -> None:
    """The shared checker rebuilds the tree of ``size`` from the store's files alone."""

    def fetch(path: str) -> bytes:
        try:
            return store.get(f"log/{path}")
        except Missing:
            raise KeyError(path) from None

    root = service.root(db.session, size)
    entries = CHECKER.check_tree(CHECKER.Tiles(fetch, current), size, root)
    assert len(entries) == size
    assert entries[0] == service.entry(db.session, 0)
    assert entries[-1] == service.entry(db.session, size - 1)


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "files")


def test_an_empty_log_publishes_its_checkpoint_only(ctx: None, store: LocalStore) -> None:
    done = publish.publish(db.session, store, signed())
    assert done == publish.Published(0, 0, 0, 0, current=True)
    assert stored(store) == {publish.CHECKPOINT}


def test_sizes_at_tile_boundaries_incrementally_and_from_scratch(
    ctx: None, store: LocalStore, tmp_path: Path
) -> None:
    previous = 0
    for size in (1, 255, 256, 257, 65535, 65536, 65537):
        grow(size)
        note = signed()
        done = publish.publish(db.session, store, note)
        assert (done.size, done.previous, done.current) == (size, previous, True)
        assert done.written == len(tiles.new_tiles(previous, size))
        assert stored(store) == expected(size)  # replaced partial tiles are gone
        assert store.get(publish.CHECKPOINT) == note
        audit(store, size)
        previous = size
    audit(store, 300, current=65537)  # an older tree, read from today's tiles
    scratch = LocalStore(tmp_path / "scratch")
    publish.publish(db.session, scratch, signed())
    assert all(scratch.get(key) == store.get(key) for key in expected(65537))


def test_tiles_carry_their_cache_lifetimes(ctx: None) -> None:
    full, edge = tiles.Tile(0, 0), tiles.Tile(0, 1, 3)
    assert publish.cache_control(full) == "public, max-age=31536000, immutable"
    assert "immutable" not in publish.cache_control(edge)


def test_publishing_again_writes_nothing_new(ctx: None, store: LocalStore) -> None:
    grow(300)
    publish.publish(db.session, store, signed())
    before = {key: store.get(key) for key in stored(store)}
    again = publish.publish(db.session, store, signed())
    assert (again.written, again.removed, again.current) == (0, 0, True)
    assert {key: store.get(key) for key in stored(store)} == before


def test_an_older_checkpoint_never_replaces_a_newer_one(ctx: None, store: LocalStore) -> None:
    grow(300)
    old = signed()
    grow(600)
    new = signed()
    publish.publish(db.session, store, new)
    late = publish.publish(db.session, store, old)
    assert not late.current and late.written == 0
    assert store.get(publish.CHECKPOINT) == new
    assert stored(store) == expected(600)
    assert db.session.scalar(select(LogPublication.size)) == 600


def test_a_publisher_that_loses_the_race_removes_its_own_partial_tiles(
    ctx: None, store: LocalStore
) -> None:
    """Both read the store before either published; the older one finishes last."""
    grow(300)
    old = signed()
    grow(600)
    publish.publish(db.session, store, signed())
    store.delete(publish.CHECKPOINT)  # as the slow publisher saw it: nothing published yet
    late = publish.publish(db.session, store, old)
    assert not late.current and late.removed == 3  # entries/001.p/44, 0/001.p/44, 1/000.p/1
    assert stored(store) == expected(600) - {publish.CHECKPOINT}


def test_racing_publishers_leave_the_newest_complete_checkpoint(
    app: Flask, ctx: None, store: LocalStore
) -> None:
    notes = []
    for size in (100, 300, 520, 700, 1030):
        grow(size)
        notes.append(signed())
    db.session.remove()
    failures: list[BaseException] = []
    start = threading.Barrier(len(notes))

    def run(note: bytes) -> None:
        with app.app_context():
            start.wait()
            try:
                publish.publish(db.session, store, note)
            except BaseException as exc:  # reported below
                failures.append(exc)

    threads = [threading.Thread(target=run, args=(note,)) for note in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert store.get(publish.CHECKPOINT) == notes[-1]
    assert stored(store) == expected(1030)
    audit(store, 1030)


def test_a_store_holding_another_logs_checkpoint_is_refused(ctx: None, store: LocalStore) -> None:
    grow(10)
    store.put(publish.CHECKPOINT, signed())
    db.session.execute(delete(LogNode).where(LogNode.level == 3, LogNode.index == 0))
    db.session.add(LogNode(level=3, index=0, hash=b"\x07" * 32))  # another tree's first 8
    with pytest.raises(publish.ForeignStore):
        publish.publish(db.session, store, signed())
    store.put(publish.CHECKPOINT, b"not a note")
    with pytest.raises(publish.ForeignStore):
        publish.publish(db.session, store, signed())


def test_a_missing_subtree_hash_stops_publication(ctx: None, store: LocalStore) -> None:
    grow(600)
    note = signed()
    db.session.execute(delete(LogNode).where(LogNode.level == 8, LogNode.index == 1))
    with pytest.raises(publish.MissingNodes):
        publish.publish(db.session, store, note)
    assert publish.CHECKPOINT not in stored(store)


def test_the_command_publishes_the_current_checkpoint(app: Flask, app_store: LocalStore) -> None:
    with app.app_context():
        grow(257)
    result = app.test_cli_runner().invoke(args=["log", "publish-tiles"])
    assert result.exit_code == 0, result.output
    assert "size 257 (the store held 0): 5 tiles written" in result.output
    assert stored(app_store) == expected(257)
    with app.app_context():
        grow(513)
    result = app.test_cli_runner().invoke(args=["log", "publish-tiles"])
    assert "size 513 (the store held 257): 5 tiles written, 3 replaced" in result.output
    assert stored(app_store) == expected(513)


def test_the_job_workers_publish_every_minute(app: Flask, app_store: LocalStore) -> None:
    scheduled = {entry.name: entry for entry in periodic.SCHEDULE}["ledger.publish_tiles"]
    with app.app_context():
        grow(300)
        scheduled.func(db.session, 0)
        assert stored(app_store) == expected(300)
