"""The report files: a PDF whose pages are drawn (not blank) and whose text is proper
Vietnamese, and an XLSX with the same figures."""

from __future__ import annotations

import io
import unicodedata
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
    communes = book.worksheets[1]
    rows = list(communes.iter_rows(min_row=2, values_only=True))
    assert sorted(r[1] for r in rows) == ["phường Đồ Sơn", "xã Kiến Thụy"]
    trajectory = book.worksheets[3]
    assert [r[0] for r in trajectory.iter_rows(min_row=2, values_only=True)] == [2025, 2026]
    assert trajectory._charts  # the native line chart
