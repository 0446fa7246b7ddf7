"""Charts drawn on the server from a few shapes, pure. The same `Chart` becomes an SVG for
pages (no script, no library, readable on a 360 px phone: 320 units wide, text at 12)
and a drawing in the PDF reports (pdf.py), so both show the same picture.

Coordinates are SVG's: x to the right, y downwards, in units of the 320-wide box."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH = 320.0
GREEN, GREY, AMBER, INK, LINE = "#1f7a3a", "#8a948c", "#c28a12", "#1b1f1c", "#d8ded9"
Number = Callable[[float], str]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.5
    dashed: bool = False


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    fill: str
    radius: float = 3.5


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = 12
    anchor: str = "start"  # start, middle or end
    fill: str = INK


Shape = Rect | Line | Dot | Text


@dataclass
class Chart:
    title: str
    height: float
    shapes: list[Shape] = field(default_factory=list)
    width: float = WIDTH


# ---------------------------------------------------------------- the charts
def trajectory(
    points: dict[int, float | None],
    final_pct: float,
    labels: tuple[str, str],
    title: str,
    number: Number,
    first: int = 2020,
    last: int = 2035,
) -> Chart:
    """Reduction below 2020 by year (dots joined by a line) against the target trajectory
    (dashed, from 0 in `first` to `final_pct` in `last`). `labels`: target, achieved."""
    years = [y for y, v in sorted(points.items()) if v is not None]
    last = max([last, *years])
    values = [points[y] or 0.0 for y in years]
    bottom, top, ticks = _axis(min([0.0, *values]), max([final_pct, *values]))
    left, right, upper, lower = 34.0, WIDTH - 8, 12.0, 150.0
    chart = Chart(title, lower + 44)

    def x(year: float) -> float:
        return left + (right - left) * (year - first) / (last - first)

    def y(value: float) -> float:
        return lower - (lower - upper) * (value - bottom) / (top - bottom)

    for tick in ticks:
        chart.shapes.append(Line(((left, y(tick)), (right, y(tick))), LINE, 1))
        chart.shapes.append(Text(left - 4, y(tick) + 4, f"{number(tick)} %", 10, "end"))
    for year in range(first, last + 1, 5):
        edge = x(year) > right - 12  # the last year ends at the box's right edge
        chart.shapes.append(
            Text(right if edge else x(year), lower + 16, str(year), 10, "end" if edge else "middle")
        )
    chart.shapes.append(Line(((x(first), y(0)), (x(2035), y(final_pct))), AMBER, 2, True))
    if years:
        chart.shapes.append(
            Line(tuple((x(yr), y(v)) for yr, v in zip(years, values, strict=True)), GREEN, 2)
        )
        chart.shapes.extend(Dot(x(yr), y(v), GREEN) for yr, v in zip(years, values, strict=True))
        chart.shapes.append(
            Text(x(years[-1]), y(values[-1]) - 8, f"{number(values[-1])} %", 11, "middle", GREEN)
        )
    _legend(chart, lower + 36, ((labels[0], AMBER), (labels[1], GREEN)))
    return chart


def bars(
    rows: Sequence[tuple[str, float | None]],
    target: float | None,
    labels: tuple[str, str],
    title: str,
    number: Number,
) -> Chart:
    """One bar per row (a percentage; negative values drawn as zero), its name above it
    so long commune names fit a phone, and the year's target as a dashed line.
    `labels`: the target line's name and what a missing value says."""
    scale = _nice(max([target or 0.0, *(v or 0.0 for _, v in rows), 1.0]))
    left, right, step = 4.0, WIDTH - 44, 38.0
    chart = Chart(title, 14 + step * len(rows) + 24)
    for i, (name, value) in enumerate(rows):
        top = 14 + i * step
        chart.shapes.append(Text(left, top, name, 12))
        if value is None:
            chart.shapes.append(Text(left, top + 18, labels[1], 11, fill=GREY))
            continue
        width = (right - left) * max(value, 0.0) / scale
        chart.shapes.append(
            Rect(left, top + 5, width, 16, GREEN if target is None or value >= target else AMBER)
        )
        chart.shapes.append(Text(left + width + 4, top + 18, f"{number(value)} %", 11))
    if target is not None:
        at = left + (right - left) * target / scale
        for i in range(len(rows)):
            top = 14 + i * step
            chart.shapes.append(Line(((at, top + 2), (at, top + 24)), INK, 1.5, True))
        anchor = "start" if at < 60 else "middle"
        chart.shapes.append(
            Text(
                max(at - 4, 0) if anchor == "start" else at,
                chart.height - 8,
                f"{labels[0]} {number(target)} %",
                11,
                anchor,
            )
        )
    return chart


def shares(rows: Sequence[tuple[str, float | None]], title: str, number: Number) -> Chart:
    """Percentages of a whole, each on a 0–100 % track."""
    left, right, step = 4.0, WIDTH - 44, 36.0
    chart = Chart(title, 8 + step * len(rows))
    for i, (name, value) in enumerate(rows):
        top = 14 + i * step
        chart.shapes.append(Text(left, top, name, 12))
        chart.shapes.append(Rect(left, top + 5, right - left, 12, LINE))
        if value is not None:
            chart.shapes.append(
                Rect(left, top + 5, (right - left) * min(max(value, 0.0), 100.0) / 100, 12, GREEN)
            )
        shown = "—" if value is None else f"{number(value)} %"
        chart.shapes.append(Text(right + 4, top + 16, shown, 11))
    return chart


def _legend(chart: Chart, y: float, items: Sequence[tuple[str, str]]) -> None:
    x = 34.0
    for name, colour in items:
        chart.shapes.append(Line(((x, y - 4), (x + 18, y - 4)), colour, 2.5))
        chart.shapes.append(Text(x + 22, y, name, 11))
        x += 30 + 7 * len(name)


def _nice(value: float) -> float:
    """The next of 5, 10, 15, 20, 25, 50, 100 … at or above `value`."""
    for step in (5.0, 10.0, 15.0, 20.0, 25.0, 50.0):
        if value <= step:
            return step
    return 100.0 * -(-value // 100)


def _axis(lowest: float, highest: float) -> tuple[float, float, list[float]]:
    """Bottom, top and five-odd ticks of a percentage axis that holds 0 and both values."""
    lowest, highest = min(lowest, 0.0), max(highest, 1.0)
    step = _nice(highest - lowest) / 5
    bottom, top = step * math.floor(lowest / step), step * math.ceil(highest / step)
    return bottom, top, [bottom + i * step for i in range(round((top - bottom) / step) + 1)]


# ---------------------------------------------------------------- SVG
def to_svg(chart: Chart) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:g} {chart.height:g}" '
        f'role="img" aria-label="{escape(chart.title)}" font-family="system-ui, sans-serif">'
    ]
    for shape in chart.shapes:
        parts.append(_svg(shape))
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg(shape: Shape) -> str:
    if isinstance(shape, Rect):
        return (
            f'<rect x="{shape.x:.1f}" y="{shape.y:.1f}" width="{shape.width:.1f}" '
            f'height="{shape.height:.1f}" fill="{shape.fill}"/>'
        )
    if isinstance(shape, Line):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in shape.points)
        dash = ' stroke-dasharray="5 4"' if shape.dashed else ""
        return (
            f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" '
            f'stroke-width="{shape.width:g}"{dash}/>'
        )
    if isinstance(shape, Dot):
        return (
            f'<circle cx="{shape.x:.1f}" cy="{shape.y:.1f}" r="{shape.radius:g}" '
            f'fill="{shape.fill}"/>'
        )
    return (
        f'<text x="{shape.x:.1f}" y="{shape.y:.1f}" font-size="{shape.size:g}" '
        f'text-anchor="{shape.anchor}" fill="{shape.fill}">{escape(_printable(shape.text))}</text>'
    )


def _printable(text: str) -> str:
    """Without the control characters XML 1.0 does not allow."""
    return "".join(c for c in text if c >= " " or c in "\t\n")
