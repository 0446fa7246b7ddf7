"""The status read served in front of Flask answers exactly what the Flask endpoint
answers, follows every change at once, and leaves everything else to Flask."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.request import Request, urlopen

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import Client

from registry.db import db
from registry.labels import status
from registry.labels.fast_status import PsycopgReader, StatusFastPath
from registry.labels.models import LabelStatus
from tests.labels.conftest import authority, issuer, packed  # noqa: F401
from tests.labels.test_issuance import issued


def test_the_fast_read_equals_the_flask_endpoint(
    app: Flask, client: FlaskClient, packed, authority, issuer
) -> None:
    label = issued(packed, authority, issuer, units=3)
    fast = app.wsgi_app
    assert isinstance(fast, StatusFastPath)
    through_flask = Client(fast.wrapped)
    for serial in (label.serial, label.serial.lower()):
        answer = client.get(f"/api/v1/labels/{serial}")
        assert answer.status_code == 200 and answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.json == through_flask.get(f"/api/v1/labels/{serial}").json
    again = client.get(
        f"/api/v1/labels/{label.serial}", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304
    status.change(db.session, authority, label.serial, LabelStatus.SUSPENDED, "under_review")
    db.session.commit()
    changed = client.get(
        f"/api/v1/labels/{label.serial}", headers={"If-None-Match": answer.headers["ETag"]}
    )
    assert changed.status_code == 200 and changed.json["status"] == "suspended"
    assert changed.json == through_flask.get(f"/api/v1/labels/{label.serial}").json


def test_unknown_serials_and_other_paths_go_to_flask(client: FlaskClient) -> None:
    missing = client.get("/api/v1/labels/NOPE0000")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/v1/labels/" + "A" * 21).status_code == 404
    assert client.post("/api/v1/labels/NZPE0000").status_code == 405  # a serial's form: no O
    assert client.get("/api/v1/labels?limit=1").status_code == 200


def test_500_reads_through_a_threaded_server_leave_the_pool_healthy(
    app: Flask, packed, authority, issuer
) -> None:
    """The development server that `make demo` runs starts a thread per request: a read must
    give its connection back, or the pool runs dry after about fifteen reads and every page
    waits 30 s for a connection (issue 17, item 1)."""
    serial = issued(packed, authority, issuer).serial
    db.session.commit()
    db.session.close()  # the test's own session holds no connection while it counts them
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        for _ in range(500):  # a timeout, not a speed target: a starved pool waits 30 s
            with urlopen(f"{base}/api/v1/labels/{serial}", timeout=10) as answer:
                assert json.load(answer)["status"] == "valid"
        with urlopen(f"{base}/healthz", timeout=2) as health:
            assert health.status == 200
        with urlopen(_bulk(base, [serial]), timeout=5) as bulk:
            assert json.load(bulk)[0]["serial"] == serial
    finally:
        server.shutdown()
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_concurrent_reads_share_a_bounded_set_of_connections(
    app: Flask, packed, authority, issuer
) -> None:
    """However many threads read at once (gunicorn gthread, the development server), the
    fast path holds at most its few connections and hands each back after the read."""
    serial = issued(packed, authority, issuer).serial
    db.session.commit()
    db.session.close()
    fast = app.wsgi_app
    assert isinstance(fast, StatusFastPath)

    def read(_: int) -> bytes | None:
        return fast.read(serial)

    with ThreadPoolExecutor(max_workers=32) as pool:
        bodies = set(pool.map(read, range(400)))
    assert len(bodies) == 1 and json.loads(bodies.pop() or b"{}")["serial"] == serial
    if isinstance(fast.reader, PsycopgReader):  # SQLite's reads use the engine's pool
        assert len(fast.reader.idle) <= fast.reader.size
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def _bulk(base: str, serials: list[str]) -> Request:
    return Request(
        f"{base}/api/v1/labels/status",
        data=json.dumps({"serials": serials}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
