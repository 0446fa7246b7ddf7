"""The one number formatter agrees with Babel's patterns in both languages, and every
pattern the templates use is one it reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from registry.numbers import number, pattern, percent, significant

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PATTERNS = ("#,##0", "0.0", "#,##0.##", "#,##0.#", "#,##0.0", "0.##", "0.###", "#,##0.00")


@given(st.integers(-(10**12), 10**12))
def test_whole_numbers_match_babel(n: int) -> None:
    for locale in ("vi", "en"):
        assert number(n, locale=locale) == format_decimal(n, "#,##0", locale=locale)


@given(st.integers(-(10**8), 10**8))
def test_patterns_match_babel(n: int) -> None:
    eighth = n / 8  # exact in binary, ties included: both round half to even
    for locale in ("vi", "en"):
        for fmt in PATTERNS:
            assert number(eighth, fmt, locale) == unsigned_zero(
                format_decimal(eighth, fmt, locale=locale)
            )


def unsigned_zero(text: str) -> str:
    """Babel writes -0,1 rounded to no place as "-0"; people read a loss there, so the
    registry writes "0"."""
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def test_the_reader_language_decides_the_separators() -> None:
    assert number(7200.5, "#,##0.#", "vi") == "7.200,5"
    assert number(7200.5, "#,##0.#", "en") == "7,200.5"
    assert number(None) == "—"


def test_a_tiny_loss_is_not_written_as_minus_zero() -> None:
    assert number(-0.04, "0.0", "vi") == "0,0"
    assert number(-0.0004, "#,##0.##", "en") == "0"


def test_outside_any_app_numbers_are_english_like_the_messages() -> None:
    assert percent(74.54) == "74.5 %"
    assert percent(None) == "—"


def test_every_pattern_in_the_templates_is_one_the_formatter_reads() -> None:
    used = {
        fmt
        for path in TEMPLATES.rglob("*.html")
        for fmt in re.findall(r"\|\s*num\(\"([^\"]+)\"\)", path.read_text(encoding="utf-8"))
    }
    assert used, "the templates format numbers with | num(...)"
    for fmt in used:
        pattern(fmt)  # raises on a pattern it would misread


@pytest.mark.parametrize("bad", ["#,##0.0#x", "0.#0", "0.0#", "$#,##0"])
def test_a_pattern_it_cannot_honour_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        pattern(bad)


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (44 / 28, "1,571", "1.571"),
        (0.003, "0,003", "0.003"),
        (1300, "1.300", "1,300"),
        (0.00012345, "0,000123", "0.000123"),
        (0, "0", "0"),
        (-2.5, "-2,5", "-2.5"),
    ],
)
def test_factors_keep_four_significant_digits(value: float, vi: str, en: str) -> None:
    assert (significant(value, locale="vi"), significant(value, locale="en")) == (vi, en)
