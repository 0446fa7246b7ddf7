"""An extension officer on a 360 px phone, with no account, enters a rice season in sào and
bags at /calculator and shows the cooperative the AWD and straw comparisons (issue 23).
The form is a GET form: no script is needed, and the address reproduces the figures."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.browser.test_tap_targets import MIN, PHONE, TOO_SMALL


def test_an_officer_enters_a_rice_season_in_sao_and_bao_and_sees_awd_and_straw(
    phone: Any, live_server: str
) -> None:
    phone.set_extra_http_headers({"Accept-Language": "vi"})
    phone.goto("/")
    phone.get_by_role("link", name="Mở máy tính phát thải").click()
    phone.fill("#f-area", "5")
    phone.select_option("select[name=area_unit]", "sao")
    phone.fill("#f-yield", "11")
    phone.select_option("select[name=yield_unit]", "ta")
    phone.fill("#f-days", "105")
    phone.select_option("#f-water", "continuous")
    phone.fill("#f-urea", "1")
    phone.select_option("select[name=urea_unit]", "bao")
    phone.fill("#f-npk16168", "2")
    phone.select_option("select[name=npk16168_unit]", "bao")
    phone.select_option("#f-residue", "incorporated_short")
    phone.fill("#f-residue_amount", "1")
    phone.fill("#f-pump_diesel", "6")
    phone.get_by_role("button", name="Tính").click()
    phone.wait_for_selector("#result")

    awd = phone.locator('[data-comparison="awd"]')
    straw = phone.locator('[data-comparison="residue_removed"]')
    assert "Tưới ướt khô xen kẽ (AWD)" in awd.inner_text()
    assert "%" in awd.inner_text() and "-" in awd.inner_text()  # a cut, in kg and in %
    assert "rơm rạ" in straw.inner_text()
    assert awd.is_visible() and straw.is_visible()
    assert "kg CO₂e mỗi ha" in phone.locator("#result").inner_text()
    # no sideways scroll, big enough targets, nothing from another host
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE
    assert phone.evaluate(TOO_SMALL, MIN) == []
    assert phone.requested_hosts == {urlsplit(live_server).netloc}
    # the address is the shareable link: it holds the season in sào and bags
    query = parse_qs(urlsplit(phone.url).query)
    assert query["area_unit"] == ["sao"] and query["urea_unit"] == ["bao"]
    shared = phone.locator("#result").inner_text()
    phone.goto(phone.url)
    assert phone.locator("#result").inner_text() == shared
