"""A generated report as a PDF (ReportLab): Vietnamese text in DejaVu Sans, the font the
label artwork bundles (registry/labels/fonts, Bitstream Vera licence) because the PDF
core fonts have no Vietnamese letters; tables of figures; the charts of charts.py drawn
as vectors. Call it inside `force_locale` for the language of the words; the figures
come from the stored report data only.

The same data makes the same bytes (files.py stores a file by its SHA-256): ReportLab's
invariant mode keeps the clock out of the file and derives the document ID from its
metadata (whose subject names the data's digest), and the creation date written in the
metadata is the report's generation time from the data, not the time of the build."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, PolyLine, String
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from registry.labels.layout import FONT_FILES
from registry.numbers import number
from registry.numbers import percent as pct
from registry.reports import charts
from registry.reports.labels_text import (
    area_name,
    crop_label,
    crop_periods,
    crop_product,
    day,
    flooded,
    local_time,
    report_title,
)

REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
GREEN = colors.HexColor(charts.GREEN)
PAGE_WIDTH = A4[0] - 36 * mm


def _register_fonts() -> None:
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_FILES[False])))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_FILES[True])))


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13)
    return {
        "title": ParagraphStyle("title", body, fontName=BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2", body, fontName=BOLD, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "body": body,
        "small": ParagraphStyle("small", body, fontSize=8, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", body, fontSize=8.5, leading=10.5),
    }


def drawing(chart: charts.Chart, width: float = PAGE_WIDTH) -> Drawing:
    """The chart as ReportLab vectors, scaled to `width` points (y turned upwards)."""
    scale = width / chart.width
    out = Drawing(width, chart.height * scale)

    def y(value: float) -> float:
        return (chart.height - value) * scale

    for shape in chart.shapes:
        if isinstance(shape, charts.Rect):
            out.add(
                PdfRect(
                    shape.x * scale,
                    y(shape.y + shape.height),
                    shape.width * scale,
                    shape.height * scale,
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        elif isinstance(shape, charts.Line):
            points = [v for px, py in shape.points for v in (px * scale, y(py))]
            out.add(
                PolyLine(
                    points,
                    strokeColor=colors.HexColor(shape.stroke),
                    strokeWidth=shape.width * scale * 0.6,
                    strokeDashArray=[4, 3] if shape.dashed else None,
                )
            )
        elif isinstance(shape, charts.Dot):
            out.add(
                Circle(
                    shape.x * scale,
                    y(shape.y),
                    shape.radius * scale * 0.7,
                    fillColor=colors.HexColor(shape.fill),
                    strokeColor=None,
                )
            )
        else:
            out.add(
                String(
                    shape.x * scale,
                    y(shape.y),
                    shape.text,
                    fontName=REGULAR,
                    fontSize=shape.size * scale * 0.62,
                    textAnchor=shape.anchor,
                    fillColor=colors.HexColor(shape.fill),
                )
            )
    return out


def _table(rows: list[list[Any]], widths: list[float], styles: dict[str, ParagraphStyle]) -> Table:
    cells = [[Paragraph(escape(str(v)), styles["cell"]) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f2e9")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor(charts.LINE)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _breakdown(items: list[dict[str, Any]], name: Any, styles: dict[str, ParagraphStyle]) -> Table:
    head = [
        _("Name"),
        _("Seasons"),
        _("Verified"),
        _("Area (ha)"),
        _("t CO₂e"),
        _("kg CO₂e/ha"),
        _("2020, kg CO₂e/ha"),
        _("Reduction"),
    ]
    rows = [head] + [
        [
            name(item),
            number(item["seasons"]),
            number(item["verified_seasons"]),
            number(item["area_ha"], "#,##0.##"),
            number(item["total_kg_co2e"] / 1000, "#,##0.#"),
            number(item["per_ha_kg_co2e"]),
            number(item["baseline_per_ha_kg_co2e"]),
            pct(item["reduction_pct"]),
        ]
        for item in items
    ]
    widths = [48 * mm, 16 * mm, 16 * mm, 18 * mm, 18 * mm, 20 * mm, 22 * mm, 16 * mm]
    return _table(rows, widths, styles)


def render(data: dict[str, Any], digest: str, log_index: int, registry_id: str) -> bytes:
    """The report's PDF bytes."""
    _register_fonts()
    styles = _styles()
    target = data["target"]
    area = escape(area_name(data["area"]["province"], data["area"]["commune"]))
    story: list[Flowable] = [
        Paragraph(report_title(data["kind"], data["period"]["key"]), styles["title"]),
        Paragraph(
            _("Greenhouse-gas emissions of crops under the low-emission programme: %(crops)s")
            % {"crops": escape(", ".join(crop_label(c["crop"]) for c in _crops(data)))}
            if _crops(data)
            else _("Greenhouse-gas emissions of crops under the low-emission programme"),
            styles["body"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            _("Area: %(area)s. Period: %(start)s to %(end)s (seasons by harvest date).")
            % {
                "area": area,
                "start": day(data["period"]["start"]),
                "end": day(data["period"]["end"]),
            },
            styles["body"],
        ),
        Paragraph(
            _("Generated %(at)s by the registry %(registry)s.")
            % {"at": local_time(data["generated_at"]), "registry": escape(registry_id)},
            styles["body"],
        ),
        Paragraph(_("Key figures"), styles["h2"]),
        _table(_key_figures(data), [110 * mm, 60 * mm], styles),
        KeepTogether(
            [
                Paragraph(_("Progress to 2035"), styles["h2"]),
                Paragraph(
                    _(
                        "Reduction of emission intensity (per kg of each crop's product, "
                        "against the same crop's 2020 baseline) by year, against the target "
                        "trajectory: %(final)s below 2020 by 2035, %(now)s in this period's "
                        "year."
                    )
                    % {"final": pct(target["final_pct"]), "now": pct(target["year_pct"])},
                    styles["body"],
                ),
                drawing(
                    charts.trajectory(
                        {t["year"]: t["reduction_pct"] for t in data["trajectory"]},
                        target["final_pct"],
                        (_("Target"), _("Achieved")),
                        _("Progress to 2035"),
                        number,
                    ),
                    120 * mm,
                ),
            ]
        ),
    ]
    if _crops(data):
        story += [
            Paragraph(_("By crop"), styles["h2"]),
            Paragraph(
                _(
                    "Each crop's figures per kg are per kg of its own product; the carbon "
                    "taken up by orchards' trees is given beside their emissions, never "
                    "subtracted from them."
                ),
                styles["small"],
            ),
            _by_crop(_crops(data), styles),
        ]
    if data["communes"]:
        story += [
            KeepTogether(
                [
                    Paragraph(_("By commune"), styles["h2"]),
                    drawing(
                        charts.bars(
                            [
                                (f"{c['commune']}, {c['province']}", c["reduction_pct"])
                                for c in data["communes"]
                            ],
                            target["year_pct"],
                            (_("Target"), _("no baseline")),
                            _("Reduction below 2020 by commune"),
                            number,
                        ),
                        120 * mm,
                    ),
                ]
            ),
            _breakdown(data["communes"], lambda c: f"{c['commune']}, {c['province']}", styles),
        ]
    if data["cooperatives"]:
        story += [
            Paragraph(_("By cooperative"), styles["h2"]),
            _breakdown(data["cooperatives"], lambda c: f"{c['name']} ({c['code']})", styles),
        ]
    story += [
        Paragraph(_("Labels"), styles["h2"]),
        _table(_label_rows(data["labels"]), [110 * mm, 60 * mm], styles),
        Paragraph(_("Commune confirmations"), styles["h2"]),
        *(
            [
                Paragraph(
                    _("%(commune)s, %(province)s: statement %(digest)s, log entry %(index)s")
                    % {
                        "commune": escape(c["commune"]),
                        "province": escape(c["province"]),
                        "digest": c["statement_digest"][:16],
                        "index": c["log_index"],
                    },
                    styles["body"],
                )
                for c in data["confirmations"]
            ]
            or [Paragraph(_("None for this period yet."), styles["body"])]
        ),
        Paragraph(_("Method and verification"), styles["h2"]),
        Paragraph(
            _(
                "Emissions by the IPCC 2019 Tier 1 method from each field's farm diary, for "
                "each season, crop cycle or orchard's growing year; each counts with its "
                "newest result, against its field's 2020 period of the same crop. "
                "Verified seasons are in an MRV report a verifier approved and signed. "
                "SHA-256 of this report's data (JCS): %(digest)s, in the transparency log at "
                "entry %(index)s."
            )
            % {"digest": digest, "index": log_index},
            styles["small"],
        ),
    ]
    out = io.BytesIO()
    title = report_title(data["kind"], data["period"]["key"])
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=registry_id,
        subject=f"{_('SHA-256 of the report data (JCS)')}: {digest}",
        lang="vi",
        invariant=1,
    )
    created = pdf_date(data["generated_at"])

    def canvas(*args: Any, **kwargs: Any) -> Canvas:
        made = Canvas(*args, **kwargs)
        made.setDateFormatter(lambda *_clock: created)  # instead of the invariant 2000-01-01
        return made

    def footer(canvas: Canvas, doc: Any) -> None:
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 9 * mm, f"{title} · SHA-256 {digest[:16]}…")
        canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, _("Page %(n)s", n=doc.page))

    document.build(story, onFirstPage=footer, onLaterPages=footer, canvasmaker=canvas)
    return out.getvalue()


def pdf_date(rfc3339: str) -> str:
    """A UTC time of the report data (RFC 3339) as a PDF date (ISO 32000-1, 7.9.4)."""
    at = datetime.fromisoformat(rfc3339).astimezone(UTC)
    return f"D:{at:%Y%m%d%H%M%S}+00'00'"


def _crops(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each crop's figures; a report of format 1 (rice only) has none apart."""
    return list(data.get("crops", []))


def _key_figures(data: dict[str, Any]) -> list[list[str]]:
    e, registered = data["emissions"], data["registered"]
    rows = [
        [_("Indicator"), _("Value")],
        [_("Fields registered (by the end of the period)"), number(registered["fields"])],
        [_("Area registered, ha"), number(registered["area_ha"], "#,##0.##")],
        [_("Seasons, crop cycles and growing years harvested"), number(e["seasons"])],
        [_("Of those, with verified results"), number(e["verified_seasons"])],
        [_("Their area, ha"), number(e["area_ha"], "#,##0.##")],
        [_("Total emissions, t CO₂e"), number(e["total_kg_co2e"] / 1000, "#,##0.#")],
        [_("Emissions per ha, kg CO₂e"), number(e["per_ha_kg_co2e"])],
        [_("2020 baseline per ha, kg CO₂e"), number(e["baseline_per_ha_kg_co2e"])],
    ]
    crops = _crops(data)
    if len(crops) == 1 or not crops:  # one product: its figure per kg (format 1: paddy)
        product = crop_product(crops[0]["crop"] if crops else "rice")
        rows += [
            [
                _("Emissions per kg of %(product)s, g CO₂e", product=product),
                number(e["per_kg_g_co2e"]),
            ],
            [
                _("2020 baseline per kg of %(product)s, g CO₂e", product=product),
                number(e["baseline_per_kg_g_co2e"]),
            ],
        ]
    rows += [
        [_("Reduction below 2020 (per kg of product)"), pct(e["reduction_pct"])],
        [_("Reduction below 2020 (per ha)"), pct(e["reduction_per_ha_pct"])],
        [_("Target for the year"), pct(data["target"]["year_pct"])],
    ]
    if e.get("removals_kg_co2"):
        rows.append(
            [_("Carbon taken up by trees, t CO₂ (not netted)"), _tonnes(e["removals_kg_co2"])]
        )
    flooded_area = sum(c["area_ha"] for c in crops if flooded(c["crop"])) if crops else None
    if flooded_area is None or flooded_area:
        rows.append(
            [_("Share of rice area under AWD"), pct(_share(e, "awd_area_ha", flooded_area))]
        )
    rows += [
        [_("Share of area with VietGAP"), pct(_share(e, "vietgap_area_ha"))],
        [_("Share of area organic"), pct(_share(e, "organic_area_ha"))],
    ]
    return rows


def _tonnes(kg: float | None) -> str:
    return number(None if kg is None else kg / 1000, "#,##0.#")


def _share(emissions: dict[str, Any], key: str, of: float | None = None) -> float | None:
    whole = emissions["area_ha"] if of is None else of
    return 100 * emissions[key] / whole if whole else None


def _by_crop(items: list[dict[str, Any]], styles: dict[str, ParagraphStyle]) -> Table:
    """One row a crop: its periods, area, emissions, intensity per kg of its own product
    against 2020, reduction, and the carbon its trees took up."""
    head = [
        _("Crop (product)"),
        _("Periods"),
        _("Area (ha)"),
        _("t CO₂e"),
        _("g CO₂e/kg of product"),
        _("2020, g CO₂e/kg"),
        _("Reduction"),
        _("Taken up, t CO₂"),
    ]
    rows = [head] + [
        [
            f"{crop_label(item['crop'])} ({crop_product(item['crop'])})",
            f"{number(item['seasons'])} {crop_periods(item['crop']).lower()}",
            number(item["area_ha"], "#,##0.##"),
            _tonnes(item["total_kg_co2e"]),
            number(item["per_kg_g_co2e"]),
            number(item["baseline_per_kg_g_co2e"]),
            pct(item["reduction_pct"]),
            _tonnes(item.get("removals_kg_co2", 0.0)),
        ]
        for item in items
    ]
    widths = [40 * mm, 24 * mm, 17 * mm, 17 * mm, 20 * mm, 20 * mm, 17 * mm, 19 * mm]
    return _table(rows, widths, styles)


def _label_rows(labels: dict[str, Any]) -> list[list[str]]:
    return [
        [_("Labels"), _("Number")],
        [_("Labels issued in the period"), number(labels["issued"])],
        [_("still valid"), number(labels["valid"])],
        [_("suspended"), number(labels["suspended"])],
        [_("revoked"), number(labels["revoked"])],
        [_("Package labels issued"), number(labels["unit_labels"])],
        [_("Label pages opened (scans)"), number(labels["scans"])],
    ]
