"""A generated report as an XLSX workbook (openpyxl): the same figures as the PDF, as
numbers a spreadsheet can add up, with the trajectory drawn as a native line chart.
Call it inside `force_locale` for the language of the headings.

Each number is rounded to the precision people read and carries a number format saying
so; dates and times are real date cells on the Vietnam clock; header rows stay frozen.
The frozen report data itself keeps full precision and UTC (it is what the digest signs).

The same data makes the same bytes (files.py stores a file by its SHA-256): the workbook's
created and modified properties and the date of every member of its ZIP are the report's
generation time from the data, where openpyxl would write the time of the build."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime
from os import PathLike
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from registry.reports.labels_text import (
    area_name,
    crop_label,
    crop_periods,
    crop_product,
    flooded,
    local_clock,
    report_title,
)


class Precision(NamedTuple):
    """How far a kind of figure is rounded, and the Excel format that shows it."""

    digits: int
    pattern: str

    def round(self, value: float | None) -> float | int | None:
        if value is None:
            return None
        return round(value, self.digits) if self.digits else round(value)


# Counts are whole. Areas to 0.01 ha (100 m², finer than any field is measured). Masses
# (kg CO₂e, kg of paddy) to the whole kg: totals run to thousands and grams are noise;
# intensities (kg CO₂e/ha, g CO₂e/kg) whole, as the PDF and the label print them.
# Percentages to 0.1, as on the pages; they are percent points (12.5 is 12.5 %), so the
# format has no Excel "%" (which would multiply by 100).
COUNT = Precision(0, "#,##0")
AREA = Precision(2, "#,##0.00")
MASS = Precision(0, "#,##0")
PERCENT = Precision(1, "0.0")
DATE = "dd/mm/yyyy"
TIME = "dd/mm/yyyy hh:mm"

# Figures of a place or of all crops together (sums add up across crops; nothing per kg,
# as a kg of paddy and a kg of vegetables are different products).
FIGURES = (
    ("seasons", _l("Seasons, cycles, growing years"), COUNT),
    ("verified_seasons", _l("Verified"), COUNT),
    ("area_ha", _l("Area (ha)"), AREA),
    ("total_kg_co2e", _l("Emissions (kg CO₂e)"), MASS),
    ("removals_kg_co2", _l("Taken up by trees, not netted (kg CO₂)"), MASS),
    ("per_ha_kg_co2e", _l("kg CO₂e/ha"), MASS),
    ("baseline_per_ha_kg_co2e", _l("2020, kg CO₂e/ha"), MASS),
    ("reduction_pct", _l("Reduction (%)"), PERCENT),
    ("reduction_per_ha_pct", _l("Reduction per ha (%)"), PERCENT),
    ("awd_area_ha", _l("AWD area (ha)"), AREA),
    ("vietgap_area_ha", _l("VietGAP area (ha)"), AREA),
    ("organic_area_ha", _l("Organic area (ha)"), AREA),
)
# Figures of one crop: its harvest and what is per kg are of its own product.
CROP_FIGURES = (
    *FIGURES[:5],
    ("yield_kg", _l("Harvest (kg of product)"), MASS),
    ("per_kg_g_co2e", _l("g CO₂e/kg of product"), MASS),
    ("baseline_per_kg_g_co2e", _l("2020, g CO₂e/kg of product"), MASS),
    *FIGURES[5:],
)

# A cell to write: its value and its number format (None: Excel's General).
Shown = tuple[Any, str | None]


def _number(value: float | None, precision: Precision) -> Shown:
    return precision.round(value), precision.pattern


def _append(sheet: Worksheet, cells: list[Shown]) -> None:
    sheet.append([value for value, _pattern in cells])
    for cell, (_value, pattern) in zip(sheet[sheet.max_row], cells, strict=False):
        if pattern:
            cell.number_format = pattern


def render(data: dict[str, Any], digest: str, log_index: int) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _sheet_name(_("Summary"))
    # AWD is a practice of flooded fields: no column for it where no crop is flooded
    skip = set() if any(flooded(c["crop"]) for c in data.get("crops", [])) else {"awd_area_ha"}
    if "crops" not in data:  # format 1: rice only
        skip = set()
    _summary(summary, data, digest, log_index, skip)
    if "crops" in data:  # format 2: one row a crop; format 1 (rice only) had no crops apart
        _breakdown(book.create_sheet(_sheet_name(_("By crop"))), [], [], data["crops"], skip)
    _breakdown(
        book.create_sheet(_sheet_name(_("By commune"))),
        [_("Province"), _("Commune")],
        [[c["province"], c["commune"]] for c in data["communes"]],
        data["communes"],
        skip,
    )
    _breakdown(
        book.create_sheet(_sheet_name(_("By cooperative"))),
        [_("Code"), _("Name")],
        [[c["code"], c["name"]] for c in data["cooperatives"]],
        data["cooperatives"],
        skip,
    )
    _trajectory(book.create_sheet(_sheet_name(_("Progress to 2035"))), data)
    return _save(book, data["generated_at"])


def _save(book: Workbook, rfc3339: str) -> bytes:
    """The workbook's bytes, dated `rfc3339` (a UTC time of the report data) throughout.
    `Workbook.save` would set the modified property to now: openpyxl's writer is given the
    archive instead, as `save` does it."""
    at = datetime.fromisoformat(rfc3339)
    book.properties.created = book.properties.modified = at.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    ExcelWriter(book, _DatedZip(out, local_clock(rfc3339))).save()
    return out.getvalue()


class _DatedZip(zipfile.ZipFile):
    """A ZIP archive for openpyxl's writer whose members all carry one date (ZIP dates are
    on the local clock: the reader's, Vietnam) and the same permissions, where zipfile
    would date a member written from a name by the clock and one from a file by its
    modification time."""

    def __init__(self, out: io.BytesIO, at: datetime) -> None:
        super().__init__(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self.date_time = (at.year, at.month, at.day, at.hour, at.minute, at.second)

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: Any,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        member = zipfile.ZipInfo(name, date_time=self.date_time)
        member.compress_type = zipfile.ZIP_DEFLATED
        member.external_attr = 0o600 << 16  # rw------- as zipfile gives a member named
        super().writestr(member, data, compress_type, compresslevel)

    def write(
        self,
        filename: str | PathLike[str],
        arcname: str | PathLike[str] | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        with open(filename, "rb") as source:  # a sheet openpyxl wrote to a temporary file
            self.writestr(str(arcname or filename), source.read(), compress_type, compresslevel)


def _sheet_name(text: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _bold(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font = Font(bold=True)


def _summary(
    sheet: Worksheet, data: dict[str, Any], digest: str, log_index: int, skip: set[str]
) -> None:
    e, labels, period = data["emissions"], data["labels"], data["period"]
    sheet.append([report_title(data["kind"], period["key"])])
    _bold(sheet, 1)
    rows: list[tuple[str, Shown]] = [
        (_("Area"), (area_name(data["area"]["province"], data["area"]["commune"]), None)),
        (_("First day"), (date.fromisoformat(period["start"]), DATE)),
        (_("Last day"), (date.fromisoformat(period["end"]), DATE)),
        (_("Generated"), (local_clock(data["generated_at"]), TIME)),
        (_("Fields registered"), _number(data["registered"]["fields"], COUNT)),
        (_("Area registered, ha"), _number(data["registered"]["area_ha"], AREA)),
        *(
            (str(label), _number(e.get(key, 0.0), precision))
            for key, label, precision in FIGURES
            if key not in skip
        ),
        (_("Target for the year (%)"), _number(data["target"]["year_pct"], PERCENT)),
        (_("Target for 2035 (%)"), _number(data["target"]["final_pct"], PERCENT)),
        (_("Labels issued in the period"), _number(labels["issued"], COUNT)),
        (_("still valid"), _number(labels["valid"], COUNT)),
        (_("suspended"), _number(labels["suspended"], COUNT)),
        (_("revoked"), _number(labels["revoked"], COUNT)),
        (_("Package labels issued"), _number(labels["unit_labels"], COUNT)),
        (_("Label pages opened (scans)"), _number(labels["scans"], COUNT)),
        (_("Commune confirmations"), _number(len(data["confirmations"]), COUNT)),
        (_("SHA-256 of the report data (JCS)"), (digest, None)),
        (_("Transparency log entry"), (log_index, "0")),
    ]
    for label, shown in rows:
        _append(sheet, [(label, None), shown])
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 40


def _breakdown(
    sheet: Worksheet,
    names: list[str],
    keys: list[list[str]],
    items: list[dict[str, Any]],
    skip: set[str],
) -> None:
    """One row a place and crop (or a crop, without `names`), the place's crops one under
    the other: rows a spreadsheet can add up and filter, each per kg of its own product.
    A report of format 1 has one row a place, of rice."""
    crop_head = [_("Crop"), _("Product"), _("Periods")]
    shown = [figure for figure in CROP_FIGURES if figure[0] not in skip]
    sheet.append([*names, *crop_head, *(str(label) for _key, label, _precision in shown)])
    _bold(sheet, 1)
    sheet.freeze_panes = f"{get_column_letter(len(names) + 2)}2"  # header, names, crop in view
    for key, item in zip(keys or [[] for _item in items], items, strict=True):
        for crop in item.get("crops", [item]) if names else [item]:
            code = crop.get("crop") or "rice"  # format 1: rice
            _append(
                sheet,
                [
                    *((name, None) for name in key),
                    (crop_label(code), None),
                    (crop_product(code), None),
                    (crop_periods(code), None),
                    *(_number(crop.get(k, 0.0), p) for k, _label, p in shown),
                ],
            )
    for column, width in zip("ABCDE", [*([22, 34][: len(names)]), 16, 20, 14], strict=False):
        sheet.column_dimensions[column].width = width


def _trajectory(sheet: Worksheet, data: dict[str, Any]) -> None:
    sheet.append([_("Year"), _("Reduction (%)"), _("Target (%)")])
    _bold(sheet, 1)
    sheet.freeze_panes = "A2"
    for point in data["trajectory"]:
        _append(
            sheet,
            [
                (point["year"], "0"),
                _number(point["reduction_pct"], PERCENT),
                _number(point["target_pct"], PERCENT),
            ],
        )
    if data["trajectory"]:
        chart = LineChart()
        chart.title = _("Progress to 2035")
        chart.y_axis.title = "%"
        count = len(data["trajectory"]) + 1
        chart.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=count), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count))
        sheet.add_chart(chart, "E2")
