"""Spreadsheets of every crop: a vegetable cycle and an orchard's growing year, their diaries
in the new kinds of entry, a kind the crop does not keep refused on its row, and an export
that imports back into another HTX unchanged."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import load_workbook

from registry import crops
from registry.db import db
from registry.trace import imports, service
from registry.trace import spreadsheets as sheets
from registry.trace.models import DiaryKind
from registry.trace.schemas import DIARY_DATA
from registry.trace.spreadsheets.columns import data_columns
from tests.conftest import Factory
from tests.trace.conftest import SQUARE
from tests.trace.test_imports import Htx, comparable, other_htx, run

FIELD = {
    "code": "HD-01",
    "name": "Vườn La Khê",
    "area_ha": 0.5,
    "province": "Hà Nội",
    "commune": "phường Hà Đông",
    "location": SQUARE,
}


# Every kind of entry the new crops brought (issue 19), with every column it takes.
VEGETABLE: list[tuple[str, int, dict[str, Any]]] = [
    ("sowing", 1, {"variety": "Cải ngọt", "method": "sown", "seed_kg": 1.5, "plants": 9000}),
    ("lime", 2, {"lime_type": "limestone", "tonnes": 0.25}),
    ("irrigation", 3, {"system": "sprinkler", "source": "electricity", "amount": 12.5, "hours": 5}),
    ("energy", 4, {"source": "petrol", "amount": 3.5, "purpose": "cold_storage"}),
    ("residue", 20, {"practice": "incorporated", "tonnes": 0.8, "n_pct": 2.4}),
    ("harvest", 18, {"kg": 600.0}),
    ("harvest", 19, {"kg": 450.5}),
]
ORCHARD: list[tuple[str, int, dict[str, Any]]] = [
    ("planting", 1, {"trees": 12, "planting_year": 2026, "variety": "Nhãn lồng"}),
    ("trees", 1, {"change": "replanted", "trees": 12, "area_ha": 0.04}),
    ("lime", 2, {"lime_type": "dolomite", "tonnes": 0.3}),
    ("residue", 3, {"practice": "left", "tonnes": 1.5}),
    ("pruning", 4, {"style": "after_harvest", "trees": 150}),
    ("irrigation", 5, {"system": "drip", "source": "none", "hours": 2}),
    ("irrigation", 6, {"system": "hose", "source": "diesel", "amount": 4}),
]


def workbook(extra: list[dict[str, Any]] | None = None) -> bytes:
    seasons = [
        {
            "field": "HD-01",
            "crop": "vegetable",
            "season_type": "crop_cycle",
            "year": 2026,
            "sowing_date": date(2026, 9, 1),
        },
        {
            "field": "HD-01",
            "crop": "fruit_tree",
            "season_type": "growing_year",
            "year": 2026,
            "sowing_date": date(2026, 1, 1),
            "planting_year": 2018,
            "tree_count": 150,
        },
    ]
    diary: list[dict[str, Any]] = [
        *(
            {"season": "HD-01-2026-C1", "kind": kind, "date": date(2026, 9, day), "data": data}
            for kind, day, data in VEGETABLE
        ),
        *(
            {"season": "HD-01-2026-N", "kind": kind, "date": date(2026, 3, day), "data": data}
            for kind, day, data in ORCHARD
        ),
        *(extra or []),
    ]
    return sheets.write_xlsx({"fields": [FIELD], "seasons": seasons, "diary": diary})


def test_a_workbook_of_two_crops_imports_and_exports_back(htx: Htx, make: Factory) -> None:
    report = run(htx, workbook())
    assert report.ok, report.errors
    assert report.counts == {"fields": 1, "seasons": 2, "diary": len(VEGETABLE) + len(ORCHARD)}
    orchard = service.season_by_code(db.session, htx[0].id, "HD-01-2026-N")
    assert orchard.crop == "fruit_tree" and orchard.tree_age_years == 8
    before = imports.export_tables(db.session, htx[0])
    assert {s["crop"] for s in before["seasons"]} == {"vegetable", "fruit_tree"}
    second = other_htx(make)
    again = run(second, imports.export_xlsx(db.session, htx[0]), "xuat.xlsx")
    assert again.ok, again.errors
    assert comparable(imports.export_tables(db.session, second[0])) == comparable(before)
    csv = imports.export_csv(db.session, htx[0], "seasons").decode("utf-8-sig")
    assert "Cây ăn quả" in csv and "Năm sinh trưởng" in csv and "Chu kỳ cây trồng" in csv
    diary = imports.export_tables(db.session, htx[0], ["diary"])["diary"]
    given = [
        (e["crop"], e["kind"], {k: v for k, v in e["data"].items() if v is not None}) for e in diary
    ]
    assert given == [
        *(("vegetable", kind, data) for kind, _, data in VEGETABLE),
        *(("fruit_tree", kind, data) for kind, _, data in ORCHARD),
    ]


def test_exported_csv_of_every_new_kind_imports_back_kind_by_kind(htx: Htx, make: Factory) -> None:
    assert run(htx, workbook()).ok
    before = imports.export_tables(db.session, htx[0])
    second = other_htx(make)
    for kind in sheets.KINDS:
        data = imports.export_csv(db.session, htx[0], kind)
        report = run(second, data, f"{kind}.csv", kind)
        assert report.ok, report.errors
    assert comparable(imports.export_tables(db.session, second[0])) == comparable(before)
    header = imports.export_csv(db.session, htx[0], "diary").decode("utf-8-sig").splitlines()[0]
    assert "Cây trồng" in header.split(",")


def test_a_kind_the_crop_does_not_keep_is_refused_on_its_row(htx: Htx) -> None:
    straw = {
        "season": "HD-01-2026-C1",
        "kind": "straw",
        "date": date(2026, 9, 5),
        "data": {"practice": "burned", "tonnes": 1.0},
    }
    report = run(htx, workbook([straw]))
    assert not report.ok and report.error_count == 1
    [error] = report.errors
    assert (error.sheet, error.row, error.column) == (
        "Nhật ký",
        2 + len(VEGETABLE + ORCHARD),
        "Loại",
    )
    assert error.message == "Mục “Rơm rạ” không dùng cho rau: hãy chọn mục khác."


def entry(season: str, kind: str, day: date, data: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"season": season, "kind": kind, "date": day, "data": data, **more}


def test_bad_values_of_the_new_kinds_are_named_by_row_and_column(htx: Htx) -> None:
    cycle, year = "HD-01-2026-C1", "HD-01-2026-N"
    bad = [
        entry(cycle, "pruning", date(2026, 9, 6), {"style": "shaping"}),
        entry(
            cycle, "irrigation", date(2026, 9, 6), {"system": "drip", "source": "none", "amount": 3}
        ),
        entry(cycle, "residue", date(2026, 9, 6), {"practice": "left", "tonnes": 1, "n_pct": 12}),
        entry(year, "trees", date(2026, 3, 6), {"change": "cut"}),
        entry(year, "lime", date(2026, 3, 6), {"lime_type": "vôi tôi", "tonnes": 1}),
        entry(
            cycle,
            "sowing",
            date(2026, 9, 6),
            {"variety": "Cải", "method": "sown", "style": "shaping"},
        ),
        entry(cycle, "harvest", date(2026, 9, 7), {"kg": 10}, crop="rice"),
    ]
    report = run(htx, workbook(bad))
    first = 2 + len(VEGETABLE + ORCHARD)
    assert not report.saved
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        (
            "Nhật ký",
            first + 4,
            "Loại vôi",
            "“vôi tôi” không hợp lệ ở đây. Dùng một trong: Đá vôi nghiền, Dolomit.",
        ),
        ("Nhật ký", first + 5, "Kiểu tỉa", "Cột này không dùng cho loại Gieo trồng; hãy để trống."),
        ("Nhật ký", first, "Loại", "Mục “Tỉa cành” không dùng cho rau: hãy chọn mục khác."),
        ("Nhật ký", first + 1, "Lượng", "Không dùng bơm thì để trống ô lượng."),
        ("Nhật ký", first + 2, "Hàm lượng N (%)", "Phải nằm trong khoảng 0 đến 10."),
        ("Nhật ký", first + 3, "Số cây", "Hãy ghi số cây hoặc diện tích (ha)."),
        (
            "Nhật ký",
            first + 6,
            "Cây trồng",
            "Vụ HD-01-2026-C1 trồng rau, không phải cây trồng ghi ở đây.",
        ),
    ]


def test_the_template_documents_every_crop_and_kind_and_imports_as_it_is(htx: Htx) -> None:
    workbook = load_workbook(io.BytesIO(sheets.template()))
    rows = list(workbook["Hướng dẫn"].iter_rows(values_only=True))
    by_crop = {row[2]: row for row in rows if row[0] == "Cây trồng" and row[2] != "Mã"}
    assert list(by_crop) == list(crops.catalogue())
    for code, crop in crops.catalogue().items():
        kinds = [sheets.DIARY_KINDS.lookup[sheets.fold(k)] for k in by_crop[code][4].split(", ")]
        assert kinds == list(crop.diary_kinds)
    assert by_crop["longan"][3] == "Năm sinh trưởng; Năm trồng (bắt buộc), Số cây"
    by_kind = {row[2]: row for row in rows if row[0] == "Loại nhật ký" and row[2] != "Mã"}
    assert list(by_kind) == [k.value for k in DiaryKind]
    assert by_kind["irrigation"][3:] == ("Nguồn năng lượng, Cách tưới", "Lượng, Số giờ bơm")
    assert by_kind["residue"][3:] == ("Cách xử lý, Tấn", "Hàm lượng N (%)")
    for kind, schema in DIARY_DATA.items():  # every field a kind takes has its column
        assert {c.name for c, _ in data_columns(kind)} == set(schema().fields)
    report = run(htx, sheets.template(), "mau.xlsx")
    assert report.ok, report.errors
    assert report.counts == {"fields": 3, "seasons": 3, "diary": 4}
    crops_made = {s.code: s.crop for s in service.seasons_of(db.session, htx[0].id)}
    assert crops_made == {
        "VD-01-2026-DX": "rice",
        "VD-02-2026-C1": "vegetable",
        "VD-03-2026-N": "longan",
    }
