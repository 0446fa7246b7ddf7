"""The public pages' number formats agree with Babel's patterns in both languages."""

from __future__ import annotations

from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from registry.public.numbers import grouped


@given(st.integers(-(10**12), 10**12))
def test_whole_numbers_match_babel(n: int) -> None:
    for locale in ("vi", "en"):
        assert grouped(n, 0, locale) == format_decimal(n, "#,##0", locale=locale)


@given(st.integers(-(10**8), 10**8))
def test_one_place_and_up_to_two_match_babel(n: int) -> None:
    quarter, eighth = n / 4, n / 8  # exact in binary, ties included: both round half-even
    for locale in ("vi", "en"):
        assert grouped(quarter, 1, locale, group=False) == format_decimal(
            quarter, "0.0", locale=locale
        )
        assert grouped(eighth, 2, locale, trim=True) == format_decimal(
            eighth, "#,##0.##", locale=locale
        )
