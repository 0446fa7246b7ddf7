"""What a printed label is made of, in millimetres from its top left corner, so that the
PNG, SVG and PDF renderers draw the same thing: texts on a baseline, the "Phát thải thấp"
mark, the QR symbol and a frame. Texts are measured with the bundled DejaVu Sans (which has
every Vietnamese letter) and shrunk to fit their width, so a long product name never runs
off a label whatever draws it.

The mark is drawn here, not taken from anywhere: a white leaf on a green disc, the leaf a
lens of two arcs along the diagonal with its midrib and stem."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

from registry import numbers
from registry.labels.qrsymbol import Symbol
from registry.verify.results import BASELINE_YEAR

FONTS = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {False: FONTS / "DejaVuSans.ttf", True: FONTS / "DejaVuSans-Bold.ttf"}
GREEN = "#1e7a3c"
INK = "#111111"
_MEASURE_EM = 1000  # measuring size in pixels: widths come out in thousandths of an em


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text; `y` is its baseline, `size` its em in mm, `anchor` one of
    "start", "middle", "end" (as in SVG)."""

    x: float
    y: float
    size: float
    text: str
    bold: bool = False
    anchor: str = "start"
    colour: str = INK

    @property
    def width(self) -> float:
        return text_width(self.text, self.size, self.bold)


@dataclass(frozen=True, slots=True)
class Mark:
    """The "Phát thải thấp" mark in the square at (x, y) of side `size`."""

    x: float
    y: float
    size: float


@dataclass(frozen=True, slots=True)
class Code:
    """A QR symbol in the square at (x, y) of side `side`, its quiet zone included."""

    x: float
    y: float
    side: float
    symbol: Symbol
    quiet_zone: int = 4

    @property
    def module(self) -> float:
        return self.side / (self.symbol.size + 2 * self.quiet_zone)


@dataclass(frozen=True, slots=True)
class Frame:
    """A rounded rectangle outline (the cut line of a single label)."""

    x: float
    y: float
    width: float
    height: float
    radius: float
    stroke: float
    colour: str = GREEN


Item = Text | Mark | Code | Frame


# ---------------------------------------------------------------- text
@cache
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[bold]), _MEASURE_EM)


@lru_cache(maxsize=4096)  # titles, units and product names repeat on every label
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width in mm of `text` at an em of `size` mm."""
    return _font(bold).getlength(text) * size / _MEASURE_EM


def fitted(text: str, size: float, width: float, bold: bool = False) -> tuple[str, float]:
    """The text (NFC, so that every Vietnamese letter is one precomposed glyph) and the
    largest em up to `size` at which it fits `width`, not below 60 % of `size`; past that
    the text is cut with an ellipsis."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    full = text_width(text, size, bold)
    if full <= width:
        return text, size
    smallest = 0.6 * size
    if full * smallest / size <= width:
        return text, size * width / full
    while len(text) > 1 and text_width(text + "…", smallest, bold) > width:
        text = text[:-1].rstrip()
    return text + "…", smallest


def line(
    x: float,
    y: float,
    size: float,
    text: str,
    width: float,
    bold: bool = False,
    anchor: str = "start",
    colour: str = INK,
) -> Text:
    """A Text fitted to `width`."""
    shown, em = fitted(text, size, width, bold)
    return Text(x, y, em, shown, bold, anchor, colour)


# ---------------------------------------------------------------- claims as people read them
def number(value: float, pattern: str = "#,##0") -> str:
    """Vietnamese digits whatever the reader's language, as the label is printed: 1.234, 25,3."""
    return numbers.number(value, pattern, locale="vi")


def intensity(g_co2e_per_kg: int) -> str:
    return f"{number(g_co2e_per_kg)} g CO₂e/kg"


def reduction(permille: int) -> str:
    """The reduction against the baseline from the token's 0.1 % units: "25,3%"."""
    return f"{number(permille / 10, '#,##0.0')}%"


UPTAKE = "Cây hấp thụ"  # "the trees took up", before the CO₂ per kg of an orchard's fruit


def uptake(kg_co2_per_kg: float) -> str:
    """The CO₂ an orchard's trees took up per kg of fruit, as labels print it: "1,236 kg CO₂/kg"."""
    return f"{number(kg_co2_per_kg, '#,##0.###')} kg CO₂/kg"


def removals(kg_co2_per_kg: float) -> str:
    """The uptake in one line: "Cây hấp thụ 1,236 kg CO₂/kg"."""
    return f"{UPTAKE} {uptake(kg_co2_per_kg)}"


def against_baseline() -> str:
    return f"so với {BASELINE_YEAR}"


# ---------------------------------------------------------------- the mark
def _leaf(steps: int = 24) -> tuple[tuple[float, float], ...]:
    """The leaf's outline in the unit square (y down): a lens along LEAF_AXIS, up one edge
    from stem to tip and back down the other."""
    (x0, y0), (x1, y1) = LEAF_AXIS
    dx, dy = x1 - x0, y1 - y0
    nx, ny = -dy / math.hypot(dx, dy), dx / math.hypot(dx, dy)
    along = [k / steps for k in range(steps + 1)]
    points = []
    for side, ts in ((1, along), (-1, along[-2:0:-1])):
        for t in ts:
            half = side * 0.2 * math.sin(math.pi * t) ** 0.9
            points.append((round(x0 + dx * t + nx * half, 4), round(y0 + dy * t + ny * half, 4)))
    return tuple(points)


LEAF_AXIS = ((0.3, 0.72), (0.76, 0.26))  # stem end to tip, in the unit square
MIDRIB = ((0.3, 0.72), (0.7, 0.32))
STEM = ((0.3, 0.72), (0.2, 0.82))
LEAF = _leaf()
