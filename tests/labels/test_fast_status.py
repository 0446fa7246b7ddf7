"""The status read served in front of Flask answers exactly what the Flask endpoint
answers, follows every change at once, and leaves everything else to Flask."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client

from registry.db import db
from registry.labels import status
from registry.labels.fast_status import StatusFastPath
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
    assert client.post("/api/v1/labels/NOPE0000").status_code == 405
    assert client.get("/api/v1/labels?limit=1").status_code == 200
