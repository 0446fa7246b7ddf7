"""HTX pages: register a field, open a season, keep the diary, in Vietnamese."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from PIL import Image

from registry.accounts.models import OrgKind
from tests.conftest import Factory, csrf_token, login

FIELD_FORM = {
    "code": "ds-01",
    "name": "Ruộng Đồng Cao",
    "area_ha": "1",
    "province": "Hải Phòng",
    "commune": "phường Đồ Sơn",
    "lat": "20.7105",
    "lon": "106.7802",
}


def signed_in_htx(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))


def post(client: FlaskClient, path: str, data: dict, form_page: str | None = None) -> object:
    token = csrf_token(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def test_register_a_field_from_the_phone_form(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    response = post(client, "/fields/new", FIELD_FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/fields/DS-01"
    page = client.get("/fields/DS-01").get_data(as_text=True)
    assert "Ruộng Đồng Cao" in page and "<svg" in page
    assert "DS-01" in client.get("/fields").get_data(as_text=True)


def test_bad_field_input_gives_messages_beside_each_field(
    client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    bad = {**FIELD_FORM, "code": "mã có dấu", "area_ha": "-1", "lat": "13.7", "lon": "100.5"}
    response = post(client, "/fields/new", bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="code-error"' in html and 'id="area_ha-error"' in html
    assert "Dùng 1 đến 20 ký tự" in html
    nowhere = post(client, "/fields/new", {**FIELD_FORM, "lat": "13.7", "lon": "100.5"})
    assert nowhere.status_code == 422 and "ngoài Việt Nam" in nowhere.get_data(as_text=True)
    assert "DS-01" not in client.get("/fields").get_data(as_text=True)


def test_open_a_season_and_keep_its_diary(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    opened = post(
        client,
        "/fields/DS-01/seasons",
        {"season_type": "vu_mua", "year": "2026", "sowing_date": "2026-07-05"},
        form_page="/fields/DS-01",
    )
    assert opened.status_code == 302 and opened.headers["Location"] == "/seasons/DS-01-2026-VM"
    kinds = client.get("/seasons/DS-01-2026-VM/diary").get_data(as_text=True)
    assert "Hôm nay làm gì?" in kinds
    form_page = "/seasons/DS-01-2026-VM/diary?kind=water"
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(photo, "JPEG")
    saved = post(
        client,
        form_page,
        {
            "kind": "water",
            "date": "2026-07-25",
            "event": "drainage",
            "end_date": "2026-08-01",
            "photo": (io.BytesIO(photo.getvalue()), "ruong.jpg"),
        },
    )
    assert saved.status_code == 302
    season = client.get("/seasons/DS-01-2026-VM").get_data(as_text=True)
    assert "Rút nước, phơi ruộng" in season and "/evidence/" in season
    sha = season.split("/evidence/")[1].split('"')[0]
    assert client.get(f"/evidence/{sha}").mimetype == "image/jpeg"


def test_diary_errors_are_shown_and_nothing_is_saved(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    post(
        client,
        "/fields/DS-01/seasons",
        {"season_type": "vu_mua", "year": "2026", "sowing_date": "2026-07-05"},
        form_page="/fields/DS-01",
    )
    page = "/seasons/DS-01-2026-VM/diary?kind=harvest"
    early = post(client, page, {"kind": "harvest", "date": "2026-06-01", "kg": "5000"})
    assert early.status_code == 422 and "trước ngày gieo sạ" in early.get_data(as_text=True)
    negative = post(client, page, {"kind": "harvest", "date": "2026-10-10", "kg": "-5"})
    assert negative.status_code == 422 and 'id="kg-error"' in negative.get_data(as_text=True)
    not_image = post(
        client,
        page,
        {
            "kind": "harvest",
            "date": "2026-10-10",
            "kg": "5000",
            "photo": (io.BytesIO(b"%!PS not an image"), "a.jpg"),
        },
    )
    assert not_image.status_code == 422 and 'id="photo-error"' in not_image.get_data(True)
    assert "Chưa ghi gì." in client.get("/seasons/DS-01-2026-VM").get_data(as_text=True)


def test_correcting_an_entry_keeps_the_original(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    post(
        client,
        "/fields/DS-01/seasons",
        {"season_type": "vu_mua", "year": "2026", "sowing_date": "2026-07-05"},
        form_page="/fields/DS-01",
    )
    page = "/seasons/DS-01-2026-VM/diary?kind=harvest"
    post(client, page, {"kind": "harvest", "date": "2026-10-10", "kg": "5000"})
    season = client.get("/seasons/DS-01-2026-VM").get_data(as_text=True)
    entry_id = season.split("supersedes=")[1].split('"')[0]
    fix_page = f"/seasons/DS-01-2026-VM/diary?kind=harvest&supersedes={entry_id}"
    assert 'value="5000"' in client.get(fix_page).get_data(as_text=True)
    no_reason = post(
        client,
        fix_page,
        {"kind": "harvest", "date": "2026-10-10", "kg": "5200", "supersedes": entry_id},
    )
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.get_data(True)
    fixed = post(
        client,
        fix_page,
        {
            "kind": "harvest",
            "date": "2026-10-10",
            "kg": "5200",
            "supersedes": entry_id,
            "reason": "Cân lại",
        },
    )
    assert fixed.status_code == 302
    season = client.get("/seasons/DS-01-2026-VM").get_data(as_text=True)
    assert "đã sửa" in season and "Cân lại" in season and "5.200" in season


def test_other_organisations_cannot_open_an_htxs_pages(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/fields")})
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert client.get("/fields/DS-01").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    login(client, make.user(make.org(kind=OrgKind.RETAILER)))
    assert client.get("/fields").status_code == 403


def test_attach_a_certification_with_its_scan(client: FlaskClient, make: Factory) -> None:
    signed_in_htx(client, make)
    post(client, "/fields/new", FIELD_FORM)
    cert = {
        "scheme": "vietgap",
        "number": "VietGAP-TT-21-05-31-0012",
        "issuer": "Trung tâm KN",
        "valid_from": "2025-03-01",
        "valid_until": "2028-02-28",
    }
    wrong = post(
        client,
        "/fields/DS-01/certifications",
        {**cert, "valid_until": "2024-01-01"},
        form_page="/fields/DS-01",
    )
    assert wrong.status_code == 422 and 'id="valid_until-error"' in wrong.get_data(True)
    ocop = post(
        client,
        "/fields/DS-01/certifications",
        {**cert, "scheme": "ocop"},
        form_page="/fields/DS-01",
    )
    assert ocop.status_code == 422 and 'id="ocop_stars-error"' in ocop.get_data(True)
    scan = (io.BytesIO(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"), "gcn.pdf")
    done = post(
        client,
        "/fields/DS-01/certifications",
        {**cert, "document": scan},
        form_page="/fields/DS-01",
    )
    assert done.status_code == 302
    page = client.get("/fields/DS-01").get_data(as_text=True)
    assert "VietGAP-TT-21-05-31-0012" in page and "/evidence/" in page
