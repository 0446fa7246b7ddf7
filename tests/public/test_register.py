"""The public register: search, records of serials, HTX, commune and verifier pages with
verified reductions, nothing private in any of it, and the way to the open data."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.labels.models import Label
from registry.public import records
from tests.public.conftest import HOUSEHOLD, label  # noqa: F401

PAGES = (
    "/register",
    "/register/htx",
    "/register/htx/HTX-THOILAI",
    "/register/communes",
    "/register/communes/Cần Thơ/xã Thới Lai",
    "/register/verifiers",
    "/register/verifiers/VER-1",
    "/register/products/08934567890120",
    "/register/products/08934567890120/lots/TUI-1",
    "/register/batches/HTX-THOILAI/TUI-1",
)


def test_search_finds_serials_lots_htxs_and_verifiers(client: FlaskClient, label: Label) -> None:
    for words, expected in (
        (label.serial.lower(), f"/register/labels/{label.serial}"),
        ("TUI", "/register/batches/HTX-THOILAI/TUI-1"),
        ("thoilai", "/register/htx/HTX-THOILAI"),
        ("ver-1", "/register/verifiers/VER-1"),
    ):
        html = client.get("/register", query_string={"q": words}).get_data(as_text=True)
        assert expected in html, words
    nothing = client.get("/register", query_string={"q": "%_\\"}).get_data(as_text=True)
    assert "Không tìm thấy gì." in nothing


def test_every_page_answers_and_nothing_private_is_on_it(client: FlaskClient, label: Label) -> None:
    users = db.session.scalars(select(User)).all()
    for path in (*PAGES, f"/register/labels/{label.serial}"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.get_data(as_text=True)
        assert HOUSEHOLD not in body, path
        assert not any(u.email in body or u.name in body for u in users), path


def test_the_htx_and_commune_pages_show_verified_reductions(
    client: FlaskClient, label: Label
) -> None:
    reduction = records.reductions(db.session, "organisation")[0].reduction_pct
    assert reduction is not None and reduction > 0
    shown = f"thấp hơn 2020 {reduction:.1f}".replace(".", ",")
    for path in ("/register/htx/HTX-THOILAI", "/register/communes/Cần Thơ/xã Thới Lai"):
        assert shown in client.get(path).get_data(as_text=True), path
    assert client.get("/register/htx/VER-1").status_code == 404  # a verifier is not an HTX


def test_the_record_of_a_serial_gives_its_status(client: FlaskClient, label: Label) -> None:
    html = client.get(f"/register/labels/{label.serial}").get_data(as_text=True)
    assert 'data-status="valid"' in html and "data-verdict" not in html
    for term, code in (("Đơn vị giữ nhãn", label.organisation), ("Đơn vị thẩm định", "VER-1")):
        shown = re.search(rf"<dt>{term}</dt><dd><a [^>]+>([^<]+)</a>(.*?)</dd>", html)
        assert shown, term
        name = db.session.scalar(select(Organisation.name).where(Organisation.code == code))
        assert shown.group(1) == name != code and f"<code>{code}</code>" in shown.group(2)
    assert client.get("/register/labels/NOSUCH").status_code == 404


def test_the_register_leads_to_the_open_data(client: FlaskClient, label: Label) -> None:
    html = client.get("/register").get_data(as_text=True)
    assert 'href="/open-data"' in html
