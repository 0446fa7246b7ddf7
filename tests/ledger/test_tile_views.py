"""GET /log/tile/... (DESIGN.md §6b) as auditors and CDNs use it, and the shared tiles
checker against a live server before and after the log grows past a tile boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.db import db
from registry.ledger import publish, service, tiles
from registry.ledger.rfc9162 import leaf_hash
from registry.storage.local import LocalStore
from tests.conftest import SHARED
from tests.ledger.test_publish import grow


def fill(app: Flask, size: int) -> None:
    with app.app_context():
        grow(size)


def publish_now(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["log", "publish-tiles"])
    assert result.exit_code == 0, result.output


def leaves(app: Flask, start: int, end: int) -> bytes:
    with app.app_context():
        return b"".join(leaf_hash(service.entry(db.session, i)) for i in range(start, end))


@pytest.mark.parametrize("published", [False, True])
def test_tiles_of_the_current_tree_are_served(
    app: Flask, client: FlaskClient, app_store: LocalStore, published: bool
) -> None:
    fill(app, 300)
    if published:
        publish_now(app)
    full = client.get("/log/tile/0/000")
    assert full.status_code == 200 and full.mimetype == "application/octet-stream"
    assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert full.headers["Access-Control-Allow-Origin"] == "*"
    assert full.data == leaves(app, 0, 256)
    edge = client.get("/log/tile/0/001.p/44")
    assert edge.headers["Cache-Control"] == "public, max-age=60"
    assert edge.data == leaves(app, 256, 300)
    with app.app_context():
        first = [service.entry(db.session, i) for i in range(256, 300)]
    assert tiles.decode_bundle(client.get("/log/tile/entries/001.p/44").data) == first
    assert len(client.get("/log/tile/entries/000").data) > 256 * 2
    assert len(client.get("/log/tile/1/000.p/1").data) == 32


def test_an_older_trees_partial_tiles_stay_readable(
    app: Flask, client: FlaskClient, app_store: LocalStore
) -> None:
    fill(app, 300)
    publish_now(app)
    assert client.get("/log/tile/0/001.p/3").data == leaves(app, 256, 259)
    assert client.get("/log/tile/0/000.p/1").data == leaves(app, 0, 1)
    assert client.get("/log/tile/entries/000.p/1").status_code == 200


def test_the_app_serves_what_the_store_holds(
    app: Flask, client: FlaskClient, app_store: LocalStore
) -> None:
    fill(app, 2)
    app_store.put("log/tile/0/000.p/2", b"\x01" * 64)  # (as a mirror would serve it)
    assert client.get("/log/tile/0/000.p/2").data == b"\x01" * 64


def test_tiles_beyond_the_log_are_not_found(
    app: Flask, client: FlaskClient, app_store: LocalStore
) -> None:
    fill(app, 300)
    for path in ("0/001.p/45", "0/001", "0/002", "1/000", "2/000.p/1", "entries/001.p/45"):
        response = client.get(f"/log/tile/{path}")
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 404


def test_malformed_tile_paths_are_bad_requests(
    app: Flask, client: FlaskClient, app_store: LocalStore
) -> None:
    fill(app, 3)
    for path in ("0/1", "0/x000/001", "9/000", "0/000.p/256", "0/000.p/0", "abc", "0/000.p/"):
        response = client.get(f"/log/tile/{path}")
        assert response.status_code == 400, path
        assert response.mimetype == "application/problem+json"
        assert "path" in response.json["errors"]


def test_full_tiles_answer_conditional_requests(
    app: Flask, client: FlaskClient, app_store: LocalStore
) -> None:
    fill(app, 256)
    first = client.get("/log/tile/0/000")
    again = client.get("/log/tile/0/000", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def tiles_check(base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SHARED / "checks" / "tiles_check.py"), base, *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("published", [False, True])
def test_the_shared_checker_passes_before_and_after_a_tile_boundary(
    app: Flask,
    client: FlaskClient,
    app_store: LocalStore,
    live_server: str,
    tmp_path: Path,
    published: bool,
) -> None:
    fill(app, 300)
    if published:
        publish_now(app)
    first = tiles_check(live_server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "size=300" in first.stdout and "rebuilt to the checkpoint's root" in first.stdout
    old = tmp_path / "checkpoint-300"
    old.write_bytes(client.get("/log/checkpoint").data)

    fill(app, 530)  # past the boundary at 512: tile 0/001 becomes full, 0/002 starts
    if published:
        publish_now(app)
        assert not app_store.exists(publish.key(tiles.Tile(0, 1, 44)))
    second = tiles_check(live_server, "--prev", str(old))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "size=530" in second.stdout
    assert "earlier tree of 300 entries still served unchanged" in second.stdout


def test_the_shared_checker_catches_a_rewritten_tile(
    app: Flask, client: FlaskClient, app_store: LocalStore, live_server: str
) -> None:
    fill(app, 300)
    publish_now(app)
    tampered = bytearray(app_store.get("log/tile/0/000"))
    tampered[5] ^= 1
    app_store.put("log/tile/0/000", bytes(tampered))
    found = tiles_check(live_server)
    assert found.returncode == 1 and "FAIL" in found.stdout
