"""GS1 check digits against GTINs printed on real products and in GS1's own examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.labels.gs1 import (
    gtin_check_digit,
    is_valid_code,
    is_valid_gtin14,
    normalise_gtin,
)

# Each with where its check digit is published.
PUBLISHED_GTINS = [
    "09506000134352",  # GS1 Digital Link standard, its running example (GS1 prefix 950)
    "4006381333931",  # EAN-13 shown on Wikipedia's "International Article Number" page
    "036000291452",  # UPC-A shown on Wikipedia's "Universal Product Code" page
    "96385074",  # EAN-8 shown on Wikipedia's "EAN-8" page
    "8934602001078",  # Vietnamese product, the worked example of starnpos.com "Mã vạch Việt Nam"
    "8936221043064",  # Omachi Tom Yum noodles (Vietnam), its Open Food Facts product page
]


@pytest.mark.parametrize("gtin", PUBLISHED_GTINS)
def test_published_gtins_have_the_check_digit_we_compute(gtin: str) -> None:
    assert gtin_check_digit(gtin[:-1]) == int(gtin[-1])
    assert is_valid_gtin14(normalise_gtin(gtin))


@pytest.mark.parametrize("gtin", PUBLISHED_GTINS)
def test_every_other_check_digit_is_refused(gtin: str) -> None:
    for digit in "0123456789":
        if digit != gtin[-1]:
            with pytest.raises(ValueError, match="check digit"):
                normalise_gtin(gtin[:-1] + digit)


def test_normalise_pads_to_fourteen_digits() -> None:
    assert normalise_gtin("8934602001078") == "08934602001078"
    assert normalise_gtin("96385074") == "00000096385074"
    assert normalise_gtin("09506000134352") == "09506000134352"


@pytest.mark.parametrize(
    "text",
    ["", "123", "89346020010780", "893460200107", "8934602OO1078", "８９３４６０２００１０７８"],
)
def test_normalise_refuses_what_is_not_a_gtin(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_gtin(text)


def test_gtin14_needs_fourteen_ascii_digits() -> None:
    assert is_valid_gtin14("09506000134352")
    assert not is_valid_gtin14("9506000134352")  # the GTIN-13, not yet padded
    assert not is_valid_gtin14("09506000134353")
    assert not is_valid_gtin14("0950600013435\n")
    assert not is_valid_gtin14("０９５０６０００１３４３５２")  # full-width digits


def test_check_digit_body_must_be_digits() -> None:
    with pytest.raises(ValueError):
        gtin_check_digit("12a4")


@given(st.text(alphabet="0123456789", min_size=7, max_size=13), st.integers(0, 9))
def test_a_single_changed_digit_always_breaks_the_check(body: str, digit: int) -> None:
    """Mod-10 with weights 3 and 1 catches every single-digit error."""
    gtin = body + str(gtin_check_digit(body))
    for position in range(len(gtin)):
        if gtin[position] != str(digit):
            changed = gtin[:position] + str(digit) + gtin[position + 1 :]
            assert gtin_check_digit(changed[:-1]) != int(changed[-1])


@pytest.mark.parametrize("code", ["A", "LOT-2026-01", "0123456789ABCDEFGHIJ", "--"])
def test_codes_accepted(code: str) -> None:
    assert is_valid_code(code)


@pytest.mark.parametrize(
    "code", ["", "lot1", "LOT 1", "LOT_1", "LOT/1", "Đ1", "0123456789ABCDEFGHIJK", "A\n"]
)
def test_codes_refused(code: str) -> None:
    assert not is_valid_code(code)
