"""Writing rows back in the template's columns: CSV, XLSX exports (streamed) and the
template with its guide sheet and drop-down lists."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from registry import crops
from registry.places import PROVINCES
from registry.trace.models import DiaryKind
from registry.trace.spreadsheets.choices import CROPS, DIARY_KINDS, SEASON_TYPES
from registry.trace.spreadsheets.columns import (
    CELL_LIMIT,
    COLUMNS,
    EXAMPLES,
    GUIDE_SHEET,
    KINDS,
    LISTS_SHEET,
    MAX_ROWS,
    SHEET_NAMES,
    Column,
    data_columns,
)


def cells(kind: str, values: dict[str, Any]) -> list[Any]:
    """One row in column order from values shaped like what `read` gives (codes, ISO or
    date objects, `location`, diary `data`, `number`), the way a person would type them."""
    row: list[Any] = []
    data = values.get("data") or {}
    location = values.get("location") or {}
    point = location.get("coordinates") if location.get("type") == "Point" else None
    for column in COLUMNS[kind]:
        if column.key.startswith("data."):
            value = data.get(column.name)
        elif column.key in ("lat", "lon"):
            value = point[column.key == "lat"] if point else None
        elif column.key == "geojson":
            value = json.dumps(location, separators=(",", ":")) if location and not point else None
        else:
            value = values.get(column.key)
        row.append(_cell(column, value))
    return row


def _cell(column: Column, value: Any) -> Any:
    if value is None or value == []:
        return None
    if column.type == "choice" and column.choices is not None:
        return column.choices.names.get(str(value), value)
    if column.type == "bool":
        return "có" if value else "không"
    if column.type == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if column.type == "list":
        return " ".join(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def write_csv(kind: str, rows: Iterable[dict[str, Any]]) -> bytes:
    """A CSV of one kind: UTF-8 with a BOM (so Excel shows Vietnamese), `,` between values,
    ISO dates and a decimal point, which `read` takes back unchanged."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header for c in COLUMNS[kind]])
    for values in rows:
        writer.writerow([_csv_text(v) for v in cells(kind, values)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_xlsx(tables: dict[str, Iterable[dict[str, Any]]], *, guide: bool = False) -> bytes:
    """A workbook with one sheet per kind (in `tables`), and for the template a guide sheet
    and drop-down lists. Export uses openpyxl's write-only mode: rows stream out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook(write_only=not guide)
    if guide:
        workbook.remove(workbook.active)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F7A3A")
    wrap = Alignment(wrap_text=True, vertical="top")
    for kind, rows in tables.items():
        sheet: Any = workbook.create_sheet(SHEET_NAMES[kind])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS[kind], 1):
            sheet.column_dimensions[_letter(index)].width = column.width
        if guide:
            sheet.append([c.header for c in COLUMNS[kind]])
            for cell in sheet[1]:
                cell.font, cell.fill, cell.alignment = bold, fill, wrap
        else:
            header = []
            for column in COLUMNS[kind]:
                cell = WriteOnlyCell(sheet, value=column.header)
                cell.font, cell.fill, cell.alignment = bold, fill, wrap
                header.append(cell)
            sheet.append(header)
        for values in rows:
            sheet.append([_xlsx_cell(sheet, v, guide) for v in cells(kind, values)])
            if guide:
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, date):
                        cell.number_format = DATE_FORMAT
    if guide:
        _guide(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: Any, plain: bool) -> Any:
    if isinstance(value, str) and len(value) > CELL_LIMIT:
        value = value[:CELL_LIMIT]  # Excel keeps no more; CSV export has no limit
    if not isinstance(value, date) or plain:
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = DATE_FORMAT
    return cell


DATE_FORMAT = "DD/MM/YYYY"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


GUIDE_INTRO = (
    "Mẫu nhập dữ liệu thửa ruộng, vụ và nhật ký đồng ruộng (nhãn Phát thải thấp).",
    "Mỗi trang một loại: Thửa ruộng, Vụ, Nhật ký. Dòng 1 là tên cột, mỗi dòng sau là một "
    "bản ghi. Xoá dòng mẫu trước khi nhập. Có thể bỏ trống trang không dùng.",
    "Hệ thống nhập theo thứ tự Thửa ruộng → Vụ → Nhật ký, nên một tệp có thể tạo thửa, vụ "
    "của thửa và nhật ký của vụ cùng lúc.",
    "Tất cả hoặc không: nếu còn một dòng lỗi thì không dòng nào được lưu. Bấm 'Kiểm tra "
    "trước' để xem lỗi theo số dòng và tên cột, sửa rồi nhập lại.",
    "Ngày: kiểu ngày của Excel, hoặc gõ 25/01/2026 (ngày/tháng/năm) hoặc 2026-01-25. "
    "Số: dấu phẩy hoặc dấu chấm thập phân (1,25 hoặc 1.25), không dùng dấu phân cách "
    "hàng nghìn.",
    "Tệp CSV: lưu dạng 'CSV UTF-8', mỗi tệp một loại, dấu phân cách , hoặc ;. "
    f"Tối đa 5 MB và {MAX_ROWS:_} dòng mỗi lần nhập.".replace("_", "."),
)


def _guide(workbook: Any) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    lists = workbook.create_sheet(LISTS_SHEET)
    columns = [
        ("Tỉnh/thành phố", list(PROVINCES)),
        ("Vụ", list(SEASON_TYPES.names.values())),
        ("Cây trồng", list(CROPS.names.values())),
        ("Loại", list(DIARY_KINDS.names.values())),
        ("Có/không", ["có", "không"]),
        *[
            (c.header, list(c.choices.names.values()))
            for c in COLUMNS["diary"]
            if c.choices and c.key.startswith("data.")
        ],
    ]
    ranges: dict[str, str] = {}
    for index, (title, values) in enumerate(columns, 1):
        letter = _letter(index)
        lists.column_dimensions[letter].width = 22
        lists.cell(1, index, title).font = Font(bold=True)
        for offset, value in enumerate(values, 2):
            lists.cell(offset, index, value)
        ranges[title] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    for kind in KINDS:
        sheet = workbook[SHEET_NAMES[kind]]
        for index, column in enumerate(COLUMNS[kind], 1):
            source = {"province": "Tỉnh/thành phố", "bool": "Có/không"}.get(column.type)
            if column.type == "choice":
                source = {"season_type": "Vụ", "kind": "Loại"}.get(column.key, column.header)
            if source is None:
                continue
            rule = DataValidation(
                type="list",
                formula1=ranges[source],
                allow_blank=True,
                errorStyle="warning",
                showErrorMessage=True,
                error="Chọn trong danh sách (trang Danh mục).",
            )
            rule.add(f"{_letter(index)}2:{_letter(index)}{MAX_ROWS + 1}")
            sheet.add_data_validation(rule)

    guide = workbook.create_sheet(GUIDE_SHEET, 0)
    for width, letter in zip((16, 22, 12, 70, 40), "ABCDE", strict=True):
        guide.column_dimensions[letter].width = width
    for line in GUIDE_INTRO:
        guide.append([line])
    guide.append([])
    guide.append(["Trang", "Cột", "Bắt buộc", "Ý nghĩa", "Giá trị chấp nhận"])
    for cell in guide[guide.max_row]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for kind in KINDS:
        for column in COLUMNS[kind]:
            accepted = column.choices.listing() if column.choices else ACCEPTED.get(column.type)
            guide.append(
                [
                    SHEET_NAMES[kind],
                    column.header,
                    "có" if column.required else "",
                    column.help,
                    accepted or "",
                ]
            )
            for cell in guide[guide.max_row]:
                cell.alignment = wrap
    for heading, rows in (
        (
            ["Cây trồng", "Tên", "Mã", "Vụ hoặc kỳ; cột riêng của vụ", "Loại nhật ký dùng được"],
            _crop_rows(),
        ),
        (["Loại nhật ký", "Tên", "Mã", "Cột bắt buộc", "Cột không bắt buộc"], _kind_rows()),
    ):
        guide.append([])
        guide.append(heading)
        for cell in guide[guide.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            guide.append(row)
            for cell in guide[guide.max_row]:
                cell.alignment = wrap


def _crop_rows() -> list[list[str]]:
    """One guide row per crop of the catalogue: its periods, its own season columns and the
    kinds of diary entry its growers keep (others are refused on their row)."""
    trees = [c.header for c in COLUMNS["seasons"] if c.key in ("planting_year", "tree_count")]
    rows = []
    for code, crop in crops.catalogue().items():
        periods = ", ".join(SEASON_TYPES.names[s] for s in crop.kind.season_types)
        if crop.kind.tree_stand:
            periods += f"; {trees[0]} (bắt buộc), {trees[1]}"
        kinds = ", ".join(DIARY_KINDS.names[k] for k in crop.diary_kinds)
        rows.append(["Cây trồng", crop.names["vi"], code, periods, kinds])
    return rows


def _kind_rows() -> list[list[str]]:
    """One guide row per kind of diary entry: the columns it fills, required and not."""
    rows = []
    for kind in DiaryKind:
        columns = data_columns(kind)
        rows.append(
            [
                "Loại nhật ký",
                DIARY_KINDS.names[kind.value],
                kind.value,
                ", ".join(c.header for c, required in columns if required),
                ", ".join(c.header for c, required in columns if not required),
            ]
        )
    return rows


ACCEPTED = {
    "date": "25/01/2026, 2026-01-25 hoặc kiểu ngày của Excel",
    "number": "số, ví dụ 1,25 hoặc 1.25",
    "percent": "số phần trăm, ví dụ 46 hoặc 46%",
    "integer": "số nguyên",
    "bool": "có / không",
    "province": "tên tỉnh, thành phố (trang Danh mục)",
    "code": "chữ in hoa, chữ số và dấu -",
}


def template() -> bytes:
    """The blank workbook: three sheets with example rows of a rice season, a vegetable crop
    cycle and an orchard's growing year, the guide (every crop with its diary kinds, every
    kind with its columns) and the lists."""
    return write_xlsx({kind: EXAMPLES[kind] for kind in KINDS}, guide=True)
