"""A generated report as an XLSX workbook (openpyxl): the same figures as the PDF, as
numbers a spreadsheet can add up, with the trajectory drawn as a native line chart.
Call it inside `force_locale` for the language of the headings."""

from __future__ import annotations

import io
import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from registry.reports.labels_text import area_name, report_title

FIGURES = (
    ("seasons", _l("Seasons")),
    ("verified_seasons", _l("Verified seasons")),
    ("area_ha", _l("Area (ha)")),
    ("total_kg_co2e", _l("Emissions (kg CO₂e)")),
    ("yield_kg", _l("Paddy (kg)")),
    ("per_ha_kg_co2e", _l("kg CO₂e/ha")),
    ("baseline_per_ha_kg_co2e", _l("2020, kg CO₂e/ha")),
    ("per_kg_g_co2e", _l("g CO₂e/kg")),
    ("baseline_per_kg_g_co2e", _l("2020, g CO₂e/kg")),
    ("reduction_pct", _l("Reduction (%)")),
    ("reduction_per_ha_pct", _l("Reduction per ha (%)")),
    ("awd_area_ha", _l("AWD area (ha)")),
    ("vietgap_area_ha", _l("VietGAP area (ha)")),
    ("organic_area_ha", _l("Organic area (ha)")),
)


def render(data: dict[str, Any], digest: str, log_index: int) -> bytes:
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _sheet_name(_("Summary"))
    _summary(summary, data, digest, log_index)
    _breakdown(
        book.create_sheet(_sheet_name(_("By commune"))),
        [_("Province"), _("Commune")],
        [[c["province"], c["commune"]] for c in data["communes"]],
        data["communes"],
    )
    _breakdown(
        book.create_sheet(_sheet_name(_("By cooperative"))),
        [_("Code"), _("Name")],
        [[c["code"], c["name"]] for c in data["cooperatives"]],
        data["cooperatives"],
    )
    _trajectory(book.create_sheet(_sheet_name(_("Progress to 2035"))), data)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(text: str) -> str:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31]


def _bold(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font = Font(bold=True)


def _summary(sheet: Worksheet, data: dict[str, Any], digest: str, log_index: int) -> None:
    e, labels = data["emissions"], data["labels"]
    sheet.append([report_title(data["kind"], data["period"]["key"])])
    _bold(sheet, 1)
    rows: list[tuple[str, Any]] = [
        (_("Area"), area_name(data["area"]["province"], data["area"]["commune"])),
        (_("First day"), data["period"]["start"]),
        (_("Last day"), data["period"]["end"]),
        (_("Generated"), data["generated_at"]),
        (_("Fields registered"), data["registered"]["fields"]),
        (_("Area registered, ha"), data["registered"]["area_ha"]),
        *((str(label), e[key]) for key, label in FIGURES),
        (_("Target for the year (%)"), data["target"]["year_pct"]),
        (_("Target for 2035 (%)"), data["target"]["final_pct"]),
        (_("Labels issued in the period"), labels["issued"]),
        (_("still valid"), labels["valid"]),
        (_("suspended"), labels["suspended"]),
        (_("revoked"), labels["revoked"]),
        (_("Package labels issued"), labels["unit_labels"]),
        (_("Label pages opened (scans)"), labels["scans"]),
        (_("Commune confirmations"), len(data["confirmations"])),
        (_("SHA-256 of the report data (JCS)"), digest),
        (_("Transparency log entry"), log_index),
    ]
    for row in rows:
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 40


def _breakdown(
    sheet: Worksheet, names: list[str], keys: list[list[str]], items: list[dict[str, Any]]
) -> None:
    sheet.append([*names, *(str(label) for _key, label in FIGURES)])
    _bold(sheet, 1)
    for key, item in zip(keys, items, strict=True):
        sheet.append([*key, *(item[k] for k, _label in FIGURES)])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 34


def _trajectory(sheet: Worksheet, data: dict[str, Any]) -> None:
    sheet.append([_("Year"), _("Reduction (%)"), _("Target (%)")])
    _bold(sheet, 1)
    for point in data["trajectory"]:
        sheet.append([point["year"], point["reduction_pct"], point["target_pct"]])
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
