"""The diary as an offline web app (issue 21; registry/trace/offline.py): the manifest and
the service worker, the CSRF token the outbox sends with, and the diary form answering the
outbox in JSON under its Idempotency-Key, refusals naming the entry to correct instead."""

from __future__ import annotations

import io
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from registry.accounts.models import OrgKind
from registry.db import db
from registry.trace.models import DiaryEntry, EvidenceFile
from tests.conftest import Factory, csrf_token, login
from tests.trace.test_views import FIELD_FORM, post, signed_in_htx

SEASON = "/seasons/DS-01-2026-VM"
WATER = f"{SEASON}/diary?kind=water"


def a_season(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    post(
        client,
        "/fields/DS-01/seasons",
        {"season_type": "vu_mua", "year": "2026", "sowing_date": "2026-07-05"},
        form_page="/fields/DS-01",
    )


def outbox_post(client: FlaskClient, url: str, data: dict[str, Any], key: str | None = None) -> Any:
    """A post as static/js/outbox-store.js sends it: JSON asked for, a key, the CSRF token
    in a header from /outbox/token."""
    token = client.get("/outbox/token").json["csrf_token"]
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return client.post(url, data=data, headers=headers, content_type="multipart/form-data")


def entries(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DiaryEntry)) or 0


def jpeg() -> io.BytesIO:
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(photo, "JPEG")
    photo.seek(0)
    return photo


def test_the_manifest_installs_the_diary_in_vietnamese(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    manifest = response.get_json(force=True)
    assert response.mimetype == "application/manifest+json"
    assert manifest["name"] == "Nhật ký đồng ruộng" and manifest["lang"] == "vi"
    assert manifest["start_url"] == "/seasons" and manifest["display"] == "standalone"
    sizes = {}
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/")  # nothing from another site
        got = client.get(icon["src"])
        assert got.status_code == 200 and got.mimetype == icon["type"]
        if icon["type"] == "image/png":
            sizes[icon["sizes"]] = Image.open(io.BytesIO(got.get_data())).size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}
    assert client.get("/icons/64.png").status_code == 404


def test_the_service_worker_is_served_from_the_root(client: FlaskClient) -> None:
    response = client.get("/sw.js")
    script = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype in (
        "text/javascript",
        "application/javascript",
    )
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert "http://" not in script and "https://" not in script  # no CDN, no other site
    for kept in ("/offline", "/static/js/outbox-store.js", "/static/css/app.css"):
        assert client.get(kept).status_code == 200


def test_the_outbox_token_is_401_when_signed_out(client: FlaskClient, make: Factory) -> None:
    signed_out = client.get("/outbox/token")
    assert signed_out.status_code == 401 and signed_out.mimetype == "application/problem+json"
    signed_in_htx(client, make)
    signed_in = client.get("/outbox/token")
    assert signed_in.json["csrf_token"] and signed_in.headers["Cache-Control"] == "no-store"


def test_the_outbox_token_and_pages_name_who_is_signed_in(
    client: FlaskClient, make: Factory
) -> None:
    """On a shared phone the outbox sends an entry only in the session of the clerk who
    saved it: the pages give it who is signed in to keep with each entry (`data-user`),
    and the token who is signed in now."""
    org = make.org(kind=OrgKind.PRODUCER)
    first, second = make.user(org), make.user(org)
    for user in (first, second):
        login(client, user)
        assert client.get("/outbox/token").json["user"] == user.id
        assert f'data-user="{user.id}"' in client.get("/seasons").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/fields")})


def test_only_the_diary_pages_carry_the_manifest_and_the_outbox(
    client: FlaskClient, make: Factory
) -> None:
    a_season(client, make)
    for page in ("/seasons", SEASON, f"{SEASON}/diary", WATER):
        html = client.get(page).get_data(as_text=True)
        assert 'rel="manifest"' in html and 'id="outbox"' in html, page
        assert "mục chờ gửi" in html
    season = client.get(SEASON).get_data(as_text=True)
    assert f"{SEASON}/diary?kind=water" in season.split("data-offline-pages=")[1].split(">")[0]
    assert 'rel="manifest"' not in client.get("/fields").get_data(as_text=True)


def test_an_outbox_entry_is_recorded_once_with_its_photos_time_and_place(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    a_season(client, make)
    key = str(uuid.uuid4())

    def send() -> Any:
        form = {"kind": "water", "date": "2026-07-25", "event": "drainage"}
        where = {"taken_at": "2026-07-25T01:30:00.000Z", "lat": "20.7105", "lon": "106.7802"}
        photo = {"photo": (jpeg(), "ruong.jpg"), "accuracy_m": "8"}
        return outbox_post(client, WATER, {**form, **where, **photo}, key)

    first = send()
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["url"].startswith(f"{SEASON}#entry-") and first.json["kind"] == "water"
    again = send()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and entries(app) == 1
    with app.app_context():
        meta = db.session.scalars(select(EvidenceFile.meta)).one()
    assert meta["taken_at"] == "2026-07-25T01:30:00+00:00"
    assert meta["taken_at_source"] == meta["gps_source"] == "device"
    assert meta["gps"] == {"lat": 20.7105, "lon": 106.7802, "alt": None, "accuracy_m": 8.0}


def test_a_refused_entry_names_the_entry_it_could_correct(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Corrected from the phone offline while a colleague corrected the same entry: the
    late correction is refused (409) and names the colleague's, which it may correct."""
    a_season(client, make)
    harvest = f"{SEASON}/diary?kind=harvest"
    first = outbox_post(client, harvest, {"kind": "harvest", "date": "2026-10-10", "kg": "5000"})
    original = first.json["id"]
    fix = {"kind": "harvest", "date": "2026-10-10", "supersedes": str(original)}
    colleague = outbox_post(client, harvest, {**fix, "kg": "5100", "reason": "Cân lại"})
    late = outbox_post(client, harvest, {**fix, "kg": "5200", "reason": "Cân ở kho"})
    assert late.status_code == 409 and late.mimetype == "application/problem+json"
    assert late.json["correct"] == colleague.json["id"] and "supersedes" in late.json["errors"]
    resent = {**fix, "kg": "5200", "reason": "Cân ở kho", "supersedes": str(late.json["correct"])}
    assert outbox_post(client, harvest, resent).status_code == 201
    assert entries(app) == 3


def test_only_a_correction_of_an_entry_corrected_meanwhile_offers_to_correct(
    client: FlaskClient, make: Factory
) -> None:
    """Any other refusal resent as a correction of the season's latest entry of its kind
    would be refused again (a date in the future) or silently replace a valid entry (too
    many trees cut): it names no entry to correct."""
    a_season(client, make)
    drained = {"kind": "water", "date": "2026-07-25", "event": "drainage"}
    assert outbox_post(client, WATER, drained).status_code == 201
    future = outbox_post(client, WATER, {**drained, "date": "2099-01-01"})
    assert future.status_code == 422 and "date" in future.json["errors"]
    assert "correct" not in future.json
    post(client, "/fields/new", {**FIELD_FORM, "code": "hd-01", "area_ha": "0.5"})
    orchard = {"crop": "fruit_tree", "year": "2026", "sowing_date": "2026-01-01"}
    form = "/fields/HD-01/seasons/new?crop=fruit_tree"
    post(client, "/fields/HD-01/seasons", {**orchard, "planting_year": "2016"}, form_page=form)
    trees = "/seasons/HD-01-2026-N/diary?kind=trees"
    cut = {"kind": "trees", "date": "2026-02-10", "change": "cut", "area_ha": "0.04"}
    assert outbox_post(client, trees, cut).status_code == 201
    too_much = outbox_post(client, trees, {**cut, "area_ha": "0.5"})
    assert too_much.status_code == 422 and "area_ha" in too_much.json["errors"]["data"]
    assert "correct" not in too_much.json


def test_entries_sent_by_the_outbox_leave_no_messages_for_the_next_page(
    client: FlaskClient, make: Factory
) -> None:
    """A phone sending its entries in JSON does not stack "Saved in the diary." (and the
    season's questions) once per entry on the page the clerk opens next."""
    a_season(client, make)
    assert "Đã mở vụ" in client.get(SEASON).get_data(as_text=True)  # its message shown
    for day in ("2026-07-20", "2026-07-21", "2026-07-22"):
        sent = outbox_post(client, WATER, {"kind": "water", "date": day, "event": "drainage"})
        assert sent.status_code == 201
    page = client.get(SEASON).get_data(as_text=True)
    assert "Đã ghi vào nhật ký." not in page and 'class="flash' not in page
    assert all(f"{day}/07/2026" in page for day in ("20", "21", "22"))
    post(client, WATER, {"kind": "water", "date": "2026-07-23", "event": "drainage"})
    assert client.get(SEASON).get_data(as_text=True).count("Đã ghi vào nhật ký.") == 1


def test_field_errors_come_back_as_problem_details(client: FlaskClient, make: Factory) -> None:
    a_season(client, make)
    bad = outbox_post(client, WATER, {"kind": "water", "date": "2099-01-01", "event": "x"})
    assert bad.status_code == 422 and "event" in bad.json["errors"]["data"]
    assert "correct" not in bad.json
    kind = outbox_post(client, f"{SEASON}/diary", {"kind": "magic", "date": "2026-07-25"})
    assert kind.status_code == 422 and "kind" in kind.json["errors"]


def test_signed_out_the_outbox_is_told_so_and_nothing_is_recorded(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Signed out with entries waiting: the post is sent to the sign-in page (a redirect the
    outbox reads as "sign in again") and a new token is a 401, which it reads the same."""
    a_season(client, make)
    stale = client.get("/outbox/token").json["csrf_token"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/fields")})
    response = client.post(
        WATER,
        data={"kind": "water", "date": "2026-07-25", "event": "drainage"},
        headers={"Accept": "application/json", "Idempotency-Key": "k", "X-CSRFToken": stale},
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/outbox/token").status_code == 401 and entries(app) == 0
