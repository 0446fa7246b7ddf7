"""The import/export service: all or nothing, row errors by sheet/row/column in Vietnamese,
dry runs that write nothing, and exports that import back into another HTX unchanged."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.errors import DomainError
from registry.ledger import service as ledger
from registry.trace import imports, service
from registry.trace import spreadsheets as sheets
from registry.trace.models import DiaryEntry, Field, Season
from registry.trace.schemas import DiaryEntryIn
from tests.conftest import Factory
from tests.trace.conftest import SQUARE, field_values, season_values

Htx = tuple[Organisation, User]


def counts(org: Organisation) -> tuple[int, int, int]:
    fields = db.session.scalar(
        select(func.count()).select_from(Field).where(Field.organisation_id == org.id)
    )
    seasons = db.session.scalar(
        select(func.count()).select_from(Season).join(Field).where(Field.organisation_id == org.id)
    )
    entries = db.session.scalar(
        select(func.count())
        .select_from(DiaryEntry)
        .join(Season)
        .join(Field)
        .where(Field.organisation_id == org.id)
    )
    return fields or 0, seasons or 0, entries or 0


def run(
    htx: Htx, data: bytes, name: str = "nhap.xlsx", kind: str | None = None, dry_run: bool = False
) -> imports.ImportReport:
    org, user = htx
    return imports.import_file(db.session, org, user, name, data, kind, dry_run=dry_run)


# ---------------------------------------------------------------- a 1,000-row workbook
def thousand_rows(bad: int | None = None) -> tuple[bytes, int]:
    """20 fields, 40 seasons and 940 diary entries; diary row `bad` has a negative amount.
    Returns the workbook and the Excel row number of diary row `bad`."""
    fields = [
        {
            "code": f"DS-{i:02d}",
            "name": f"Ruộng số {i}",
            "area_ha": 0.5 + i / 10,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "household": f"Hộ {i}",
            "location": {"type": "Point", "coordinates": [106.70 + i / 1000, 20.71]},
        }
        for i in range(20)
    ]
    seasons = []
    for i in range(20):
        seasons.append(
            {
                "field": f"DS-{i:02d}",
                "season_type": "dong_xuan",
                "year": 2026,
                "sowing_date": date(2026, 1, 5),
            }
        )
        seasons.append(
            {
                "field": f"DS-{i:02d}",
                "season_type": "he_thu",
                "year": 2026,
                "sowing_date": date(2026, 5, 2),
            }
        )
    diary = []
    for n in range(940):
        season = seasons[n % 40]
        code = f"{season['field']}-2026-{'DX' if season['season_type'] == 'dong_xuan' else 'HT'}"
        on = season["sowing_date"] + timedelta(days=1 + n // 40 * 4)
        if n % 3 == 0:
            row = {
                "kind": "water",
                "data": {"event": "drainage", "end_date": (on + timedelta(days=5)).isoformat()},
            }
        elif n % 3 == 1:
            row = {
                "kind": "fertiliser",
                "data": {"product": "NPK 20-20-15", "kg": 25.5, "n_pct": 20.0},
            }
        else:
            row = {"kind": "note", "data": {"text": f"Thăm đồng lần {n}"}}
        if n == bad:
            row = {"kind": "fertiliser", "data": {"product": "Urê", "kg": -5.0, "urea": True}}
        diary.append({"season": code, "date": on, **row})
    data = sheets.write_xlsx({"fields": fields, "seasons": seasons, "diary": diary})
    return data, (bad or 0) + 2


def test_a_thousand_rows_with_one_bad_row_write_nothing_and_name_the_row(htx: Htx) -> None:
    org, _ = htx
    data, excel_row = thousand_rows(bad=517)
    size = ledger.size(db.session)
    report = run(htx, data)
    assert not report.ok and not report.saved
    assert report.rows == {"fields": 20, "seasons": 40, "diary": 940}
    assert report.error_count == 1
    [error] = report.errors
    assert (error.kind, error.sheet, error.row, error.column) == (
        "diary",
        "Nhật ký",
        excel_row,
        "Số lượng (kg)",
    )
    assert error.message == "Phải lớn hơn 0 và không quá 100000."
    assert counts(org) == (0, 0, 0)
    assert ledger.size(db.session) == size


def test_the_same_thousand_rows_fixed_are_all_written_and_logged(htx: Htx) -> None:
    org, _ = htx
    data, _ = thousand_rows()
    size = ledger.size(db.session)
    report = run(htx, data)
    assert report.ok and report.saved, report.errors[:3]
    assert report.counts == {"fields": 20, "seasons": 40, "diary": 940}
    assert counts(org) == (20, 40, 940)
    assert ledger.size(db.session) == size + 1000
    for model in (Field, DiaryEntry):  # each row holds the index of its own entry
        indices = list(db.session.scalars(select(model.log_index)))
        assert indices and min(indices) >= size


def test_other_writers_log_while_a_long_import_runs(app: Flask, htx: Htx) -> None:
    """The import's entries wait in the log's pool until it commits, so the log head is not
    held for the import's whole transaction: another writer appends meanwhile, at once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time anyway")
    org, user = htx
    told: list[int] = []

    def meanwhile(done: int, total: int) -> None:
        if told or done < 300:
            return
        with Session(db.engine) as other:
            other.execute(text("SET LOCAL lock_timeout = '3s'"))
            told.append(ledger.append(other, "test.meanwhile", "REGISTRY", "x", {"n": done}))
            other.commit()

    data, _ = thousand_rows()
    size = ledger.size(db.session)
    report = imports.import_file(
        db.session, org, user, "nhap.xlsx", data, dry_run=False, progress=meanwhile
    )
    assert report.saved and told == [size]  # the other writer came first, while it ran
    assert ledger.size(db.session) == size + 1001


def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(htx: Htx) -> None:
    org, _ = htx
    data, _ = thousand_rows()
    size = ledger.size(db.session)
    report = run(htx, data, dry_run=True)
    assert report.ok and report.dry_run and not report.saved
    assert report.counts == {"fields": 20, "seasons": 40, "diary": 940}
    assert counts(org) == (0, 0, 0)
    assert ledger.size(db.session) == size


# ---------------------------------------------------------------- round trips
def records(htx: Htx) -> None:
    """Every kind of record, a polygon and a point, a harvest and a correction."""
    org, user = htx
    service.register_field(db.session, org, field_values(planting_area_code="VT-HP-001"))
    service.register_field(
        db.session,
        org,
        field_values(
            code="DS-02",
            name="Ruộng Bờ Đê",
            area_ha=0.8,
            household=None,
            location={"type": "Point", "coordinates": [106.7812, 20.7131]},
        ),
    )
    service.open_season(db.session, org, season_values())
    service.open_season(
        db.session,
        org,
        season_values(
            field="DS-02", season_type="vu_mua", year=2025, sowing_date=date(2025, 7, 10)
        ),
    )

    def entry(
        kind: str, on: str, data: dict[str, Any], season: str = "DS-01-2026-DX", **extra: Any
    ) -> DiaryEntry:
        values = DiaryEntryIn().load(
            {"season": season, "kind": kind, "date": on, "data": data, **extra}
        )
        return service.record_entry(db.session, org, user, values)

    entry("water", "2026-01-02", {"event": "flooding"})
    entry("water", "2026-02-01", {"event": "drainage", "end_date": "2026-02-08"})
    wrong = entry("fertiliser", "2026-01-25", {"product": "Urê Phú Mỹ", "kg": 50, "urea": True})
    entry("fertiliser", "2026-02-10", {"product": "NPK 20-20-15", "kg": 30.5, "n_pct": 20})
    entry(
        "fertiliser", "2026-02-12", {"product": "Phân gà", "kg": 200, "n_pct": 1.5, "organic": True}
    )
    entry("amendment", "2025-12-20", {"material": "straw", "t_ha": 2.5})
    entry("straw", "2026-04-20", {"practice": "mushroom", "tonnes": 3})
    entry(
        "pesticide",
        "2026-03-01",
        {"product": "Anvil 5SC", "active_ingredient": "Hexaconazole", "amount": 0.5, "unit": "l"},
    )
    entry("energy", "2026-02-02", {"source": "diesel", "amount": 12.5})
    entry("note", "2026-03-05", {"text": "Rầy nâu, mật độ thấp; theo dõi thêm."})
    entry("harvest", "2026-04-18", {"kg": 6800, "moisture_pct": 18.5})
    entry(
        "fertiliser",
        "2026-01-25",
        {"product": "Urê Phú Mỹ", "kg": 45, "urea": True},
        supersedes=wrong.id,
        reason="Cân lại: 45 kg",
    )
    entry(
        "energy",
        "2025-08-01",
        {"source": "electricity", "amount": 140, "purpose": "pumping"},
        season="DS-02-2025-VM",
    )
    db.session.commit()


def comparable(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Entry numbers differ between organisations: compare them by position instead."""
    order = {row["number"]: i for i, row in enumerate(tables.get("diary", []))}
    diary = [
        {**row, "number": order[row["number"]], "supersedes": order.get(row["supersedes"])}
        for row in tables.get("diary", [])
    ]
    return {**tables, "diary": diary}


def other_htx(make: Factory, code: str = "HTX-BANGLA") -> Htx:
    org = make.org(kind=OrgKind.PRODUCER, code=code)
    user = make.user(org)
    return db.session.get(Organisation, org.id), db.session.get(User, user.id)  # type: ignore[return-value]


def test_an_exported_workbook_imports_into_another_htx_as_the_same_records(
    htx: Htx, make: Factory
) -> None:
    records(htx)
    before = imports.export_tables(db.session, htx[0])
    assert "household" not in before["fields"][0]  # private names never leave in a file
    assert "Nguyễn Văn Ba" not in imports.export_csv(db.session, htx[0], "fields").decode()
    workbook = imports.export_xlsx(db.session, htx[0])
    second = other_htx(make)
    report = run(second, workbook, "xuat.xlsx")
    assert report.ok, report.errors
    assert report.counts == {"fields": 2, "seasons": 2, "diary": 13}
    after = imports.export_tables(db.session, second[0])
    assert comparable(after) == comparable(before)
    harvested = service.season_by_code(db.session, second[0].id, "DS-01-2026-DX")
    assert harvested.harvested_kg == 6800 and harvested.harvest_date == date(2026, 4, 18)


def test_exported_csv_files_import_kind_by_kind(htx: Htx, make: Factory) -> None:
    records(htx)
    before = imports.export_tables(db.session, htx[0])
    second = other_htx(make)
    for kind in sheets.KINDS:
        data = imports.export_csv(db.session, htx[0], kind)
        assert data.startswith("\ufeff".encode())
        report = run(second, data, f"{kind}.csv")
        assert report.ok and report.format == "csv", report.errors
    assert comparable(imports.export_tables(db.session, second[0])) == comparable(before)


def test_importing_an_export_again_into_the_same_htx_is_refused(htx: Htx) -> None:
    records(htx)
    diary = imports.export_csv(db.session, htx[0], "diary")
    report = run(htx, diary, "diary.csv", dry_run=True)
    assert report.error_count == 13
    assert {e.column for e in report.errors} == {"Số nhật ký"}
    assert "đã có trong hệ thống" in report.errors[0].message


# ---------------------------------------------------------------- CSV as Excel writes it
def test_a_semicolon_csv_with_a_bom_decimal_commas_and_day_first_dates(htx: Htx) -> None:
    org, _ = htx
    fields = (
        "\ufeffSTT;Mã thửa;Tên thửa;Diện tích (ha);Tỉnh/thành phố;Xã/phường;Vĩ độ;Kinh độ\r\n"
        "1;ds-01;Ruộng Đồng Cao;1,25;TP Hải Phòng;phường Đồ Sơn;20,7104;106,7805\r\n"
        ";;;;;;;\r\n"
    )
    report = run(htx, fields.encode(), "thua.csv")
    assert report.ok and report.counts["fields"] == 1, report.errors
    seasons = "\ufeffMã thửa;Vụ;Năm;Ngày gieo sạ\r\nDS-01;hè thu;2026;02/05/2026\r\n"
    assert run(htx, seasons.encode(), "vu.csv").ok
    diary = (
        "\ufeffMã vụ;Loại;Ngày;Sản phẩm;Số lượng (kg);Hàm lượng N (%);Là urê\r\n"
        "DS-01-2026-HT;Phân bón;20/05/2026;Urê Cà Mau;1.000;;có\r\n"
        "DS-01-2026-HT;Thu hoạch;15/08/2026;;6.250,5;;\r\n"
    )
    report = run(htx, diary.encode(), "nhat-ky.csv")
    assert report.ok, report.errors
    field = service.field_by_code(db.session, org.id, "DS-01")
    assert field.area_ha == 1.25 and field.province == "Hải Phòng"
    season = service.season_by_code(db.session, org.id, "DS-01-2026-HT")
    assert [e.data.get("kg") for e in season.entries] == [1000.0, 6250.5]
    assert season.entries[0].data["n_pct"] == 46.0


def test_a_csv_row_number_is_the_one_excel_shows(htx: Htx) -> None:
    text = (
        "Mã thửa,Tên thửa,Diện tích (ha),Tỉnh/thành phố,Xã/phường,Vĩ độ,Kinh độ\r\n"
        'DS-01,"Ruộng\r\nhai dòng",1,Hải Phòng,phường Đồ Sơn,20.7104,106.7805\r\n'
        "\r\n"
        "DS-02,Ruộng B,-1,Hải Phòng,phường Đồ Sơn,20.7104,106.7805\r\n"
    )
    report = run(htx, text.encode(), "thua.csv", dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(4, "Diện tích (ha)")]


# ---------------------------------------------------------------- refused files
def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


WRONG_FILES = {
    "old-excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "macros.xlsm": zipped(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<w/>",
            "xl/vbaProject.bin": b"\x00",
        }
    ),
    "calc.ods": zipped(
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office/>"}
    ),
    "letter.docx": zipped({"word/document.xml": b"<w:document/>"}),
    "photo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "unicode.txt": "Mã thửa\tTên".encode("utf-16"),
    "page.html": b"<!doctype html><html><body>Excel</body></html>",
}


@pytest.mark.parametrize("name", sorted(WRONG_FILES))
def test_files_that_are_not_csv_or_xlsx_are_refused_before_anything_is_read(
    htx: Htx, name: str
) -> None:
    size = ledger.size(db.session)
    with pytest.raises(DomainError) as caught:
        run(htx, WRONG_FILES[name], name)
    assert caught.value.status == 415
    assert caught.value.errors["file"] and caught.value.errors["file"][0].isascii() is False
    assert ledger.size(db.session) == size and counts(htx[0]) == (0, 0, 0)


def test_a_zip_bomb_is_refused_unopened(htx: Htx) -> None:
    bomb = zipped(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b" " * (60 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200_000
    with pytest.raises(sheets.FileTooLarge) as caught:
        run(htx, bomb)
    assert caught.value.status == 413 and "50 MB" in caught.value.errors["file"][0]


def test_a_file_over_five_megabytes_is_refused(htx: Htx) -> None:
    with pytest.raises(sheets.FileTooLarge):
        run(htx, b"Ma thua,Ten\r\n" + b"x" * (5 * 1024 * 1024), "big.csv")


def test_more_rows_than_one_request_can_take_are_refused(htx: Htx) -> None:
    rows = "DS-01-2026-DX,Ghi chú,2026-01-10,x\r\n" * (sheets.MAX_ROWS + 1)
    with pytest.raises(sheets.UnreadableFile) as caught:
        run(htx, ("Mã vụ,Loại,Ngày,Ghi chú\r\n" + rows).encode(), "diary.csv")
    assert "5.000" in caught.value.errors["file"][0]


# ---------------------------------------------------------------- other HTXs' records
def test_rows_naming_another_htxs_field_season_or_entry_are_refused(
    htx: Htx, make: Factory
) -> None:
    theirs = other_htx(make)
    service.register_field(db.session, theirs[0], field_values(code="BL-01"))
    service.open_season(db.session, theirs[0], season_values(field="BL-01"))
    values = DiaryEntryIn().load(
        {"season": "BL-01-2026-DX", "kind": "note", "date": "2026-01-12", "data": {"text": "x"}}
    )
    their_entry = service.record_entry(db.session, theirs[0], theirs[1], values)
    service.register_field(db.session, htx[0], field_values())
    service.open_season(db.session, htx[0], season_values())
    db.session.commit()
    size = ledger.size(db.session)
    data = sheets.write_xlsx(
        {
            "seasons": [
                {
                    "field": "BL-01",
                    "season_type": "he_thu",
                    "year": 2026,
                    "sowing_date": date(2026, 5, 2),
                }
            ],
            "diary": [
                {
                    "season": "BL-01-2026-DX",
                    "kind": "note",
                    "date": date(2026, 1, 20),
                    "data": {"text": "vào ruộng người khác"},
                },
                {
                    "season": "DS-01-2026-DX",
                    "kind": "note",
                    "date": date(2026, 1, 20),
                    "data": {"text": "sửa nhật ký người khác"},
                    "supersedes": their_entry.id,
                    "reason": "thử",
                },
            ],
        }
    )
    report = run(htx, data)
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        ("Vụ", 2, "Mã thửa", "Thửa ruộng này không có trong đơn vị của bạn."),
        ("Nhật ký", 2, "Mã vụ", "Vụ này không có trong đơn vị của bạn."),
        ("Nhật ký", 3, "Sửa số", report.errors[2].message),
    ]
    assert "BL-01" not in report.errors[2].message
    assert ledger.size(db.session) == size


def test_a_workbook_creates_a_field_its_season_and_a_correction_of_its_own_entry(
    htx: Htx,
) -> None:
    data = sheets.write_xlsx(
        {
            "diary": [
                {
                    "season": "DS-01-2026-DX",
                    "kind": "fertiliser",
                    "date": date(2026, 1, 25),
                    "data": {"product": "Urê", "kg": 50.0, "urea": True},
                    "number": 7,
                },
                {
                    "season": "DS-01-2026-DX",
                    "kind": "fertiliser",
                    "date": date(2026, 1, 25),
                    "data": {"product": "Urê", "kg": 40.0, "urea": True},
                    "supersedes": 7,
                    "reason": "Cân nhầm",
                },
            ],
            "fields": [{**field_values(), "location": SQUARE}],
            "seasons": [{**season_values(), "sowing_date": date(2026, 1, 10)}],
        }
    )
    report = run(htx, data)
    assert report.ok, report.errors
    season = service.season_by_code(db.session, htx[0].id, "DS-01-2026-DX")
    first, second = season.entries
    assert second.supersedes_id == first.id and service.current_entries(season) == [second]


# ---------------------------------------------------------------- every validator
FIELD = {
    "Mã thửa": "DS-05",
    "Tên thửa": "Ruộng Đồng Cao",
    "Diện tích (ha)": "1",
    "Tỉnh/thành phố": "Hải Phòng",
    "Xã/phường": "phường Đồ Sơn",
    "Vĩ độ": "20.7104",
    "Kinh độ": "106.7805",
}
SEASON = {"Mã thửa": "DS-01", "Vụ": "Hè Thu", "Năm": "2026", "Ngày gieo sạ": "02/05/2026"}
DIARY = {
    "Mã vụ": "DS-01-2026-DX",
    "Loại": "Phân bón",
    "Ngày": "20/01/2026",
    "Sản phẩm": "NPK 20-20-15",
    "Số lượng (kg)": "50",
    "Hàm lượng N (%)": "20",
}
SHA = "ab" * 32

CASES: list[tuple[str, dict[str, str], dict[str, str], str]] = [
    ("fields", FIELD, {"Mã thửa": "DS 05!"}, "Mã thửa"),
    ("fields", FIELD, {"Mã thửa": "DS-01"}, "Mã thửa"),
    ("fields", FIELD, {"Tên thửa": ""}, "Tên thửa"),
    ("fields", FIELD, {"Tên thửa": "R" * 121}, "Tên thửa"),
    ("fields", FIELD, {"Diện tích (ha)": "-1"}, "Diện tích (ha)"),
    ("fields", FIELD, {"Diện tích (ha)": "một"}, "Diện tích (ha)"),
    ("fields", FIELD, {"Tỉnh/thành phố": "Sài Gòn"}, "Tỉnh/thành phố"),
    ("fields", FIELD, {"Xã/phường": ""}, "Xã/phường"),
    ("fields", FIELD, {"Vĩ độ": "48.85", "Kinh độ": "2.35"}, "Vĩ độ, Kinh độ"),
    ("fields", FIELD, {"Kinh độ": ""}, "Kinh độ"),
    (
        "fields",
        {**FIELD, "Ranh giới GeoJSON": ""},
        {"Ranh giới GeoJSON": "{polygon", "Vĩ độ": "", "Kinh độ": ""},
        "Ranh giới GeoJSON",
    ),
    (
        "fields",
        {**FIELD, "Ranh giới GeoJSON": ""},
        {"Ranh giới GeoJSON": '{"type":"Polygon"}'},
        "Ranh giới GeoJSON",
    ),
    ("seasons", SEASON, {"Mã thửa": "XX-99"}, "Mã thửa"),
    ("seasons", SEASON, {"Vụ": "Xuân Hè"}, "Vụ"),
    ("seasons", SEASON, {"Vụ": "Đông Xuân", "Ngày gieo sạ": "10/01/2026"}, "Vụ"),
    ("seasons", SEASON, {"Năm": "2014"}, "Năm"),
    ("seasons", SEASON, {"Năm": "2026,5"}, "Năm"),
    ("seasons", SEASON, {"Ngày gieo sạ": "02/05/2024"}, "Ngày gieo sạ"),
    ("seasons", SEASON, {"Ngày gieo sạ": "31/02/2026"}, "Ngày gieo sạ"),
    ("seasons", {**SEASON, "Mã vụ": ""}, {"Mã vụ": "DS-01-2026-DX"}, "Mã vụ"),
    ("diary", DIARY, {"Mã vụ": "DS-01-2025-HT"}, "Mã vụ"),
    ("diary", DIARY, {"Loại": "Phun phân"}, "Loại"),
    ("diary", DIARY, {"Ngày": "20/12/2099"}, "Ngày"),
    ("diary", DIARY, {"Ngày": "01/01/2025"}, "Ngày"),
    ("diary", DIARY, {"Ngày": "hôm qua"}, "Ngày"),
    ("diary", DIARY, {"Sản phẩm": ""}, "Sản phẩm"),
    ("diary", DIARY, {"Số lượng (kg)": "-5"}, "Số lượng (kg)"),
    ("diary", DIARY, {"Số lượng (kg)": ""}, "Số lượng (kg)"),
    ("diary", DIARY, {"Hàm lượng N (%)": ""}, "Hàm lượng N (%)"),
    ("diary", DIARY, {"Hàm lượng N (%)": "120"}, "Hàm lượng N (%)"),
    ("diary", {**DIARY, "Tấn/ha": ""}, {"Tấn/ha": "2"}, "Tấn/ha"),
    (
        "diary",
        {**DIARY, "Là urê": "", "Phân hữu cơ": ""},
        {"Là urê": "có", "Phân hữu cơ": "có"},
        "Phân hữu cơ",
    ),
    ("diary", {**DIARY, "Là urê": ""}, {"Là urê": "có lẽ"}, "Là urê"),
    (
        "diary",
        {**DIARY, "Sửa số": "", "Lý do sửa": ""},
        {"Sửa số": "999999", "Lý do sửa": "x"},
        "Sửa số",
    ),
    ("diary", {**DIARY, "Sửa số": ""}, {"Sửa số": "999999"}, "Lý do sửa"),
    (
        "diary",
        {**DIARY, "Minh chứng (SHA-256)": ""},
        {"Minh chứng (SHA-256)": SHA},
        "Minh chứng (SHA-256)",
    ),
    (
        "diary",
        {**DIARY, "Minh chứng (SHA-256)": ""},
        {"Minh chứng (SHA-256)": "ảnh.jpg"},
        "Minh chứng (SHA-256)",
    ),
    (
        "diary",
        {
            "Mã vụ": "DS-01-2026-DX",
            "Loại": "Nước",
            "Ngày": "20/01/2026",
            "Sự kiện nước": "Rút nước",
        },
        {"Sự kiện nước": "Tháo cạn"},
        "Sự kiện nước",
    ),
    (
        "diary",
        {
            "Mã vụ": "DS-01-2026-DX",
            "Loại": "Thuốc BVTV",
            "Ngày": "20/01/2026",
            "Sản phẩm": "Anvil",
            "Lượng": "1",
            "Đơn vị": "l",
        },
        {"Đơn vị": "chai"},
        "Đơn vị",
    ),
    (
        "diary",
        {
            "Mã vụ": "DS-01-2026-DX",
            "Loại": "Thu hoạch",
            "Ngày": "20/01/2026",
            "Số lượng (kg)": "6000",
        },
        {"Ngày": "01/01/2026"},
        "Ngày",
    ),
]


def csv_of(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("kind", "base", "change", "column"),
    CASES,
    ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)],
)
def test_every_validator_gives_one_clear_localised_error_and_writes_nothing(
    htx: Htx, kind: str, base: dict[str, str], change: dict[str, str], column: str
) -> None:
    org, _ = htx
    service.register_field(db.session, org, field_values())
    service.open_season(db.session, org, season_values())
    db.session.commit()
    size, before = ledger.size(db.session), counts(org)
    data = csv_of([{**base, **change}])
    report = run(htx, data, f"{kind}.csv", kind=kind)
    assert not report.saved
    assert [(e.row, e.column) for e in report.errors] == [(2, column)], report.errors
    message = report.errors[0].message
    with force_locale("en"):
        english = run(htx, data, f"{kind}.csv", kind=kind, dry_run=True).errors[0].message
    assert message != english and message.strip(), (message, english)
    assert ledger.size(db.session) == size and counts(org) == before


def test_an_unknown_column_is_named_in_the_header_row(htx: Htx) -> None:
    report = run(htx, csv_of([{**DIARY, "Màu": "xanh"}]), "diary.csv", dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(1, "Màu")]
    assert report.errors[0].message.startswith("Cột không rõ.")


def test_a_missing_required_column_is_named_once(htx: Htx) -> None:
    data = csv_of([{k: v for k, v in DIARY.items() if k != "Ngày"}] * 50)
    report = run(htx, data, "diary.csv", kind="diary")
    assert [(e.row, e.column) for e in report.errors] == [(1, "Ngày")]
    assert report.errors[0].message == "Thiếu cột bắt buộc này."


def test_a_bad_field_row_is_named_by_the_rows_that_depend_on_it(htx: Htx) -> None:
    field = {**field_values(), "location": SQUARE}
    data = sheets.write_xlsx(
        {
            "fields": [
                field,
                {**field, "name": "Trùng mã"},
                {**field, "code": "DS-02", "area_ha": -1.0},
            ],
            "seasons": [
                {**season_values(), "sowing_date": date(2026, 1, 10)},
                {**season_values(field="DS-02"), "sowing_date": date(2026, 1, 10)},
            ],
            "diary": [
                {
                    "season": "DS-01-2026-DX",
                    "kind": "note",
                    "date": date(2026, 1, 12),
                    "data": {"text": "ổn"},
                },
                {
                    "season": "DS-02-2026-DX",
                    "kind": "note",
                    "date": date(2026, 1, 12),
                    "data": {"text": "x"},
                },
            ],
        }
    )
    report = run(htx, data, dry_run=True)
    assert [(e.sheet, e.row, e.column, e.message) for e in report.errors] == [
        ("Thửa ruộng", 3, "Mã thửa", "Mã này đã dùng ở dòng 2, trang Thửa ruộng."),
        ("Thửa ruộng", 4, "Diện tích (ha)", report.errors[1].message),
        ("Vụ", 3, "Mã thửa", "Thửa của vụ này có lỗi ở dòng 4, trang Thửa ruộng."),
        ("Nhật ký", 3, "Mã vụ", "Vụ của dòng nhật ký này có lỗi ở dòng 3, trang Vụ."),
    ]
    assert report.counts == {"fields": 1, "seasons": 1, "diary": 1}
