"""Numbers for people: the one formatter every page, chart, PDF and label uses.

Vietnamese groups thousands with "." and writes decimals after ",", English the other way
round (7.200 kg and 74,5 % against 7,200 kg and 74.5 %). Callers say what they want in
Babel's pattern notation, restricted to what the registry prints: "#,##0" (grouped),
"0.0" (one fixed place), "#,##0.##" (up to two places). Babel's own formatter costs
~50 µs a figure and the public pages show dozens, so the patterns are read once and the
figure is written with Python's format (rounding half to even, as Babel does).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, NamedTuple

from flask import Flask
from flask_babel import get_locale

_VI = str.maketrans(",.", ".,")
MAX_PLACES = 6


class Pattern(NamedTuple):
    group: bool
    places: int
    trim: bool  # "#" places: trailing zeros dropped


@lru_cache(maxsize=64)
def pattern(text: str) -> Pattern:
    """Read a Babel-style pattern: "," groups; the places after the point are all fixed
    ("0") or all optional ("#"). Anything else is a programming error."""
    whole, _point, fraction = text.partition(".")
    if set(whole) - set("#,0") or set(fraction) - set("#0") or len(set(fraction)) > 1:
        raise ValueError(f"unsupported number pattern {text!r}")
    return Pattern("," in whole, len(fraction), "#" in fraction)


def reader_locale() -> str:
    """The reader's language: the request's, the app's default in a command or job, and
    English outside any app, where messages stay in English too."""
    found = get_locale()
    return str(found) if found else "en"


def number(value: Any, fmt: str = "#,##0", locale: str | None = None) -> str:
    """`value` as the reader writes it; "—" for a missing figure."""
    if value is None:
        return "—"
    shape = pattern(fmt)
    text = f"{float(value):{',' if shape.group else ''}.{shape.places}f}"
    if shape.trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # -0,0 reads as a loss that is not there
    return text.translate(_VI) if (locale or reader_locale()) == "vi" else text


def significant(value: Any, digits: int = 4, locale: str | None = None) -> str:
    """A factor to `digits` significant digits, whatever its size: 1,571 (44/28), 0,003
    (an emission factor), 1.300 (kg CH₄ per tonne); never more than MAX_PLACES places."""
    if value is None:
        return "—"
    size = math.floor(math.log10(abs(float(value)))) if value else 0
    places = min(max(digits - 1 - size, 0), MAX_PLACES)
    return number(value, "#,##0." + "#" * places if places else "#,##0", locale)


def percent(value: Any, fmt: str = "0.0") -> str:
    """A percentage with its sign spaced as both languages print it: "74,5 %"."""
    return "—" if value is None else f"{number(value, fmt)} %"


def whole(value: Any) -> str:
    """1.234 (vi), 1,234 (en)."""
    return number(value, "#,##0")


def one_place(value: Any) -> str:
    """75,5 (vi), 75.5 (en)."""
    return number(value, "0.0")


def up_to_two(value: Any) -> str:
    """1.234,5 (vi), 1,234.5 (en)."""
    return number(value, "#,##0.##")


def init_app(app: Flask) -> None:
    """The template filters: `x | n0`, `x | n1`, `x | n2`, `x | num("0.###")`, `x | pct`,
    `x | sig` (significant digits)."""
    for name, filter_ in (
        ("n0", whole),
        ("n1", one_place),
        ("n2", up_to_two),
        ("num", number),
        ("pct", percent),
        ("sig", significant),
    ):
        app.add_template_filter(filter_, name)
