"""The report files: a PDF whose pages are drawn (not blank) and whose text is proper
Vietnamese, and an XLSX with the same figures."""

from __future__ import annotations

import hashlib
import io
import time
import unicodedata
import zipfile
from datetime import UTC, date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import load_workbook
from PIL import ImageStat

from registry.db import db
from registry.reports import pdf, periodic, rollup, xlsx
from registry.reports.figures import Area
from registry.reports.models import ReportKind
from registry.reports.periods import Period
from tests.reports.conftest import Builder, Planted


@pytest.fixture
def data(app: Flask, ctx: None) -> dict:
    builder = Builder(db.session)
    builder.plant(Planted(0, 0, date(2026, 3, 10), 1.0, 3000, 6000, (1.0, 9000, 5800), awd=True))
    builder.plant(Planted(1, 1, date(2026, 10, 2), 2.0, 6000, 12000, (2.0, 16000, 11000)))
    builder.plant(Planted(1, 1, date(2025, 10, 2), 2.0, 9000, 12000, (2.0, 16000, 11000)))
    db.session.commit()
    state = rollup.refresh(db.session, timedelta(0))
    return periodic.report_data(
        db.session,
        ReportKind.ANNUAL,
        Period(2026),
        Area("Hải Phòng"),
        12.0,
        state.revision,
        datetime(2026, 12, 1, 3, tzinfo=UTC),
    )


def text_of(document: pdfium.PdfDocument) -> str:
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_the_pdf_is_drawn_in_proper_vietnamese(app: Flask, data: dict) -> None:
    with force_locale("vi"):
        body = pdf.render(data, "ab" * 32, 17, "demo.phatthaithap.vn")
    document = pdfium.PdfDocument(body)
    assert len(document) >= 1
    page = document[0].render(scale=1).to_pil().convert("L")
    darkest, lightest = page.getextrema()
    assert darkest < 80 and lightest > 240
    assert ImageStat.Stat(page).mean[0] < 250  # ink on the page, not a blank sheet
    text = unicodedata.normalize("NFC", text_of(document))
    for expected in (
        "Báo cáo năm",
        "phường Đồ Sơn",
        "xã Kiến Thụy",
        "Hải Phòng",
        "HTX Nông nghiệp số 11",
        "abababab",
    ):
        assert expected in text, expected
    assert "□" not in text  # no missing glyphs


def test_the_pdf_names_what_it_shows_in_english_too(app: Flask, data: dict) -> None:
    with force_locale("en"):
        text = text_of(pdfium.PdfDocument(pdf.render(data, "cd" * 32, 5, "r")))
    assert "Annual report" in text and "xã Kiến Thụy" in text


def test_the_xlsx_holds_the_same_figures(app: Flask, data: dict) -> None:
    with force_locale("vi"):
        book = load_workbook(io.BytesIO(xlsx.render(data, "ef" * 32, 9)))
    summary = book.worksheets[0]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert values["Diện tích (ha)"] == data["emissions"]["area_ha"] == 3.0
    assert "ef" * 32 in values.values()
    assert [s.title for s in book.worksheets[1:3]] == ["Theo cây trồng", "Theo xã-phường"]
    communes = book.worksheets[2]
    rows = list(communes.iter_rows(min_row=2, values_only=True))
    assert sorted(r[1] for r in rows) == ["phường Đồ Sơn", "xã Kiến Thụy"]
    trajectory = book.worksheets[4]
    assert [r[0] for r in trajectory.iter_rows(min_row=2, values_only=True)] == [2025, 2026]
    assert trajectory._charts  # the native line chart


def _evening(data: dict) -> dict:
    """The report generated at 19:29 UTC on 6 December: already 7 December in Vietnam."""
    return {**data, "generated_at": "2026-12-06T19:29:32Z"}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_pdf_shows_vietnam_time_with_a_four_digit_year(
    app: Flask, data: dict, locale: str
) -> None:
    with force_locale(locale):
        text = text_of(pdfium.PdfDocument(pdf.render(_evening(data), "ab" * 32, 17, "r")))
    assert "07/12/2026 02:29 UTC+07:00" in text
    assert "01/01/2026" in text and "31/12/2026" in text
    assert "2026-12-06" not in text and "T19:29" not in text and "2026-01-01" not in text


def test_the_xlsx_writes_dates_as_dates_on_the_vietnam_clock(app: Flask, data: dict) -> None:
    with force_locale("vi"):
        book = load_workbook(io.BytesIO(xlsx.render(_evening(data), "ef" * 32, 9)))
    summary = book.worksheets[0]
    cells = {row[0].value: row[1] for row in summary.iter_rows(min_row=2) if len(row) > 1}
    generated = next(c for c in cells.values() if c.value == datetime(2026, 12, 7, 2, 29, 32))
    assert generated.is_date and generated.number_format == "dd/mm/yyyy hh:mm"
    first = [c for c in cells.values() if c.value == datetime(2026, 1, 1)]
    assert first and first[0].is_date and first[0].number_format == "dd/mm/yyyy"
    assert not any(isinstance(c.value, str) and "2026-" in c.value for c in cells.values())


def test_the_xlsx_numbers_are_rounded_and_formatted(app: Flask, data: dict) -> None:
    raw = {**data["emissions"], "total_kg_co2e": 2635.3371875, "area_ha": 3.14159}
    raw["reduction_pct"] = 12.3456
    one = {**raw, "crop": "rice"}
    changed = {
        **data,
        "emissions": raw,
        "communes": [{**data["communes"][0], **raw, "crops": [one]}],
    }
    with force_locale("en"):
        book = load_workbook(io.BytesIO(xlsx.render(changed, "ef" * 32, 9)))
    summary = {row[0].value: row[1] for row in book.worksheets[0].iter_rows(min_row=2)}
    for label, value, pattern in (
        ("Emissions (kg CO₂e)", 2635, "#,##0"),
        ("Area (ha)", 3.14, "#,##0.00"),
        ("Reduction (%)", 12.3, "0.0"),
        ("Seasons, cycles, growing years", data["emissions"]["seasons"], "#,##0"),
    ):
        assert (summary[label].value, summary[label].number_format) == (value, pattern), label
    assert isinstance(summary["Seasons, cycles, growing years"].value, int)
    communes = book.worksheets[2]
    heads = [c.value for c in communes[1]]
    row = communes[2]
    assert row[heads.index("Emissions (kg CO₂e)")].value == 2635
    assert row[heads.index("Area (ha)")].number_format == "#,##0.00"
    assert row[heads.index("Reduction (%)")].value == 12.3
    trajectory = book.worksheets[4]
    for cell in trajectory["B"][1:]:
        assert cell.number_format == "0.0"
        assert cell.value is None or cell.value == round(cell.value, 1)


def test_the_xlsx_keeps_its_header_rows_in_view(app: Flask, data: dict) -> None:
    with force_locale("vi"):
        book = load_workbook(io.BytesIO(xlsx.render(data, "ef" * 32, 9)))
    assert [sheet.freeze_panes for sheet in book.worksheets] == ["A2", "B2", "D2", "D2", "A2"]


def _both(data: dict, digest: str = "ab" * 32) -> tuple[bytes, bytes]:
    with force_locale("vi"):
        return pdf.render(data, digest, 17, "r"), xlsx.render(data, digest, 17)


def test_the_same_data_makes_the_same_bytes_whatever_the_clock(
    app: Flask, data: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files are stored by their SHA-256: a build again, a year and some seconds later
    by the clock that ReportLab and zipfile read, gives the same bytes; the dates inside
    are the report's generation time from the data."""
    first = _both(data)
    later = time.time() + 400 * 86400 + 37
    monkeypatch.setattr(time, "time", lambda: later)
    again = _both(data)
    assert [hashlib.sha256(b).digest() for b in again] == [
        hashlib.sha256(b).digest() for b in first
    ]
    body, book = again
    document = pdfium.PdfDocument(body)
    meta = document.get_metadata_dict()
    assert meta["CreationDate"] == meta["ModDate"] == "D:20261201030000+00'00'"
    assert data["generated_at"] == "2026-12-01T03:00:00Z"
    properties = load_workbook(io.BytesIO(book)).properties
    assert properties.created == properties.modified == datetime(2026, 12, 1, 3)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:  # ZIP dates: Vietnam's clock
        assert {m.date_time for m in archive.infolist()} == {(2026, 12, 1, 10, 0, 0)}


def test_other_data_makes_other_bytes(app: Flask, data: dict) -> None:
    first = _both(data)
    figure = {**data, "emissions": {**data["emissions"], "total_kg_co2e": 12000.0}}
    later = {**data, "generated_at": "2026-12-01T03:00:02Z"}
    for changed, digest in ((figure, "ab" * 32), (later, "ab" * 32), (data, "cd" * 32)):
        for old, new in zip(first, _both(changed, digest), strict=True):
            assert hashlib.sha256(old).digest() != hashlib.sha256(new).digest()
    assert _both(data) == first
