"""The farm diary of every crop, through the pages and the API: a vegetable cycle, a flower
cycle and an orchard's growing year, each offered exactly its crop's kinds of entry, and a
kind of entry its crop does not keep refused with a message in Vietnamese."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from registry import crops
from registry.db import db
from registry.ledger.models import LogEntry
from registry.trace.labels import KIND_LABELS
from registry.trace.models import DiaryEntry, DiaryKind, Season
from tests.conftest import Factory
from tests.trace.test_api import FIELD, writer
from tests.trace.test_views import FIELD_FORM, post, signed_in_htx

HA_DONG = {**FIELD_FORM, "code": "hd-01", "name": "Ruộng rau La Khê", "area_ha": "0.5"}


def open_season(client: FlaskClient, crop: str, **values: str) -> Any:
    """Open a season of `crop` on HD-01 as a grower does: pick the crop, fill its form."""
    form = f"/fields/HD-01/seasons/new?crop={crop}"
    assert client.get(form).status_code == 200
    return post(client, "/fields/HD-01/seasons", {"crop": crop, **values}, form_page=form)


def record(client: FlaskClient, season: str, kind: str, **data: str) -> Any:
    page = f"/seasons/{season}/diary?kind={kind}"
    return post(client, page, {"kind": kind, **data}, form_page=page)


def offered(client: FlaskClient, season: str) -> list[str]:
    """The kinds of entry the diary's first page offers, in its order."""
    html = client.get(f"/seasons/{season}/diary").get_data(as_text=True)
    return re.findall(r"diary\?kind=([a-z_]+)", html)


def entries(season: str) -> list[DiaryEntry]:
    return list(
        db.session.scalars(
            select(DiaryEntry).join(Season).where(Season.code == season).order_by(DiaryEntry.id)
        )
    )


@pytest.fixture
def grower(client: FlaskClient, make: Factory, ctx: None) -> FlaskClient:
    signed_in_htx(client, make)
    assert post(client, "/fields/new", HA_DONG).status_code == 302
    return client


def test_a_vegetable_cycle_and_its_diary(grower: FlaskClient) -> None:
    field_page = grower.get("/fields/HD-01").get_data(as_text=True)
    assert all(crop.names["vi"] in field_page for crop in crops.catalogue().values())
    assert "fruit_tree" not in field_page.replace("crop=fruit_tree", "")  # names, not codes
    opened = open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    assert opened.status_code == 302 and opened.headers["Location"] == "/seasons/HD-01-2026-C1"
    second = open_season(grower, "vegetable", year="2026", sowing_date="2026-10-20")
    assert second.headers["Location"] == "/seasons/HD-01-2026-C2"
    assert offered(grower, "HD-01-2026-C1") == list(crops.get("vegetable").diary_kinds)
    season = "HD-01-2026-C1"
    for kind, data in [
        ("sowing", {"variety": "Cải ngọt", "method": "sown", "seed_kg": "0.4"}),
        ("fertiliser", {"product": "Urê Phú Mỹ", "kg": "40", "urea": "y"}),
        ("irrigation", {"system": "sprinkler", "source": "electricity", "amount": "35"}),
        ("energy", {"source": "petrol", "amount": "6", "purpose": "land_preparation"}),
        ("lime", {"lime_type": "dolomite", "tonnes": "0.25"}),
        ("harvest", {"date": "2026-10-05", "kg": "4200"}),
        ("harvest", {"date": "2026-10-12", "kg": "3100"}),
        ("residue", {"date": "2026-10-13", "practice": "composted", "tonnes": "0.6"}),
    ]:
        saved = record(grower, season, kind, **{"date": "2026-09-10", **data})
        assert saved.status_code == 302, (kind, saved.get_data(as_text=True)[-600:])
    page = grower.get(f"/seasons/{season}").get_data(as_text=True)
    assert "Rau" in page and "Chu kỳ 1 năm 2026" in page
    assert "7.300 kg rau tươi" in page  # two harvests of a crop harvested several times
    assert "Đá vôi nghiền" not in page and "Dolomit" in page
    assert "Tưới phun mưa" in page and "Xăng (lít)" in page
    found = db.session.scalar(select(Season).where(Season.code == season))
    assert found is not None and found.harvested_kg == 7300 and found.cycle == 1
    assert [e.kind for e in entries(season)][-1] is DiaryKind.RESIDUE


def test_a_kind_the_crop_does_not_keep_is_refused_in_vietnamese(grower: FlaskClient) -> None:
    open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    assert "kind=straw" not in grower.get("/seasons/HD-01-2026-C1/diary").get_data(True)
    assert "kind=straw" not in grower.get("/seasons/HD-01-2026-C1/diary?kind=straw").get_data(True)
    page = "/seasons/HD-01-2026-C1/diary"
    refused = post(
        grower,
        page,
        {"kind": "straw", "date": "2026-09-10", "practice": "burned", "tonnes": "2"},
        form_page=page,
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="kind-error"' in html
    assert "Mục “Rơm rạ” không dùng cho rau: hãy chọn mục khác." in html
    assert entries("HD-01-2026-C1") == []


def test_a_flower_cycle_on_grid_power(grower: FlaskClient) -> None:
    opened = open_season(grower, "flower", year="2026", sowing_date="2026-08-15")
    assert opened.headers["Location"] == "/seasons/HD-01-2026-C1"
    season = "HD-01-2026-C1"
    assert offered(grower, season) == list(crops.get("flower").diary_kinds)
    for kind, data in [
        ("sowing", {"variety": "Cúc CN93", "method": "cuttings", "plants": "20000"}),
        ("energy", {"source": "electricity", "amount": "420", "purpose": "other"}),
        ("irrigation", {"system": "drip", "source": "none"}),
        ("harvest", {"date": "2026-11-20", "kg": "9000"}),
        ("residue", {"date": "2026-11-25", "practice": "burned", "tonnes": "1.2"}),
    ]:
        saved = record(grower, season, kind, **{"date": "2026-08-20", **data})
        assert saved.status_code == 302, (kind, saved.get_data(as_text=True)[-600:])
    no_energy = record(
        grower, season, "irrigation", date="2026-08-21", system="hose", source="diesel"
    )
    assert no_energy.status_code == 422
    assert "Hãy ghi số lít nhiên liệu hoặc số kWh máy bơm đã dùng." in no_energy.get_data(True)
    page = grower.get(f"/seasons/{season}").get_data(as_text=True)
    assert "Hoa" in page and "Giâm cành" in page and "Đốt" in page


def test_an_orchard_growing_year_with_its_trees(grower: FlaskClient) -> None:
    no_year = open_season(grower, "fruit_tree", year="2026", sowing_date="2026-01-01")
    html = no_year.get_data(as_text=True)
    assert no_year.status_code == 422 and "Hãy ghi năm trồng cây." in html
    assert 'id="planting_year-error"' in html
    vu = open_season(grower, "fruit_tree", season_type="he_thu", year="2026",
                     sowing_date="2026-01-01", planting_year="2016")  # fmt: skip
    assert vu.status_code == 422 and "Cây ăn quả không theo dõi theo loại vụ này." in vu.get_data(
        True
    )
    opened = open_season(
        grower,
        "fruit_tree",
        year="2026",
        sowing_date="2026-01-01",
        planting_year="2016",
        tree_count="120",
    )
    assert opened.headers["Location"] == "/seasons/HD-01-2026-N"
    season = "HD-01-2026-N"
    assert offered(grower, season) == list(crops.get("fruit_tree").diary_kinds)
    for kind, data in [
        ("planting", {"trees": "120", "planting_year": "2016", "variety": "Nhãn lồng"}),
        ("pruning", {"style": "after_harvest", "trees": "120"}),
        ("residue", {"practice": "burned", "tonnes": "0.8"}),
        ("trees", {"change": "cut", "trees": "10", "area_ha": "0.04"}),
        ("lime", {"lime_type": "limestone", "tonnes": "0.5"}),
        ("harvest", {"date": "2026-08-01", "kg": "2500"}),
        ("harvest", {"date": "2026-08-09", "kg": "1800"}),
    ]:
        saved = record(grower, season, kind, **{"date": "2026-02-10", **data})
        assert saved.status_code == 302, (kind, saved.get_data(as_text=True)[-600:])
    page = grower.get(f"/seasons/{season}").get_data(as_text=True)
    assert "Năm sinh trưởng 2026" in page and "01/01/2026–31/12/2026" in page
    assert "trồng năm 2016, 10 tuổi khi bắt đầu năm sinh trưởng" in page and "120 cây" in page
    assert "4.300 kg quả tươi" in page and "Chặt bỏ, không trồng lại" in page
    too_much = record(grower, season, "trees", date="2026-03-01", change="cut", area_ha="0.5")
    assert too_much.status_code == 422 and 'id="area_ha-error"' in too_much.get_data(True)
    later = record(grower, season, "note", date="2025-12-31", text="Trước năm sinh trưởng")
    assert later.status_code == 422 and "trước khi vụ bắt đầu (01/01/2026)" in later.get_data(True)


def test_an_orchard_baseline_is_its_2020_growing_year(grower: FlaskClient) -> None:
    opened = open_season(
        grower, "fruit_tree", year="2020", sowing_date="2020-01-01", planting_year="2016"
    )
    assert opened.headers["Location"] == "/seasons/HD-01-2020-N"
    page = grower.get("/seasons/HD-01-2020-N").get_data(as_text=True)
    assert "năm cơ sở 2020" in page
    assert "4 tuổi" in page
    late = record(grower, "HD-01-2020-N", "note", date="2021-01-01", text="Sau năm 2020")
    assert late.status_code == 422 and "sau khi vụ đã kết thúc (31/12/2020)" in late.get_data(True)


def test_a_cycles_baseline_is_the_2020_cycle_of_the_same_crop(grower: FlaskClient) -> None:
    open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    page = grower.get("/seasons/HD-01-2026-C1").get_data(as_text=True)
    assert "Chưa có: hãy mở vụ năm 2020 của rau trên thửa này để so sánh." in page
    open_season(grower, "rice", season_type="he_thu", year="2020", sowing_date="2020-05-01")
    open_season(grower, "vegetable", year="2020", sowing_date="2020-09-01")
    open_season(grower, "vegetable", year="2020", sowing_date="2020-11-01")
    page = grower.get("/seasons/HD-01-2026-C1").get_data(as_text=True)
    assert 'href="/seasons/HD-01-2020-C1"' in page and "HD-01-2020-HT" not in page
    second = open_season(grower, "vegetable", year="2026", sowing_date="2026-11-01")
    assert second.headers["Location"] == "/seasons/HD-01-2026-C2"
    assert 'href="/seasons/HD-01-2020-C2"' in grower.get("/seasons/HD-01-2026-C2").get_data(True)


def test_figures_outside_the_crops_typical_ranges_are_questioned(grower: FlaskClient) -> None:
    open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    season = "HD-01-2026-C1"
    saved = record(grower, season, "fertiliser", date="2026-09-05", product="Urê", kg="500",
                   urea="y")  # fmt: skip
    assert saved.status_code == 302  # questioned, not refused: 230 kg N on 0.5 ha
    page = grower.get(f"/seasons/{season}").get_data(as_text=True)
    assert "Nên kiểm tra lại" in page
    assert "460 kg N mỗi ha, nhiều hơn mức 300 kg N/ha thường gặp ở rau" in page


def test_the_log_records_the_crop_and_the_trees(grower: FlaskClient) -> None:
    open_season(grower, "fruit_tree", year="2026", sowing_date="2026-01-01", planting_year="2016")
    open_season(grower, "maize", year="2026", sowing_date="2026-02-01")
    found = db.session.scalars(
        select(LogEntry.entry).where(LogEntry.type == "season.opened").order_by(LogEntry.index)
    ).all()
    opened = [json.loads(entry)["data"] for entry in found]
    assert [e["crop"] for e in opened] == ["fruit_tree", "maize"]
    assert opened[0]["planting_year"] == 2016 and "cycle" not in opened[0]
    assert opened[1]["cycle"] == 1 and "planting_year" not in opened[1]


# ---------------------------------------------------------------- the API
def test_the_api_opens_every_crop_and_refuses_kinds_it_does_not_keep(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    client.post("/api/v1/fields", json=FIELD, headers=auth)
    orchard = client.post(
        "/api/v1/seasons",
        headers=auth,
        json={
            "field": "DS-01",
            "crop": "pomelo",
            "year": 2026,
            "sowing_date": "2026-01-01",
            "planting_year": 2019,
            "tree_count": 400,
        },
    )
    assert orchard.status_code == 201, orchard.json
    assert orchard.json["code"] == "DS-01-2026-N" and orchard.json["period"] == "growing_year"
    assert orchard.json["crop_kind"] == "perennial" and orchard.json["tree_age_years"] == 7
    water = client.post(
        "/api/v1/diary",
        headers=auth,
        json={"season": "DS-01-2026-N", "kind": "water", "date": "2026-03-01",
              "data": {"event": "flooding"}},
    )  # fmt: skip
    assert water.status_code == 422 and water.mimetype == "application/problem+json"
    assert list(water.json["errors"]) == ["kind"]
    for kg in (800, 650):
        picked = client.post(
            "/api/v1/diary",
            headers=auth,
            json={"season": "DS-01-2026-N", "kind": "harvest", "date": "2026-09-01",
                  "data": {"kg": kg}},
        )  # fmt: skip
        assert picked.status_code == 201
    future_trees = client.post(
        "/api/v1/diary",
        headers=auth,
        json={"season": "DS-01-2026-N", "kind": "planting", "date": "2026-03-01",
              "data": {"trees": 40, "planting_year": 2027}},
    )  # fmt: skip
    assert future_trees.status_code == 422
    assert list(future_trees.json["errors"]["data"]) == ["planting_year"]
    season = client.get("/api/v1/seasons/DS-01-2026-N", headers=auth).json
    assert season["harvested_kg"] == 1450 and season["planting_year"] == 2019
    maize = client.post(
        "/api/v1/seasons",
        headers=auth,
        json={"field": "DS-01", "crop": "maize", "season_type": "dong_xuan", "year": 2026,
              "sowing_date": "2026-02-01"},
    )  # fmt: skip
    assert maize.status_code == 422 and "season_type" in maize.json["errors"]
    trees = client.post(
        "/api/v1/seasons",
        headers=auth,
        json={"field": "DS-01", "crop": "maize", "year": 2026, "sowing_date": "2026-02-01",
              "planting_year": 2020},
    )  # fmt: skip
    assert trees.status_code == 422 and "planting_year" in trees.json["errors"]
    unknown = client.post(
        "/api/v1/seasons",
        headers=auth,
        json={"field": "DS-01", "crop": "cassava", "year": 2026, "sowing_date": "2026-02-01"},
    )
    assert unknown.status_code == 422 and "crop" in unknown.json["errors"]
    rice = client.post(
        "/api/v1/seasons",
        headers=auth,
        json={"field": "DS-01", "year": 2026, "sowing_date": "2026-02-01"},
    )
    assert rice.status_code == 422 and "season_type" in rice.json["errors"]


def test_every_crop_offers_exactly_its_kinds(grower: FlaskClient) -> None:
    for n, (code, crop) in enumerate(crops.catalogue().items()):
        extra = {"planting_year": "2015"} if crop.kind.tree_stand else {}
        kind = {"season_type": crop.kind.season_types[0]} if len(crop.kind.season_types) > 1 else {}
        opened = open_season(grower, code, year=str(2016 + n), sowing_date=f"{2016 + n}-03-01",
                             **extra, **kind)  # fmt: skip
        assert opened.status_code == 302, (code, opened.get_data(as_text=True)[-400:])
        season = opened.headers["Location"].rsplit("/", 1)[1]
        kinds = offered(grower, season)
        assert kinds == list(crop.diary_kinds), code
        html = grower.get(f"/seasons/{season}/diary").get_data(as_text=True)
        for kind_code in set(DiaryKind) - {DiaryKind(k) for k in kinds}:
            assert f">{KIND_LABELS[kind_code]}<" not in html, (code, kind_code)
