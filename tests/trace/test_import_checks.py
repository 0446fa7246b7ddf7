"""The marked copy of a file whose import found problems: each bad cell red with a note at
its row and column, an errors column, the rows that were fine unchanged; corrected in the
copy itself, it imports cleanly; only the HTX that uploaded it can download it."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from openpyxl import load_workbook

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.errors import NotFound
from registry.storage.local import LocalStore
from registry.trace import import_checks, service
from registry.trace import spreadsheets as sheets
from registry.trace.spreadsheets.marking import AUTHOR, BAD
from tests.conftest import Factory, login
from tests.trace.conftest import field_values, season_values
from tests.trace.test_import_views import RunJobs, follow, htx_user, upload, workbook
from tests.trace.test_imports import Htx, other_htx, run

POINT = {"type": "Point", "coordinates": [106.7805, 20.7104]}
STRAY_COLUMN = 40  # two columns right of the diary's last header (38): a value with no header


def bad_workbook() -> bytes:
    """Three sheets with problems of several kinds beside rows that are fine."""
    field = {**field_values(), "location": POINT}
    data = sheets.write_xlsx(
        {
            "fields": [
                field,
                {**field, "code": "DS-02", "area_ha": -1.0},
                {**field, "code": "DS-03", "province": "Hà Tây"},
            ],
            "seasons": [
                season_values(season_type="he_thu", sowing_date=date(2026, 5, 2)),
                season_values(field="DS-02", season_type="he_thu", sowing_date=date(2026, 5, 2)),
            ],
            "diary": [
                {
                    "season": "DS-01-2026-HT",
                    "kind": "water",
                    "date": date(2026, 5, 20),
                    "data": {"event": "drainage", "end_date": "2026-05-27"},
                },
                {
                    "season": "DS-01-2026-HT",
                    "kind": "fertiliser",
                    "date": date(2026, 5, 22),
                    "data": {"product": "NPK", "kg": 30},
                },
                {
                    "season": "DS-01-2026-HT",
                    "kind": "note",
                    "date": date(2026, 5, 23),
                    "data": {"text": "Thăm đồng", "kg": 5},
                },
                {
                    "season": "DS-01-2026-HT",
                    "kind": "note",
                    "date": date(2026, 5, 24),
                    "data": {"text": "Lúa đẻ nhánh"},
                },
            ],
        }
    )
    book = load_workbook(io.BytesIO(data))
    book["Nhật ký"].cell(5, STRAY_COLUMN, "ghi thêm")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPECTED = [  # (sheet, row, column) of each problem of bad_workbook()
    ("Thửa ruộng", 3, "Diện tích (ha)"),
    ("Thửa ruộng", 4, "Tỉnh/thành phố"),
    ("Vụ", 3, "Mã thửa"),
    ("Nhật ký", 3, "Hàm lượng N (%)"),
    ("Nhật ký", 4, "Số lượng (kg)"),
    ("Nhật ký", 5, ""),
]


def kept(htx: Htx, tmp_path: Path, report: Any, data: bytes, locale: str = "vi") -> Any:
    """`data` stored in a folder store with the problems of `report`."""
    check = import_checks.new(htx[0].id, data, LocalStore(tmp_path))
    import_checks.save_problems(check, report, locale, None)
    return check


def marked(htx: Htx, tmp_path: Path, data: bytes, name: str = "nhap.xlsx", **kw: Any) -> Any:
    """Check `data` (nothing saved), store it with its problems and make the copy."""
    report = run(htx, data, name, dry_run=True, **kw)
    assert not report.ok
    check = kept(htx, tmp_path, report, data)
    path = tmp_path / f"marked-{check.token}.xlsx"
    path.write_bytes(import_checks.make(check))
    return report, check, path


def header_positions(sheet: Any) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1] if cell.value}


def test_each_problem_is_marked_at_its_row_and_column_and_fine_rows_are_unchanged(
    htx: Htx, tmp_path: Path
) -> None:
    data = bad_workbook()
    report, _, path = marked(htx, tmp_path, data)
    assert sorted((e.sheet, e.row, e.column) for e in report.errors) == sorted(EXPECTED)
    original = load_workbook(io.BytesIO(data))
    copy = load_workbook(path)
    assert copy.sheetnames == original.sheetnames
    for name in ("Thửa ruộng", "Vụ", "Nhật ký"):
        before, after = original[name], copy[name]
        width = before.max_column
        errors = width + 1  # the errors column comes after the last column holding anything
        assert after.cell(1, errors).value == "Lỗi cần sửa"
        assert [r[:width] for r in after.iter_rows(values_only=True)] == list(
            before.iter_rows(values_only=True)
        )
        problems = {e.row: e for e in report.errors if e.sheet == name}
        columns = header_positions(before)
        for row in range(2, before.max_row + 1):
            problem = problems.get(row)
            note = after.cell(row, errors).value
            if problem is None:
                assert note is None
                assert not [c.coordinate for c in after[row] if c.comment is not None]
                continue
            text = f"{problem.column}: {problem.message}" if problem.column else problem.message
            assert note == text
            if problem.column:
                cell = after.cell(row, columns[problem.column])
                assert cell.fill.fgColor.rgb.endswith(BAD), cell.coordinate
                assert cell.comment.text == problem.message
                assert cell.comment.author == AUTHOR
            others = [c for c in after[row] if c.comment is not None]
            assert len(others) == (1 if problem.column else 0)
    assert copy["Nhật ký"].max_column == STRAY_COLUMN + 1


def fix(path: Path, changes: dict[str, dict[tuple[int, str | int], Any]]) -> bytes:
    """The copy with cells changed as a clerk would (by header, or column number)."""
    book = load_workbook(path)
    for name, cells in changes.items():
        sheet = book[name]
        columns = header_positions(sheet)
        for (row, column), value in cells.items():
            number = column if isinstance(column, int) else columns[column]
            sheet.cell(row, number).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FIXES: dict[str, dict[tuple[int, str | int], Any]] = {
    "Thửa ruộng": {(3, "Diện tích (ha)"): 1.5, (4, "Tỉnh/thành phố"): "Hải Phòng"},
    "Nhật ký": {(3, "Hàm lượng N (%)"): 16, (4, "Số lượng (kg)"): None, (5, STRAY_COLUMN): None},
}


def test_the_copy_corrected_in_its_marked_cells_imports_cleanly(htx: Htx, tmp_path: Path) -> None:
    _, _, path = marked(htx, tmp_path, bad_workbook())
    report = run(htx, fix(path, FIXES), "nhap-loi-can-sua.xlsx")
    assert report.ok and report.saved, report.errors
    assert report.counts == {"fields": 3, "seasons": 2, "diary": 4}
    assert report.ignored_sheets == []


def test_a_copy_of_a_copy_reuses_its_errors_column_and_clears_the_marks_fixed(
    htx: Htx, tmp_path: Path
) -> None:
    _, _, first = marked(htx, tmp_path, bad_workbook())
    again = fix(first, {"Thửa ruộng": FIXES["Thửa ruộng"]})
    report, _, second = marked(htx, tmp_path, again, "nhap-loi-can-sua.xlsx")
    assert {e.sheet for e in report.errors} == {"Nhật ký"}
    fields = load_workbook(second)["Thửa ruộng"]
    assert fields.cell(1, 11).value == "Lỗi cần sửa" and fields.max_column == 11
    assert [fields.cell(row, 11).value for row in (2, 3, 4)] == [None, None, None]
    for cell in (fields["C3"], fields["D4"]):
        assert cell.comment is None and cell.fill.fill_type is None
    diary = load_workbook(second)["Nhật ký"]
    assert diary.cell(3, STRAY_COLUMN + 1).value.startswith("Hàm lượng N (%): ")


def test_a_csv_gets_a_workbook_copy_that_keeps_its_numbers_and_imports_once_fixed(
    htx: Htx, tmp_path: Path
) -> None:
    org, _ = htx
    service.register_field(db.session, org, field_values())
    service.open_season(db.session, org, season_values(season_type="he_thu"))
    db.session.commit()
    text = (
        "\ufeffMã vụ;Loại;Ngày;Sản phẩm;Số lượng (kg);Hàm lượng N (%);Là urê;Ghi chú\r\n"
        "DS-01-2026-HT;Phân bón;20/05/2026;Urê Cà Mau;1.000;;có;\r\n"
        "DS-01-2026-HT;Ghi chú;32/05/2026;;;;;=mưa to\r\n"
    )
    report, _, path = marked(htx, tmp_path, text.encode(), "nhat-ky.csv")
    assert [(e.row, e.column) for e in report.errors] == [(3, "Ngày")]
    book = load_workbook(path)
    assert book.sheetnames == ["Nhật ký"]
    sheet = book["Nhật ký"]
    assert sheet["E2"].value == 1000 and sheet["C2"].value == "20/05/2026"
    assert sheet["H3"].value == "=mưa to" and sheet["H3"].data_type == "s"
    assert sheet["C3"].comment.text == report.errors[0].message
    assert sheet["I1"].value == "Lỗi cần sửa" and sheet["I2"].value is None
    fixed = run(htx, fix(path, {"Nhật ký": {(3, "Ngày"): "21/05/2026"}}), "nhat-ky.xlsx")
    assert fixed.ok and fixed.saved, fixed.errors
    season = service.season_by_code(db.session, org.id, "DS-01-2026-HT")
    assert [(e.data.get("kg"), e.data.get("text")) for e in season.entries] == [
        (1000.0, None),
        (None, "=mưa to"),
    ]


def test_header_problems_are_marked_in_the_header_row_in_the_clerks_language(
    htx: Htx, tmp_path: Path
) -> None:
    data = "Mã vụ,Loại,Màu\r\nDS-01-2026-HT,Ghi chú,xanh\r\n".encode()
    with force_locale("en"):
        report = run(htx, data, "diary.csv", kind="diary", dry_run=True)
    check = kept(htx, tmp_path, report, data, "en")
    sheet = load_workbook(io.BytesIO(import_checks.make(check)))["Nhật ký"]
    assert sheet["C1"].comment.text.startswith("Unknown column.")
    assert sheet["C1"].fill.fgColor.rgb.endswith(BAD)
    assert sheet["D1"].value == "Errors to fix"
    assert sheet["D1"].comment.text.splitlines() == [
        f"Màu: {sheet['C1'].comment.text}",
        "Ngày: This column is required but missing.",
    ]
    assert sheet["D2"].value is None and sheet["A2"].comment is None


def test_another_htx_finds_nothing(htx: Htx, make: Factory, tmp_path: Path) -> None:
    _, check, _ = marked(htx, tmp_path, bad_workbook())
    files = check.store
    assert import_checks.find(htx[0].id, check.token, files) == check
    with pytest.raises(NotFound):
        import_checks.find(other_htx(make)[0].id, check.token, files)
    with pytest.raises(NotFound):
        import_checks.find(htx[0].id, "../" + check.token[3:], files)


def test_a_clean_check_has_nothing_to_mark(htx: Htx, tmp_path: Path) -> None:
    report = run(htx, workbook(), dry_run=True)
    assert report.ok and report.every_error == [] and report.layouts


# ---------------------------------------------------------------- pages
def copy_link(html: str) -> str:
    found = re.search(r'href="(/import/checks/[\w-]{22}/marked\.xlsx)" data-marked-copy', html)
    assert found, html
    return found.group(1)


def test_the_import_page_links_the_marked_copy_for_its_htx_only(
    app: Flask, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    login(client, htx_user(make))
    clean = follow(client, upload(client, workbook(), "nhap.xlsx", "check"), run_jobs)
    assert "data-marked-copy" not in clean.get_data(as_text=True)
    response = follow(client, upload(client, bad_workbook(), "nhap.xlsx", "check"), run_jobs)
    html = response.get_data(as_text=True)
    assert 'data-report="errors"' in html and "Tải tệp của bạn có đánh dấu lỗi (XLSX)" in html
    link = copy_link(html)
    copy = client.get(link)  # made by its own job, which run_jobs ran after the check
    assert copy.status_code == 200 and copy.mimetype == sheets.XLSX_MIME
    assert "nhap-loi-can-sua.xlsx" in copy.headers["Content-Disposition"]
    assert copy.headers["Cache-Control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(copy.data))["Thửa ruộng"]
    assert sheet["C3"].comment.author == AUTHOR and sheet["K1"].value == "Lỗi cần sửa"
    page = client.get(link.removesuffix("/marked.xlsx"))
    assert page.mimetype == "text/html" and "Refresh" not in page.headers
    assert 'data-copy="ready"' in page.get_data(as_text=True)
    assert "Tải tệp (XLSX)" in page.get_data(as_text=True)

    other = app.test_client()
    login(other, htx_user(make))
    assert other.get(link).status_code == 404
    assert other.get(link.removesuffix("/marked.xlsx")).status_code == 404
    assert client.get("/import/checks/abc/marked.xlsx").status_code == 404


def test_the_copy_page_waits_for_its_job_and_says_when_it_failed(
    ctx: None, client: FlaskClient, make: Factory, run_jobs: RunJobs
) -> None:
    made = htx_user(make)
    login(client, made)
    org, user = db.session.get(Organisation, made.organisation_id), db.session.get(User, made.id)
    assert org is not None and user is not None
    data = bad_workbook()
    report = run((org, user), data, "nhap.xlsx", dry_run=True)
    waiting, lost = import_checks.new(org.id, data), import_checks.new(org.id, data)
    for check in (waiting, lost):
        import_checks.keep(db.session, check, report, org, user, "vi")
    db.session.commit()
    page = client.get(f"/import/checks/{waiting.token}")
    assert page.headers.get("Refresh") == "2"
    assert 'data-copy="waiting"' in page.get_data(as_text=True)
    assert client.get(f"/import/checks/{waiting.token}/marked.xlsx").status_code == 302
    lost.store.delete(lost.upload)  # (as pruned meanwhile)
    run_jobs()
    assert client.get(f"/import/checks/{waiting.token}/marked.xlsx").status_code == 200
    failed = client.get(f"/import/checks/{lost.token}")
    assert "Refresh" not in failed.headers and 'data-copy="failed"' in failed.get_data(as_text=True)


def test_a_message_naming_a_header_written_as_a_formula_stays_text(
    htx: Htx, tmp_path: Path
) -> None:
    """A clerk's header "=Diện tích (ha)" still names its column (folded); the message that
    repeats it must not become a formula in the errors column."""
    book = load_workbook(io.BytesIO(bad_workbook()))
    sheet = book["Thửa ruộng"]
    area = header_positions(sheet)["Diện tích (ha)"]
    sheet.cell(1, area).value = "=Diện tích (ha)"
    sheet.cell(1, area).data_type = "s"
    out = io.BytesIO()
    book.save(out)
    _, _, path = marked(htx, tmp_path, out.getvalue())
    copy = load_workbook(path)["Thửa ruộng"]
    errors = header_positions(copy)["Lỗi cần sửa"]
    cell = copy.cell(3, errors)
    assert cell.data_type == "s" and cell.value.startswith("=Diện tích (ha)")
