"""The MRV explanation in the reader's words (issue 18): inputs by name and unit, factors by
meaning, codes only inside <code> for auditors, numbers in the locale's format, and water
entries that say flooding or drainage."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.verify.conftest import Farm
from tests.verify.test_verifier_views import signed_in

CODES = (
    "cultivation_days",
    "yield_kg",
    "water_regime",
    "multiple_drainage",
    "nonflooded_short",
    "ef_c.south_east_asia",
    "sf_w.multiple_drainage",
    "gwp_ch4",
)


def visible(html: str) -> str:
    """The page's text outside <code> details and tag attributes."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<code[^>]*>.*?</code>", " ", html, flags=re.S))


def explanation(app: Flask, farm: Farm, lang: str) -> str:
    client = signed_in(app, farm[1])
    client.get(f"/lang/{lang}")
    return client.get(f"/mrv/seasons/{farm[3].code}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "words", "number"),
    [
        ("vi", ("Sản lượng thóc thu hoạch", "rút nước nhiều lần", "Rút nước"), "6.600 kg"),
        ("en", ("Harvested paddy", "drained several times", "Drainage"), "6,600 kg"),
    ],
)
def test_inputs_and_factors_read_as_words_with_codes_only_in_details(
    farm: Farm, app: Flask, lang: str, words: tuple[str, ...], number: str
) -> None:
    html = explanation(app, farm, lang)
    text = visible(html)
    for code in CODES:
        assert code not in text
    assert '<code class="muted small">sf_w.multiple_drainage</code>' in html
    for word in words:
        assert word in text
    assert number in text and "6600.0" not in text
    assert "flooding or drainage" not in text and "cho nước vào hoặc rút nước" not in text
