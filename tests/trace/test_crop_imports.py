"""Spreadsheets of every crop: a vegetable cycle and an orchard's growing year, their diaries
in the new kinds of entry, a kind the crop does not keep refused on its row, and an export
that imports back into another HTX unchanged."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.db import db
from registry.trace import imports, service
from registry.trace import spreadsheets as sheets
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
        {
            "season": "HD-01-2026-C1",
            "kind": "sowing",
            "date": date(2026, 9, 1),
            "data": {"variety": "Cải ngọt", "method": "sown"},
        },
        {
            "season": "HD-01-2026-C1",
            "kind": "irrigation",
            "date": date(2026, 9, 3),
            "data": {"system": "sprinkler", "source": "electricity", "amount": 12.5, "hours": 5},
        },
        {
            "season": "HD-01-2026-N",
            "kind": "trees",
            "date": date(2026, 3, 1),
            "data": {"change": "replanted", "trees": 12, "area_ha": 0.04},
        },
        {
            "season": "HD-01-2026-N",
            "kind": "lime",
            "date": date(2026, 3, 2),
            "data": {"lime_type": "dolomite", "tonnes": 0.3},
        },
        {
            "season": "HD-01-2026-N",
            "kind": "residue",
            "date": date(2026, 3, 3),
            "data": {"practice": "left", "tonnes": 1.5},
        },
        *(extra or []),
    ]
    return sheets.write_xlsx({"fields": [FIELD], "seasons": seasons, "diary": diary})


def test_a_workbook_of_two_crops_imports_and_exports_back(htx: Htx, make: Factory) -> None:
    report = run(htx, workbook())
    assert report.ok, report.errors
    assert report.counts == {"fields": 1, "seasons": 2, "diary": 5}
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
    assert (error.sheet, error.row, error.column) == ("Nhật ký", 7, "Loại")
    assert error.message == "Mục “Rơm rạ” không dùng cho rau: hãy chọn mục khác."
