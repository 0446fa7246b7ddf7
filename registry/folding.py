"""Text folded for matching and searching, as Vietnamese clerks type it: lower case, no
accents (đ is d), words of letters and digits. "Hà Đông" and "ha dong" fold alike, so a
spreadsheet's choice or a search matches whatever keyboard the clerk used."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """`text` lower-cased without accents, its words of letters and digits joined by spaces."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())
