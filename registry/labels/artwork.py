"""Label artwork for print, pure: the "Phát thải thấp" mark, the product, the emission
intensity in g CO₂e/kg, the reduction against 2020, for an orchard's fruit the CO₂ its trees
took up per kg (beside the emissions, never netted), the QR of the label URL and the serial,
on a 40 × 60 mm label, as a PNG (300 dpi by default) or an SVG sized in millimetres.

Both are drawn from one list of `layout` items, so they show the same thing in the same
place; the SVG names DejaVu Sans and pins each line's width (textLength), so a printer's
substitute font cannot push text off the label."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from registry.labels import layout
from registry.labels.layout import Code, Frame, Item, Mark, Text
from registry.labels.qr import QUIET_ZONE, dark_runs, qr_symbol

WIDTH_MM, HEIGHT_MM = 40.0, 60.0
MM_PER_INCH = 25.4
_SUPERSAMPLE = 4  # the mark is drawn this much larger, then scaled down smoothly


class LabelRow(Protocol):
    """What a label row (`models.Label`, or a Core row) offers the artwork."""

    serial: str
    url: str
    g_co2e_per_kg: int
    reduction_permille: int
    removals_kg_co2_per_kg: float | None


@dataclass(frozen=True, slots=True)
class LabelArt:
    """What a printed label shows. `product` is the product's name as people read it
    (Vietnamese), `reduction_permille` the reduction against 2020 in 0.1 % units,
    `removals_kg_co2_per_kg` the CO₂ an orchard's trees took up per kg (None for crops
    without removals)."""

    serial: str
    url: str
    product: str
    g_co2e_per_kg: int
    reduction_permille: int
    removals_kg_co2_per_kg: float | None = None

    @classmethod
    def of(cls, label: LabelRow, product: str) -> LabelArt:
        return cls(
            label.serial,
            label.url,
            product,
            label.g_co2e_per_kg,
            label.reduction_permille,
            label.removals_kg_co2_per_kg,
        )


def artwork_items(art: LabelArt) -> list[Item]:
    """The 40 × 60 mm label, top to bottom: mark, title, product, intensity, reduction,
    QR (25 mm, quiet zone included: 0.32 mm a module at version 13), serial. An orchard's
    label adds the trees' uptake under the reduction and draws the QR 23 mm (0.29 mm a
    module, still over the 0.25 mm that phone cameras read at arm's length)."""
    middle, inner = WIDTH_MM / 2, WIDTH_MM - 4
    claims = [
        (2.7, layout.intensity(art.g_co2e_per_kg)),
        (2.5, f"Giảm {layout.reduction(art.reduction_permille)} {layout.against_baseline()}"),
    ]
    if art.removals_kg_co2_per_kg is not None:
        claims.append((2.3, layout.removals(art.removals_kg_co2_per_kg)))
    pitch = 4.0 if len(claims) == 2 else 3.4  # baseline to baseline, from the intensity's
    side = 25.0 if len(claims) == 2 else 23.0
    first = 26.4 if len(claims) == 2 else 26.0
    return [
        Frame(0.4, 0.4, WIDTH_MM - 0.8, HEIGHT_MM - 0.8, radius=2.5, stroke=0.5),
        Mark(middle - 5, 2.6, 10),
        layout.line(middle, 17.0, 3.4, "PHÁT THẢI THẤP", inner, True, "middle", layout.GREEN),
        layout.line(middle, 21.9, 3.0, art.product, inner, True, "middle"),
        *(
            layout.line(middle, first + i * pitch, size, text, inner, False, "middle")
            for i, (size, text) in enumerate(claims)
        ),
        Code(middle - side / 2, 56.4 - side, side, qr_symbol(art.url), QUIET_ZONE),
        layout.line(middle, 58.3, 2.2, f"Số sê-ri {art.serial}", inner, False, "middle"),
    ]


def artwork_png(art: LabelArt, dpi: int = 300) -> bytes:
    """The label as an RGB PNG at `dpi` (472 × 709 pixels at 300 dpi), with its dpi set."""
    image = draw_png(artwork_items(art), WIDTH_MM, HEIGHT_MM, dpi)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(dpi, dpi))
    return out.getvalue()


def artwork_svg(art: LabelArt) -> bytes:
    """The label as an SVG of 40 × 60 mm (user units are millimetres)."""
    return draw_svg(artwork_items(art), WIDTH_MM, HEIGHT_MM)


def mark_svg() -> bytes:
    """The mark alone, in a unit viewBox, for pages to size."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" role="img">'
        "<title>Phát thải thấp</title>" + _svg_mark(Mark(0, 0, 1)) + "</svg>"
    ).encode()


# ---------------------------------------------------------------- PNG
def draw_png(items: list[Item], width_mm: float, height_mm: float, dpi: int) -> Image.Image:
    scale = dpi / MM_PER_INCH  # pixels per mm
    image = Image.new("RGB", (round(width_mm * scale), round(height_mm * scale)), "white")
    draw = ImageDraw.Draw(image)
    for item in items:
        if isinstance(item, Frame):
            box = (item.x, item.y, item.x + item.width, item.y + item.height)
            draw.rounded_rectangle(
                [round(v * scale) for v in box],
                radius=round(item.radius * scale),
                outline=item.colour,
                width=max(1, round(item.stroke * scale)),
            )
        elif isinstance(item, Mark):
            side = round(item.size * scale)
            mark = _png_mark(side)
            image.paste(mark, (round(item.x * scale), round(item.y * scale)), mark)
        elif isinstance(item, Code):
            image.paste(_png_code(item, scale), (round(item.x * scale), round(item.y * scale)))
        else:
            draw.text(
                (item.x * scale, item.y * scale),
                item.text,
                fill=item.colour,
                font=_png_font(item.bold, round(item.size * scale)),
                anchor={"start": "ls", "middle": "ms", "end": "rs"}[item.anchor],
            )
    return image


@cache
def _png_font(bold: bool, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(layout.FONT_FILES[bold]), pixels)


@cache
def _png_mark(side: int) -> Image.Image:
    """The mark as RGBA, drawn large and scaled down so its curves are smooth."""
    big = side * _SUPERSAMPLE
    mark = Image.new("RGBA", (big, big), (255, 255, 255, 0))
    draw = ImageDraw.Draw(mark)
    draw.ellipse((0, 0, big - 1, big - 1), fill=layout.GREEN)
    draw.polygon([(x * big, y * big) for x, y in layout.LEAF], fill="white")
    for (x0, y0), (x1, y1), colour, width in (
        (*layout.MIDRIB, layout.GREEN, 0.025),
        (*layout.STEM, "white", 0.04),
    ):
        draw.line((x0 * big, y0 * big, x1 * big, y1 * big), fill=colour, width=round(width * big))
    return mark.resize((side, side), Image.Resampling.LANCZOS)


def _png_code(code: Code, scale: float) -> Image.Image:
    """The symbol with its quiet zone, each module a block of whole pixels (blocks differ
    by at most one pixel where the module size is not a whole number of pixels)."""
    symbol = code.symbol
    pixels = symbol.modules.translate(bytes.maketrans(b"\x00\x01", b"\xff\x00"))
    modules = Image.frombytes("L", (symbol.size, symbol.size), pixels)
    framed = Image.new("L", (symbol.size + 2 * code.quiet_zone,) * 2, 255)
    framed.paste(modules, (code.quiet_zone, code.quiet_zone))
    side = round(code.side * scale)
    return framed.resize((side, side), Image.Resampling.NEAREST).convert("RGB")


# ---------------------------------------------------------------- SVG
def draw_svg(items: list[Item], width_mm: float, height_mm: float) -> bytes:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm:g}mm" '
        f'height="{height_mm:g}mm" viewBox="0 0 {width_mm:g} {height_mm:g}">',
        f'<rect width="{width_mm:g}" height="{height_mm:g}" fill="#fff"/>',
    ]
    for item in items:
        if isinstance(item, Frame):
            parts.append(
                f'<rect x="{item.x:g}" y="{item.y:g}" width="{item.width:g}" '
                f'height="{item.height:g}" rx="{item.radius:g}" fill="none" '
                f'stroke="{item.colour}" stroke-width="{item.stroke:g}"/>'
            )
        elif isinstance(item, Mark):
            parts.append(_svg_mark(item))
        elif isinstance(item, Code):
            parts.append(_svg_code(item))
        else:
            parts.append(_svg_text(item))
    parts.append("</svg>")
    return "".join(parts).encode()


def _svg_mark(mark: Mark) -> str:
    leaf = "M" + "L".join(f"{x:g} {y:g}" for x, y in layout.LEAF) + "Z"
    (mx0, my0), (mx1, my1) = layout.MIDRIB
    (sx0, sy0), (sx1, sy1) = layout.STEM
    return (
        f'<g transform="translate({mark.x:g} {mark.y:g}) scale({mark.size:g})">'
        f'<circle cx=".5" cy=".5" r=".5" fill="{layout.GREEN}"/>'
        f'<path d="{leaf}" fill="#fff"/>'
        f'<path d="M{mx0:g} {my0:g}L{mx1:g} {my1:g}" stroke="{layout.GREEN}" '
        'stroke-width=".025" stroke-linecap="round"/>'
        f'<path d="M{sx0:g} {sy0:g}L{sx1:g} {sy1:g}" stroke="#fff" '
        'stroke-width=".04" stroke-linecap="round"/></g>'
    )


def _svg_code(code: Code) -> str:
    runs = "".join(
        f"M{x + code.quiet_zone} {y + code.quiet_zone}h{length}v1h-{length}z"
        for y, row in enumerate(code.symbol.rows())
        for x, length in dark_runs(row)
    )
    return (
        f'<g transform="translate({code.x:g} {code.y:g}) scale({code.module:.6g})" '
        f'shape-rendering="crispEdges"><path fill="#000" d="{runs}"/></g>'
    )


def _svg_text(text: Text) -> str:
    weight = ' font-weight="bold"' if text.bold else ""
    return (
        f'<text x="{text.x:g}" y="{text.y:g}" font-family="DejaVu Sans, sans-serif" '
        f'font-size="{text.size:.4g}"{weight} text-anchor="{text.anchor}" '
        f'fill="{text.colour}" textLength="{text.width:.3f}" '
        f'lengthAdjust="spacingAndGlyphs">{escape(text.text)}</text>'
    )
