"""Print sheets of unit labels as PDF: A4 pages of 32 labels of 40 × 30 mm with cut lines,
or label-roll pages of one label each (40 × 30, 50 × 30, 60 × 40 mm). Each unit label
carries its own QR, serial, the mark and short claims.

Fast and small for thousands: each QR is an inline 1-bit image mask of its modules, one
sample per module, painted black where a module is dark and scaled by the renderer without
interpolation (about 1.2 kB a label, built from the symbol's bits in microseconds; the same
symbol as a path of one rectangle per run of dark modules is ten times the bytes and takes
a millisecond to write). The mark is one form drawn once per document and placed on every
label. Text uses the bundled DejaVu Sans, embedded as subsets with their Unicode map, so
the PDF's Vietnamese can be searched and copied. Streams are written compressed but not
ASCII85-armoured: reportlab's armour runs in pure Python and would double the time."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from reportlab import rl_config
from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from registry.labels import layout
from registry.labels.artwork import LabelArt
from registry.labels.layout import Code, Mark, Text
from registry.labels.qr import QUIET_ZONE, qr_symbol

Progress = Callable[[int, int], None]
_FONTS = {False: "DejaVuSans", True: "DejaVuSans-Bold"}
_MARK_FORM = "ptt-mark"
_CUT_GREY = 0.6
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
rl_config.useA85 = 0  # binary compressed streams (see above)


@dataclass(frozen=True, slots=True)
class SheetSize:
    """A page of `columns` × `rows` labels; on A4 each label sits in a cell `gutter` mm
    larger, cut lines on the cells' edges, so a cut a little off leaves white, not QR."""

    name: str
    title: str  # for people choosing a size
    page: tuple[float, float]  # mm
    label: tuple[float, float]  # mm
    columns: int = 1
    rows: int = 1
    gutter: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def cell(self) -> tuple[float, float]:
        return self.label[0] + self.gutter, self.label[1] + self.gutter


SIZES = {
    size.name: size
    for size in (
        SheetSize("a4", "A4, 32 nhãn 40 × 30 mm có đường cắt", (210, 297), (40, 30), 4, 8, 5),
        SheetSize("40x30", "Cuộn nhãn 40 × 30 mm", (40, 30), (40, 30)),
        SheetSize("50x30", "Cuộn nhãn 50 × 30 mm", (50, 30), (50, 30)),
        SheetSize("60x40", "Cuộn nhãn 60 × 40 mm", (60, 40), (60, 40)),
    )
}


def unit_items(art: LabelArt, width: float, height: float) -> list[Mark | Code | Text]:
    """A unit label: the mark and title across the top, the QR below on the left (24 mm
    on a 30 mm label), the claims, product (and an orchard's uptake) and serial in the
    column beside it; drawn for 40 × 30 mm and scaled by height."""
    k = height / 30
    band = 5.6 * k
    side = height - band - 0.2 * k
    left = side + 0.3 * k
    column = width - left - 0.8 * k
    middle = left + column / 2
    return [
        Mark(0.9 * k, 0.7 * k, 4.4 * k),
        layout.line(
            6 * k, 4.35 * k, 2.9 * k, "PHÁT THẢI THẤP", width - 6.8 * k, True, colour=layout.GREEN
        ),
        Code(0, band, side, qr_symbol(art.url), QUIET_ZONE),
        *(
            layout.line(middle, band + y * k, size * k, text, column, bold, "middle")
            for y, size, text, bold in _claims(art)
        ),
        layout.line(middle, height - 1.3 * k, 2.2 * k, art.serial, column, True, "middle"),
    ]


def _claims(art: LabelArt) -> list[tuple[float, float, str, bool]]:
    """(y below the band, em, text, bold) of the column beside the QR, on a 30 mm label.
    An orchard's fruit also carries its trees' uptake, in two lines like the intensity, so
    the lines draw closer to keep the product above the serial."""
    intensity = layout.number(art.g_co2e_per_kg)
    reduction = f"−{layout.reduction(art.reduction_permille)}"
    if art.removals_kg_co2_per_kg is None:
        return [
            (4.6, 2.9, intensity, True),
            (7.4, 1.9, "g CO₂e/kg", False),
            (11.6, 2.9, reduction, True),
            (14.4, 1.9, layout.against_baseline(), False),
            (18.2, 1.9, art.product, False),
        ]
    return [
        (4.2, 2.7, intensity, True),
        (6.6, 1.7, "g CO₂e/kg", False),
        (9.9, 2.7, reduction, True),
        (12.3, 1.7, layout.against_baseline(), False),
        (15.0, 1.7, layout.UPTAKE, False),
        (17.4, 1.7, layout.uptake(art.removals_kg_co2_per_kg), False),
        (20.3, 1.7, art.product, False),
    ]


def render_sheet(
    labels: Sequence[LabelArt], size: SheetSize | str, progress: Progress | None = None
) -> bytes:
    """The PDF of `labels` in order, on pages of `size` (a SheetSize or a key of SIZES).
    `progress(pages_done, pages_total)` is called after each page. Raises ValueError
    for no labels, KeyError for an unknown size name."""
    sheet = SIZES[size] if isinstance(size, str) else size
    if not labels:
        raise ValueError("no labels to print")
    _register_fonts()
    out = io.BytesIO()
    width, height = sheet.page
    canvas = Canvas(out, pagesize=(width * mm, height * mm), pageCompression=1, invariant=1)
    canvas.setTitle("Nhãn Phát thải thấp")
    canvas.setSubject(f"{len(labels)} nhãn · {sheet.title}")
    canvas.setCreator("Sổ đăng ký nhãn Phát thải thấp")
    _define_mark(canvas)
    pages = math.ceil(len(labels) / sheet.per_page)
    cell_w, cell_h = sheet.cell
    left = (width - sheet.columns * cell_w) / 2
    top = (height - sheet.rows * cell_h) / 2
    for page in range(pages):
        if sheet.per_page > 1:
            _cut_lines(canvas, sheet, left, top)
            _footer(canvas, sheet, f"Trang {page + 1}/{pages} · cắt theo đường chấm")
        first = page * sheet.per_page
        for n, art in enumerate(labels[first : first + sheet.per_page]):
            x = left + (n % sheet.columns) * cell_w + sheet.gutter / 2
            y = top + (n // sheet.columns) * cell_h + sheet.gutter / 2
            _draw(canvas, unit_items(art, *sheet.label), x, y, height)
        canvas.showPage()
        if progress is not None:
            progress(page + 1, pages)
    canvas.save()
    return out.getvalue()


# ---------------------------------------------------------------- drawing
@cache
def _register_fonts() -> None:
    for bold, name in _FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(layout.FONT_FILES[bold])))


@cache
def _colour(hex_code: str) -> Color:
    """Parsed once: reportlab parses colour strings anew at each use."""
    return HexColor(hex_code)


def _define_mark(canvas: Canvas) -> None:
    """The mark as a form in a 1 × 1 pt box (y up), for every label to place."""
    canvas.beginForm(_MARK_FORM, 0, 0, 1, 1)
    canvas.setFillColor(_colour(layout.GREEN))
    canvas.circle(0.5, 0.5, 0.5, stroke=0, fill=1)
    leaf = canvas.beginPath()
    (x0, y0), *rest = layout.LEAF
    leaf.moveTo(x0, 1 - y0)
    for x, y in rest:
        leaf.lineTo(x, 1 - y)
    leaf.close()
    canvas.setFillGray(1)
    canvas.drawPath(leaf, stroke=0, fill=1)
    canvas.setLineCap(1)
    for (ax, ay), (bx, by), colour, stroke in (
        (*layout.MIDRIB, layout.GREEN, 0.025),
        (*layout.STEM, "#ffffff", 0.04),
    ):
        canvas.setStrokeColor(_colour(colour))
        canvas.setLineWidth(stroke)
        canvas.line(ax, 1 - ay, bx, 1 - by)
    canvas.endForm()


def _draw(
    canvas: Canvas, items: list[Mark | Code | Text], left: float, top: float, page: float
) -> None:
    """Items laid out in mm from (left, top), y down, on a page `page` mm high."""
    for item in items:
        if isinstance(item, Mark):
            canvas.saveState()
            canvas.translate((left + item.x) * mm, (page - top - item.y - item.size) * mm)
            canvas.scale(item.size * mm, item.size * mm)
            canvas.doForm(_MARK_FORM)
            canvas.restoreState()
        elif isinstance(item, Code):
            canvas.addLiteral(_code_image(item, left, top, page))
        else:
            canvas.setFillColor(_colour(item.colour))
            canvas.setFont(_FONTS[item.bold], item.size * mm)
            x, y = (left + item.x) * mm, (page - top - item.y) * mm
            if item.anchor == "middle":
                canvas.drawCentredString(x, y, item.text)
            elif item.anchor == "end":
                canvas.drawRightString(x, y, item.text)
            else:
                canvas.drawString(x, y, item.text)


def _code_image(code: Code, left: float, top: float, page: float) -> str:
    """PDF operators painting the symbol (quiet zone excluded) as an inline image mask:
    rows top first, each padded to a whole byte, 1 = dark painted in black."""
    symbol = code.symbol
    side = symbol.size * code.module * mm
    x = (left + code.x) * mm + code.quiet_zone * code.module * mm
    y = (page - top - code.y) * mm - code.quiet_zone * code.module * mm - side
    padding = b"0" * (-symbol.size % 8)
    digits = padding.join(row.translate(_TO_DIGITS) for row in symbol.rows()) + padding
    data = int(digits, 2).to_bytes(len(digits) // 8).hex()
    return (
        f"q 0 g {side:.3f} 0 0 {side:.3f} {x:.3f} {y:.3f} cm "
        f"BI /W {symbol.size} /H {symbol.size} /IM true /BPC 1 /D [1 0] /F /AHx ID\n"
        f"{data}>\nEI Q"
    )


def _cut_lines(canvas: Canvas, sheet: SheetSize, left: float, top: float) -> None:
    width, height = sheet.page
    cell_w, cell_h = sheet.cell
    canvas.saveState()
    canvas.setStrokeGray(_CUT_GREY)
    canvas.setLineWidth(0.25)
    canvas.setDash(2, 2)
    for column in range(sheet.columns + 1):
        x = (left + column * cell_w) * mm
        canvas.line(x, 0, x, height * mm)
    for row in range(sheet.rows + 1):
        y = (height - top - row * cell_h) * mm
        canvas.line(0, y, width * mm, y)
    canvas.restoreState()


def _footer(canvas: Canvas, sheet: SheetSize, text: str) -> None:
    canvas.setFillGray(0.35)
    canvas.setFont(_FONTS[False], 7)
    canvas.drawCentredString(sheet.page[0] / 2 * mm, 3 * mm, text)
