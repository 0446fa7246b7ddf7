"""GS1 identifiers, pure: GTIN check digits and the codes allowed for lots and serials.

The check digit is the GS1 mod-10 one (GS1 General Specifications §7.9.1): weights 3 and 1
alternate from the rightmost digit of the body, and the check digit brings the weighted sum
up to a multiple of ten. Lots (AI 10) and serials (AI 21) may be up to 20 characters in GS1;
the registry further keeps them to `A-Z 0-9 -` so that they need no escaping in a URL and
read the same aloud (DESIGN.md §5)."""

from __future__ import annotations

import re

CODE_MAX_LENGTH = 20
_CODE = re.compile(rf"[A-Z0-9-]{{1,{CODE_MAX_LENGTH}}}")
_DIGITS = re.compile(r"[0-9]+")
GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> int:
    """The check digit that completes `body` (a GTIN without its last digit)."""
    if not _DIGITS.fullmatch(body):
        raise ValueError(f"GTIN body {body!r} is not all digits")
    weighted = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - weighted % 10) % 10


def _has_valid_check_digit(digits: str) -> bool:
    return gtin_check_digit(digits[:-1]) == int(digits[-1])


def is_valid_gtin14(text: str) -> bool:
    """Fourteen ASCII digits whose last is the right check digit."""
    return len(text) == 14 and bool(_DIGITS.fullmatch(text)) and _has_valid_check_digit(text)


def normalise_gtin(text: str) -> str:
    """A GTIN-8, -12 (UPC-A), -13 (EAN) or -14 as the GTIN-14 that GS1 Digital Link uses:
    left-padded with zeros, which leaves the check digit unchanged. Raises ValueError for
    anything else, a wrong check digit included."""
    if len(text) not in GTIN_LENGTHS or not _DIGITS.fullmatch(text):
        raise ValueError(f"{text!r} is not a GTIN of 8, 12, 13 or 14 digits")
    if not _has_valid_check_digit(text):
        raise ValueError(f"{text!r} has a wrong check digit")
    return text.zfill(14)


def is_valid_code(text: str) -> bool:
    """A lot or serial the registry accepts: 1–20 of `A-Z 0-9 -`."""
    return bool(_CODE.fullmatch(text))
