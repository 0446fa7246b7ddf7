"""Reading and writing spreadsheets: no database, only bytes and values."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from registry.errors import DomainError
from registry.trace import spreadsheets as sheets
from registry.trace.spreadsheets import CellProblem, parse_date, parse_number
from registry.trace.spreadsheets.columns import _lookup
from registry.trace.spreadsheets.writing import _csv_text


def xlsx(*sheet_rows: tuple[str, list[list[Any]]], formats: dict[str, str] | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheet_rows:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for ref, number_format in (formats or {}).items():
            sheet[ref].number_format = number_format
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def messages(row: sheets.Row) -> list[tuple[str, str]]:
    return [(e.column, str(e.message)) for e in row.errors]


# ---------------------------------------------------------------- numbers and dates
@pytest.mark.parametrize(
    ("text", "style", "value"),
    [
        ("1,5", None, 1.5),
        ("1.5", None, 1.5),
        ("0,125", None, 0.125),
        ("-3", None, -3.0),
        ("1.000,5", None, 1000.5),
        ("1,000.5", None, 1000.5),
        ("1.000.000", None, 1e6),
        ("1 000", None, 1000.0),
        ("1\u00a0250,75", None, 1250.75),
        ("1e3", None, 1000.0),
        (".5", None, 0.5),
        ("1.000", "comma", 1000.0),
        ("1,000", "comma", 1.0),
        ("1.000", "point", 1.0),
        ("1,000", "point", 1000.0),
        ("1,25", "point", 1.25),
        ("6.250,5", "comma", 6250.5),
    ],
)
def test_numbers_are_read_the_way_they_were_meant(
    text: str, style: str | None, value: float
) -> None:
    assert parse_number(text, style) == value


@pytest.mark.parametrize("text", ["abc", "1,2,3.4.5", "1.2.3", "12,34,5", "--1", "1.5kg", ""])
def test_text_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(CellProblem):
        parse_number(text)


@pytest.mark.parametrize("text", ["1.000", "2,500", "-1.250"])
def test_a_lone_thousands_looking_separator_in_a_workbook_is_a_question_not_a_guess(
    ctx: None, text: str
) -> None:
    with pytest.raises(CellProblem) as caught:
        parse_number(text, None)
    assert "không rõ nghĩa" in str(caught.value.message)


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_numbers_written_to_csv_read_back_exactly(value: float) -> None:
    assert parse_number(_csv_text(value), "point") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2026-01-25", date(2026, 1, 25)),
        ("25/01/2026", date(2026, 1, 25)),
        ("5/1/2026", date(2026, 1, 5)),
        ("05-01-2026", date(2026, 1, 5)),
        ("05.01.2026", date(2026, 1, 5)),
        ("2026/01/25", date(2026, 1, 25)),
        ("2026-01-25 00:00:00", date(2026, 1, 25)),
        (" 25/01/2026 ", date(2026, 1, 25)),
    ],
)
def test_dates_are_read_iso_or_day_first(text: str, value: date) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize(
    "text", ["31/02/2026", "01/25/2026", "25/01/26", "hôm nay", "2026-01-25T10:30:00"]
)
def test_impossible_or_ambiguous_dates_are_refused(text: str) -> None:
    with pytest.raises(CellProblem):
        parse_date(text)


# ---------------------------------------------------------------- headers and choices
def test_headers_match_without_case_accents_or_punctuation_and_by_schema_name() -> None:
    lookup = sheets.HEADERS["fields"]
    for text in ("Mã thửa", "MÃ THỬA", "ma thua", "code", "  Mã   thửa "):
        assert lookup[sheets.fold(text)].key == "code"
    assert lookup[sheets.fold("Tinh/Thanh pho")].key == "province"
    assert lookup[sheets.fold("area_ha")].key == "area_ha"
    assert sheets.HEADERS["diary"][sheets.fold("n_pct")].header == "Hàm lượng N (%)"
    assert sheets.fold("Đông Xuân") == "dong xuan"


@pytest.mark.parametrize(
    ("choices", "text", "code"),
    [
        (sheets.SEASON_TYPES, "ĐÔNG XUÂN", "dong_xuan"),
        (sheets.SEASON_TYPES, "dong_xuan", "dong_xuan"),
        (sheets.SEASON_TYPES, "HT", "he_thu"),
        (sheets.SEASON_TYPES, "vụ mùa", "vu_mua"),
        (sheets.DIARY_KINDS, "Phân bón", "fertiliser"),
        (sheets.DIARY_KINDS, "harvest", "harvest"),
        (sheets.DIARY_KINDS, "thuoc bao ve thuc vat", "pesticide"),
        (sheets.WATER_EVENTS, "Phơi ruộng", "drainage"),
        (sheets.UNITS, "lít", "l"),
        (sheets.STRAW_PRACTICES, "Đốt", "burned"),
        (sheets.PURPOSES, "Bơm nước", "pumping"),
    ],
)
def test_choices_are_accepted_by_vietnamese_name_alias_or_code(
    choices: sheets.Choices, text: str, code: str
) -> None:
    assert choices.lookup[sheets.fold(text)] == code


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hải Phòng", "Hải Phòng"),
        ("TP Hải Phòng", "Hải Phòng"),
        ("thanh pho hai phong", "Hải Phòng"),
        ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("tỉnh An Giang", "An Giang"),
    ],
)
def test_provinces_are_matched_with_or_without_prefix_and_accents(text: str, name: str) -> None:
    assert sheets.PROVINCE_LOOKUP[sheets.fold(text)] == name


def test_no_two_columns_of_a_kind_share_a_header_or_alias() -> None:
    for kind in sheets.KINDS:
        headers = [sheets.fold(c.header) for c in sheets.COLUMNS[kind]]
        assert len(headers) == len(set(headers))
        assert _lookup(kind) == sheets.HEADERS[kind]  # raises on a clash


# ---------------------------------------------------------------- CSV
def test_a_csv_with_bom_and_semicolons_reads_with_decimal_commas(ctx: None) -> None:
    text = (
        "\ufeffMã vụ;Loại;Ngày;Số lượng (kg);Độ ẩm (%)\r\n"
        "ds-01-2026-dx;Thu hoạch;18/04/2026;6.250,5;18,5%\r\n"
    )
    book = sheets.read(text.encode(), "nk.csv")
    [sheet] = book.sheets
    assert (book.format, sheet.kind, sheet.name) == ("csv", "diary", "nk.csv")
    [row] = sheet.rows
    assert row.number == 2 and not row.errors
    assert row.values == {
        "season": "DS-01-2026-DX",
        "kind": "harvest",
        "date": "2026-04-18",
        "data": {"kg": 6250.5, "moisture_pct": 18.5},
    }


def test_a_comma_csv_without_bom_and_its_row_numbers_skip_nothing(ctx: None) -> None:
    text = (
        "Mã thửa,Vụ,Năm,Ngày gieo sạ\n\nDS-01,Hè Thu,2026,2026-05-02\n"
        '"DS-02",Đông Xuân,2026,"10/01/2026"\n'
    )
    [sheet] = sheets.read(text.encode(), "vu.csv").sheets
    assert sheet.kind == "seasons"
    assert [(r.number, r.values["field"]) for r in sheet.rows] == [(3, "DS-01"), (4, "DS-02")]


def test_the_kind_chosen_for_a_csv_wins_over_its_headers(ctx: None) -> None:
    text = "Mã thửa,Tên thửa\r\nDS-01,Ruộng\r\n"
    sheet = sheets.read(text.encode(), "x.csv", "seasons").sheets[0]
    assert sheet.kind == "seasons"
    assert {e.column for e in sheet.errors} == {"Tên thửa", "Vụ", "Năm", "Ngày gieo sạ"}


def test_a_csv_whose_kind_cannot_be_told_asks_for_it(ctx: None) -> None:
    with pytest.raises(sheets.UnreadableFile) as caught:
        sheets.read(b"A,B\r\n1,2\r\n", "x.csv")
    assert "kind" in caught.value.errors


def test_a_title_row_above_the_header_is_skipped(ctx: None) -> None:
    text = (
        "DANH SÁCH THỬA RUỘNG HTX ĐỒ SƠN,,,,\r\n,,,,\r\n"
        "Mã thửa,Tên thửa,Diện tích (ha),Tỉnh/thành phố,Xã/phường\r\n"
        "DS-01,Ruộng A,1,Hải Phòng,Đồ Sơn\r\n"
    )
    [sheet] = sheets.read(text.encode(), "x.csv").sheets
    assert sheet.header_row == 3 and [r.number for r in sheet.rows] == [4]


def test_header_problems_are_reported_on_the_header_row(ctx: None) -> None:
    text = "STT,Mã vụ,Loại,Ngày,Ngày,Màu\r\n1,DS-01-2026-DX,Ghi chú,2026-01-10,,x\r\n"
    sheet = sheets.read(text.encode(), "x.csv", "diary").sheets[0]
    assert [(e.row, e.column) for e in sheet.errors] == [(1, "Ngày"), (1, "Màu")]
    assert sheet.rows == []


def test_values_under_no_header_are_reported(ctx: None) -> None:
    text = "Mã vụ,Loại,Ngày,Ghi chú,\r\nDS-01-2026-DX,Ghi chú,2026-01-10,x,lạc chỗ\r\n"
    [row] = sheets.read(text.encode(), "x.csv").sheets[0].rows
    assert [e.column for e in row.errors] == [""]


# ---------------------------------------------------------------- cells of each kind
def test_a_field_needs_both_coordinates_or_a_boundary_but_not_both(ctx: None) -> None:
    text = (
        "Mã thửa,Tên thửa,Diện tích (ha),Tỉnh/thành phố,Xã/phường,Vĩ độ,Kinh độ,"
        "Ranh giới GeoJSON\r\n"
        "A,R,1,Hải Phòng,X,20.71,106.78,\r\n"
        "B,R,1,Hải Phòng,X,20.71,,\r\n"
        'C,R,1,Hải Phòng,X,20.71,106.78,"{""type"":""Point"",""coordinates"":[106,20]}"\r\n'
        'D,R,1,Hải Phòng,X,,,"{""type"":""Point"",""coordinates"":[106.7,20.7]}"\r\n'
    )
    a, b, c, d = sheets.read(text.encode(), "x.csv").sheets[0].rows
    assert a.values["location"] == {"type": "Point", "coordinates": [106.78, 20.71]}
    assert [e.column for e in b.errors] == ["Kinh độ"] and "location" not in b.values
    assert [e.column for e in c.errors] == ["Ranh giới GeoJSON"]
    assert d.values["location"]["coordinates"] == [106.7, 20.7] and not d.errors


def test_diary_columns_of_another_kind_must_stay_empty_but_no_is_harmless(ctx: None) -> None:
    text = (
        "Mã vụ,Loại,Ngày,Ghi chú,Là urê,Tấn/ha\r\n"
        "S,Ghi chú,2026-01-10,x,không,\r\n"
        "S,Ghi chú,2026-01-10,x,,2\r\n"
    )
    first, second = sheets.read(text.encode(), "x.csv").sheets[0].rows
    assert first.values["data"] == {"text": "x"} and not first.errors
    assert messages(second) == [("Tấn/ha", "Cột này không dùng cho loại Ghi chú; hãy để trống.")]


def test_cell_problems_name_their_column_in_vietnamese(ctx: None) -> None:
    text = "Mã vụ,Loại,Ngày,Số lượng (kg),Là urê,Đơn vị\r\nS,Làm cỏ,31/02/2026,nhiều,chắc,\r\n"
    [row] = sheets.read(text.encode(), "x.csv").sheets[0].rows
    assert messages(row) == [
        (
            "Loại",
            "“Làm cỏ” không hợp lệ ở đây. Dùng một trong: Nước, Phân bón, Chất hữu cơ, "
            "Rơm rạ, Thuốc BVTV, Thu hoạch, Năng lượng, Ghi chú, Gieo trồng, Trồng cây, "
            "Bón vôi, Tưới nước, Phụ phẩm, Tỉa cành, Chặt hoặc trồng lại cây.",
        ),
        ("Ngày", "Ngày không hợp lệ. Ghi theo dạng ngày/tháng/năm, ví dụ 25/01/2026."),
        ("Số lượng (kg)", "Không phải là số."),
        ("Là urê", "Ghi có hoặc không."),
    ]


# ---------------------------------------------------------------- XLSX
def test_a_workbook_gives_real_dates_percent_cells_and_codes_typed_as_numbers(ctx: None) -> None:
    data = xlsx(
        (
            "Thửa ruộng",
            [
                [
                    "Mã thửa",
                    "Tên thửa",
                    "Diện tích (ha)",
                    "Tỉnh/thành phố",
                    "Xã/phường",
                    "Vĩ độ",
                    "Kinh độ",
                ],
                [101, "Ruộng", 1.5, "Hải Phòng", "Đồ Sơn", 20.71, 106.78],
            ],
        ),
        (
            "Nhật ký",
            [
                [
                    "Mã vụ",
                    "Loại",
                    "Ngày",
                    "Sản phẩm",
                    "Số lượng (kg)",
                    "Hàm lượng N (%)",
                    "Là urê",
                    "Ngày cho nước lại",
                ],
                ["101-2026-DX", "Phân bón", datetime(2026, 1, 25), "NPK", 50, 0.2, False, None],
                ["101-2026-DX", "Nước", date(2026, 2, 1), None, None, None, None, 46068],
            ],
        ),
        formats={"F2": "0%", "H3": "General"},
    )
    book = sheets.read(data, "x.xlsx")
    fields, diary = book.sheets
    assert fields.rows[0].values["code"] == "101"
    npk, water = diary.rows
    assert npk.values["date"] == "2026-01-25"
    assert npk.values["data"] == {"product": "NPK", "kg": 50.0, "n_pct": 20.0, "urea": False}
    assert water.values["data"] == {"end_date": "2026-02-15"}  # an Excel serial day


def test_sheets_are_found_by_name_alias_or_headers_and_others_are_listed(ctx: None) -> None:
    data = xlsx(
        ("Sheet1", [["Mã thửa", "Vụ", "Năm", "Ngày gieo sạ"], ["A", "HT", 2026, "2026-05-02"]]),
        (
            "diary",
            [["Mã vụ", "Loại", "Ngày", "Ghi chú"], ["A-2026-HT", "Ghi chú", "2026-05-03", "x"]],
        ),
        ("Ghi chép riêng", [["Việc cần làm"], ["gọi điện"]]),
        ("Hướng dẫn", [["Mẫu nhập dữ liệu"]]),
    )
    book = sheets.read(data, "x.xlsx")
    assert [(s.kind, s.name) for s in book.sheets] == [("seasons", "Sheet1"), ("diary", "diary")]
    assert book.ignored == ["Ghi chép riêng"]
    only = sheets.read(data, "x.xlsx", "diary")
    assert [s.kind for s in only.sheets] == ["diary"]


def test_a_workbook_without_a_known_sheet_is_refused(ctx: None) -> None:
    with pytest.raises(sheets.UnreadableFile) as caught:
        sheets.read(xlsx(("Sheet1", [["Họ tên", "Điện thoại"]])), "x.xlsx")
    assert "Thửa ruộng, Vụ, Nhật ký" in caught.value.errors["file"][0]


def test_a_damaged_workbook_is_refused(ctx: None) -> None:
    data = xlsx(("Vụ", [["Mã thửa"]]))
    broken = data[:200] + b"\x00" * 50 + data[250:]
    with pytest.raises(sheets.UnreadableFile):
        sheets.read(broken, "x.xlsx")


def test_the_template_has_three_sheets_with_examples_a_guide_and_lists(ctx: None) -> None:
    data = sheets.template()
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Hướng dẫn", "Thửa ruộng", "Vụ", "Nhật ký", "Danh mục"]
    guide = [row[1] for row in workbook["Hướng dẫn"].iter_rows(values_only=True)]
    for kind in sheets.KINDS:
        assert [c.value for c in workbook[sheets.SHEET_NAMES[kind]][1]] == [
            c.header for c in sheets.COLUMNS[kind]
        ]
        assert all(c.header in guide for c in sheets.COLUMNS[kind])
    assert workbook["Nhật ký"]["C2"].number_format == "DD/MM/YYYY"
    rules = {
        str(r.sqref).split(":")[0]: r.formula1
        for r in workbook["Vụ"].data_validations.dataValidation
    }
    assert rules["B2"].startswith("'Danh mục'!$B$2")
    book = sheets.read(data, "mau.xlsx")
    assert [len(s.rows) for s in book.sheets] == [3, 3, 4] and book.ignored == []
    assert not [e for s in book.sheets for r in s.rows for e in r.errors]


ROWS: dict[str, list[dict[str, Any]]] = {
    "fields": [
        {
            "code": "DS-01",
            "name": 'Ruộng, "Đồng" Cao',
            "area_ha": 1.125,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "household": "Hộ ông Ba",
            "planting_area_code": "VT-01",
            "location": {
                "type": "Polygon",
                "coordinates": [
                    [[106.78, 20.71], [106.781, 20.71], [106.781, 20.711], [106.78, 20.71]]
                ],
            },
        },
        {
            "code": "DS-02",
            "name": "Ruộng B",
            "area_ha": 0.5,
            "province": "An Giang",
            "commune": "xã Mỹ Hòa",
            "location": {"type": "Point", "coordinates": [105.1, 10.2]},
        },
    ],
    "seasons": [
        {"field": "DS-01", "season_type": "thu_dong", "year": 2026, "sowing_date": "2026-08-20"}
    ],
    "diary": [
        {
            "season": "DS-01-2026-TD",
            "kind": "pesticide",
            "date": "2026-09-01",
            "data": {"product": "Anvil", "amount": 0.25, "unit": "ml"},
            "number": 5,
        },
        {
            "season": "DS-01-2026-TD",
            "kind": "pesticide",
            "date": "2026-09-01",
            "data": {"product": "Anvil", "amount": 0.5, "unit": "ml"},
            "supersedes": 5,
            "reason": "Ghi nhầm",
            "evidence": ["ab" * 32],
        },
    ],
}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_what_is_written_reads_back_the_same(ctx: None, form: str) -> None:
    for kind, rows in ROWS.items():
        data = sheets.write_csv(kind, rows) if form == "csv" else sheets.write_xlsx({kind: rows})
        [sheet] = sheets.read(data, f"x.{form}").sheets
        read = [r.values for r in sheet.rows]
        for row in sheet.rows:
            assert not row.errors
            if row.entry_number is not None:
                row.values["number"] = row.entry_number
        assert read == [{k: v for k, v in r.items() if v is not None} for r in rows]


# ---------------------------------------------------------------- refusals
def test_refusals_name_the_way_out(ctx: None) -> None:
    cases = {
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100: ".xlsx",
        "Mã thửa".encode("utf-16"): "CSV UTF-8",
        b"M\xe3 th\xf5a": "CSV UTF-8",
        b"": "",
    }
    for data, hint in cases.items():
        with pytest.raises(DomainError) as caught:
            sheets.detect(data)
        assert hint in caught.value.errors["file"][0]


def test_an_encrypted_or_binary_workbook_is_refused(ctx: None) -> None:
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.bin", b"\x00")
        archive.writestr("[Content_Types].xml", b"<Types/>")
    with pytest.raises(sheets.UnsupportedFile) as caught:
        sheets.detect(out.getvalue())
    assert ".xlsb" in caught.value.errors["file"][0]


def test_a_workbook_with_a_broken_sheet_is_refused_not_a_crash(ctx: None) -> None:
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx(("Vụ", [["Mã thửa", "Vụ"], ["A", "HT"]]))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = content[: len(content) // 2]
            archive.writestr(info.filename, content)
    with pytest.raises(sheets.UnreadableFile):
        sheets.read(out.getvalue(), "x.xlsx")
