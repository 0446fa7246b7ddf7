"""The §6 endpoints as outside auditors use them, including the shared checker."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from registry.db import db
from registry.ledger import note, service
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.verify import verify_consistency, verify_inclusion
from tests.conftest import SHARED, Factory


def fill(app: Flask, n: int) -> None:
    with app.app_context():
        service.append_many(
            db.session, [("test.event", "HTX-A", f"s{i}", {"i": i}) for i in range(n)]
        )
        db.session.commit()


def test_checkpoint_is_signed_by_the_published_key(app: Flask, client: FlaskClient) -> None:
    fill(app, 5)
    vkey = client.get("/log/key").get_data(as_text=True)
    response = client.get("/log/checkpoint")
    assert response.mimetype == "text/plain"
    opened = note.open_checkpoint(response.data, vkey.strip())
    assert opened.origin == "test.phatthaithap.vn/log" and opened.size == 5
    assert client.get("/log/checkpoint").data == response.data  # same tree, same note


def test_entries_and_proofs_verify_against_the_checkpoint(app: Flask, client: FlaskClient) -> None:
    fill(app, 11)
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    cp = note.open_checkpoint(client.get("/log/checkpoint").data, vkey)
    entry = client.get("/log/entries/6").data
    proof = client.get("/log/proof/inclusion?index=6&size=11").json
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    assert proof["index"] == 6 and proof["size"] == 11
    assert verify_inclusion(6, 11, leaf_hash(entry), hashes, cp.root)

    with app.app_context():
        old_root = service.root(db.session, 4)
    consistency = client.get("/log/proof/consistency?from=4&to=11").json
    hashes = [base64.b64decode(h) for h in consistency["hashes"]]
    assert consistency["from"] == 4 and consistency["to"] == 11
    assert verify_consistency(4, 11, old_root, cp.root, hashes)


def test_bad_parameters_are_problem_details(app: Flask, client: FlaskClient) -> None:
    fill(app, 3)
    for url in (
        "/log/proof/inclusion?index=3&size=3",
        "/log/proof/inclusion?index=0&size=0",
        "/log/proof/inclusion?index=0&size=4",
        "/log/proof/inclusion?index=x&size=2",
        "/log/proof/inclusion?size=2",
        "/log/proof/consistency?from=0&to=2",
        "/log/proof/consistency?from=3&to=2",
        "/log/proof/consistency?from=1&to=9",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.mimetype == "application/problem+json" and response.json["errors"]
    missing = client.get("/log/entries/3")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_immutable_answers_are_cacheable(app: Flask, client: FlaskClient) -> None:
    fill(app, 2)
    response = client.get("/log/entries/1")
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get("/log/entries/1", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_public_page_shows_checkpoint_entries_and_how_to_audit(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    make.org(code="HTX-DOSON", name="HTX Dịch vụ Nông nghiệp Đồ Sơn")
    html = client.get("/log").get_data(as_text=True)
    assert "Sổ cái minh bạch" in html and "test.phatthaithap.vn/log\n1\n" in html
    assert "organisation.registered" in html and "HTX-DOSON" in html
    assert "log_check.py" in html
    client.set_cookie("lang", "en")
    assert "Transparency log" in client.get("/log").get_data(as_text=True)


def test_the_shared_auditor_accepts_the_log_and_its_growth(
    app: Flask, live_server: str, tmp_path: Path
) -> None:
    fill(app, 37)
    checker = str(SHARED / "checks" / "log_check.py")
    first = subprocess.run(
        [sys.executable, checker, live_server], capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 0, first.stdout + first.stderr
    saved = tmp_path / "checkpoint.txt"
    with app.test_client() as c:
        saved.write_bytes(c.get("/log/checkpoint").data)
    fill(app, 20)
    second = subprocess.run(
        [sys.executable, checker, live_server, "--prev", str(saved)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0 and "consistency 37 -> 57 ok" in second.stdout, second.stdout
