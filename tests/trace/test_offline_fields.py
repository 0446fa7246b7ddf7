"""A field registered from the phone's outbox (issue 21): the new-field form answers the
outbox in JSON under its Idempotency-Key (201 and the field, or problem details with a
message by field), a retry never registers the field twice, and the service worker and the
offline pages keep the form and its map so that a field can be walked with no signal."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from registry.db import db
from registry.ledger.models import LogEntry
from registry.trace.geo import validate_location
from registry.trace.models import Field
from tests.conftest import Factory
from tests.trace.test_geo import HAI_PHONG, ground_square, polygon
from tests.trace.test_offline import outbox_post
from tests.trace.test_views import FIELD_FORM, signed_in_htx

# A walked boundary of one hectare, as field-map.js writes it into the form's GeoJSON input.
BOUNDARY = polygon(ground_square(*HAI_PHONG, 100))
WALKED = {**FIELD_FORM, "code": "ds-21", "lat": "", "lon": "", "geojson": json.dumps(BOUNDARY)}


def registered(app: Flask) -> tuple[int, int]:
    """How many fields, and how many `field.registered` entries in the log."""
    with app.app_context():
        fields = db.session.scalar(select(func.count()).select_from(Field)) or 0
        logged = select(func.count()).where(LogEntry.type == "field.registered")
        return fields, db.session.scalar(logged) or 0


def test_a_walked_field_is_registered_once_however_often_it_is_sent(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    key = str(uuid.uuid4())
    first = outbox_post(client, "/fields/new", WALKED, key)
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.json
    assert body["url"] == first.headers["Location"] == "/fields/DS-21"
    assert body["code"] == "DS-21" and body["area_ha"] == 1
    assert body["drawn_area_ha"] == validate_location(BOUNDARY, 1).area_ha
    assert body["location"]["type"] == "Polygon" and isinstance(body["log_index"], int)
    again = outbox_post(client, "/fields/new", WALKED, key)  # the answer was lost: sent again
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == body and registered(app) == (1, 1)
    assert "Đã đăng ký thửa" not in client.get("/fields/DS-21").get_data(as_text=True)
    assert "DS-21" in client.get("/fields").get_data(as_text=True)
    other = outbox_post(client, "/fields/new", {**WALKED, "name": "Ruộng khác"}, key)
    assert other.status_code == 422 and other.json["type"].endswith("/idempotency-key-reused")


def test_a_code_already_taken_is_409_with_the_code_named(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    assert outbox_post(client, "/fields/new", WALKED).status_code == 201
    key = str(uuid.uuid4())
    taken = outbox_post(client, "/fields/new", {**WALKED, "name": "Ruộng bà Tư"}, key)
    assert taken.status_code == 409 and taken.mimetype == "application/problem+json"
    assert taken.json["title"] == "Nội dung này mâu thuẫn với dữ liệu đã có trong sổ đăng ký."
    assert taken.json["detail"] == "Đã có thửa ruộng với mã này."
    assert taken.json["errors"] == {"code": ["Đã được sử dụng."]}
    # A refusal writes nothing and frees its key: the same request refused again, not replayed.
    again = outbox_post(client, "/fields/new", {**WALKED, "name": "Ruộng bà Tư"}, key)
    assert again.status_code == 409 and "Idempotent-Replayed" not in again.headers
    assert registered(app) == (1, 1)


def test_a_boundary_far_from_the_declared_area_is_422_under_the_location(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    refused = outbox_post(client, "/fields/new", {**WALKED, "area_ha": "5"})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.json["type"].endswith("/rule-broken")
    (message,) = refused.json["errors"]["location"]
    assert "Diện tích vẽ là" in message and "diện tích khai báo là 5,00 ha" in message
    bad = outbox_post(client, "/fields/new", {**WALKED, "code": "mã có dấu", "area_ha": "-1"})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"code", "area_ha"}
    assert registered(app) == (0, 0)


def test_the_form_page_still_works_without_the_outbox(client: FlaskClient, make: Factory) -> None:
    """Without JavaScript (no JSON asked for, no key): redirected to the field, and refused
    with the form again, its messages beside the fields."""
    signed_in_htx(client, make)
    headers = {"X-CSRFToken": client.get("/outbox/token").json["csrf_token"]}
    sent = client.post("/fields/new", data=WALKED, headers=headers)
    assert sent.status_code == 302 and sent.headers["Location"] == "/fields/DS-21"
    again = client.post("/fields/new", data=WALKED, headers=headers)
    html = again.get_data(as_text=True)
    assert again.status_code == 422 and 'id="code-error"' in html and "Đã được sử dụng." in html


def shell(client: FlaskClient) -> list[str]:
    """The files the service worker keeps when it installs (its SHELL list)."""
    script = client.get("/sw.js").get_data(as_text=True)
    listed = re.search(r"var SHELL = \[(.*?)\];", script, re.S)
    assert listed is not None
    return re.findall(r'"(/[^"]*)"', listed.group(1))


def test_the_worker_and_the_pages_keep_the_field_form_and_its_map(
    client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    kept = shell(client)
    for asset in ("/static/vendor/leaflet/leaflet.js", "/static/js/field-map.js"):
        assert asset in kept
    for path in kept:  # one missing file would stop the worker from installing
        assert client.get(path).status_code == 200, path
    form = client.get("/fields/new").get_data(as_text=True)
    assert 'rel="manifest"' in form and 'id="outbox"' in form and "data-outbox " in form
    for page in ("/seasons", "/fields/new"):
        html = client.get(page).get_data(as_text=True)
        pages: list[Any] = json.loads(html.split("data-offline-pages='")[1].split("'")[0])
        assert pages == ["/fields/new", "/map/config.json", "/fields/map.geojson"], page
        for path in pages:
            assert client.get(path).status_code == 200, path
