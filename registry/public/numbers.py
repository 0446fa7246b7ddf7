"""Numbers the way the reader writes them, fast: Vietnamese groups thousands with "." and
writes decimals after ",", English the other way round. The public pages show dozens of
figures and Babel's general formatter costs ~50 µs each; these patterns are all they need
("#,##0", "#,##0.##" and "0.0" in Babel's terms, rounding half to even)."""

from __future__ import annotations

_VI = str.maketrans(",.", ".,")


def grouped(
    value: float, decimals: int, locale: str, trim: bool = False, group: bool = True
) -> str:
    """`value` with `decimals` places (trailing zeros dropped when `trim`), thousands
    grouped unless `group` is False, in the separators of `locale` ("vi", else English)."""
    text = f"{value:{',' if group else ''}.{decimals}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.translate(_VI) if locale == "vi" else text
