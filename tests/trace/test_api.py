from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from registry.accounts.models import OrgKind
from tests.accounts.test_api import bearer
from tests.conftest import Factory
from tests.trace.conftest import SQUARE

FIELD = {
    "code": "ds-01",
    "name": "Ruộng Đồng Cao",
    "area_ha": 1.0,
    "province": "Hải Phòng",
    "commune": "phường Đồ Sơn",
    "household": "Hộ ông Ba",
    "location": SQUARE,
}


def writer(app: Flask, make: Factory, kind: OrgKind = OrgKind.PRODUCER) -> dict[str, str]:
    return bearer(app, make.user(make.org(kind=kind)), scopes=("read", "write"))


def test_a_gateway_records_a_field_season_and_diary(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    field = client.post("/api/v1/fields", json=FIELD, headers=auth)
    assert field.status_code == 201, field.json
    assert field.json["code"] == "DS-01" and "household" not in field.json
    season = client.post(
        "/api/v1/seasons",
        json={"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-05-02"},
        headers=auth,
    )
    assert season.status_code == 201 and season.json["code"] == "DS-01-2026-HT"
    entry = client.post(
        "/api/v1/diary",
        headers=auth,
        json={
            "season": "DS-01-2026-HT",
            "kind": "water",
            "date": "2026-05-20",
            "data": {"event": "drainage", "end_date": "2026-05-27"},
        },
    )
    assert entry.status_code == 201 and len(entry.json["digest"]) == 64
    diary = client.get("/api/v1/seasons/DS-01-2026-HT/diary", headers=auth).json
    assert [e["data"]["event"] for e in diary] == ["drainage"]


def test_invalid_input_is_a_problem_with_field_errors(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    bad = client.post(
        "/api/v1/fields", headers=auth, json={**FIELD, "area_ha": -2, "province": "Sài Gòn"}
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert {"area_ha", "province"} <= set(bad.json["errors"])
    client.post("/api/v1/fields", json=FIELD, headers=auth)
    client.post(
        "/api/v1/seasons",
        headers=auth,
        json={"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-05-02"},
    )
    wrong = client.post(
        "/api/v1/diary",
        headers=auth,
        json={
            "season": "DS-01-2026-HT",
            "kind": "fertiliser",
            "date": "2026-05-20",
            "data": {"product": "NPK", "kg": -1, "colour": "xanh"},
        },
    )
    assert wrong.status_code == 422
    assert {"kg", "n_pct", "colour"} & set(wrong.json["errors"]["data"])
    unknown = client.post(
        "/api/v1/diary",
        headers=auth,
        json={"season": "DS-01-2026-HT", "kind": "magic", "date": "2026-05-20", "data": {}},
    )
    assert unknown.status_code == 422 and "kind" in unknown.json["errors"]


def test_one_htx_cannot_read_or_write_anothers_records(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    mine, theirs = writer(app, make), writer(app, make)
    client.post("/api/v1/fields", json=FIELD, headers=mine)
    client.post(
        "/api/v1/seasons",
        headers=mine,
        json={"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-05-02"},
    )
    assert client.get("/api/v1/fields/DS-01", headers=theirs).status_code == 404
    assert client.get("/api/v1/fields", headers=theirs).json == []
    intrusion = client.post(
        "/api/v1/diary",
        headers=theirs,
        json={
            "season": "DS-01-2026-HT",
            "kind": "note",
            "date": "2026-05-20",
            "data": {"text": "x"},
        },
    )
    assert intrusion.status_code == 404


def test_only_producers_write_fields_and_read_tokens_cannot_write(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    retailer = writer(app, make, OrgKind.RETAILER)
    assert client.post("/api/v1/fields", json=FIELD, headers=retailer).status_code == 403
    reader = bearer(app, make.user(make.org()), scopes=("read",))
    assert client.post("/api/v1/fields", json=FIELD, headers=reader).status_code == 403


def test_evidence_upload_strips_exif_and_rejects_other_files(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    upload = client.post(
        "/api/v1/evidence",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(buffer.getvalue()), "ruong.jpg")},
    )
    assert upload.status_code == 201 and len(upload.json["sha256"]) == 64
    text = client.post(
        "/api/v1/evidence",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"hello"), "ruong.jpg")},
    )
    assert text.status_code == 415 and "file" in text.json["errors"]
    missing = client.post(
        "/api/v1/evidence", headers=auth, content_type="multipart/form-data", data={}
    )
    assert missing.status_code == 422


def test_a_50_mb_upload_is_refused(app: Flask, client: FlaskClient, make: Factory) -> None:
    auth = writer(app, make)
    huge = io.BytesIO(b"\xff\xd8" + b"0" * (50 * 1024 * 1024))
    response = client.post(
        "/api/v1/evidence",
        headers=auth,
        content_type="multipart/form-data",
        data={"file": (huge, "big.jpg")},
    )
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
