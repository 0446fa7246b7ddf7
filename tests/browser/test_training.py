"""A lesson on a 360 px phone: it reads without sideways scrolling, loads nothing from
other sites, and its worked-example link opens the calculator with the lesson's figures."""

from __future__ import annotations

from typing import Any

from registry.training import lessons as catalogue
from tests.browser.test_pages import no_horizontal_scroll

LESSONS = catalogue.load_all("/static/training/")


def test_a_lesson_reads_on_a_phone_and_opens_its_worked_example(
    phone: Any, live_server: str
) -> None:
    lesson = LESSONS["awd", "vi"]
    phone.goto("/training")
    phone.get_by_role("link", name=lesson.title).first.click()
    phone.wait_for_url("**/training/awd")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert phone.locator("h1").inner_text() == lesson.title
    pictures = phone.locator(".lesson img")
    assert pictures.count() == len(lesson.pictures)
    for i in range(pictures.count()):  # every picture loaded and fits the screen
        box = pictures.nth(i).bounding_box()
        assert pictures.nth(i).evaluate("img => img.naturalWidth") > 0
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert no_horizontal_scroll(phone)

    phone.get_by_role("link", name="Mở ví dụ trong máy tính").click()
    phone.wait_for_url("**/calculator?**")
    for name, value in lesson.calculator.items():
        assert phone.locator(f'[name="{name}"]').first.input_value() == value, name
    assert phone.locator("#result").is_visible()
    assert no_horizontal_scroll(phone)
    assert phone.requested_hosts == {live_server.split("/")[2]}


def test_every_lesson_fits_a_phone_in_both_languages(phone: Any) -> None:
    for lang in ("vi", "en"):
        phone.goto(f"/lang/{lang}")
        for slug, _lang in sorted(k for k in LESSONS if k[1] == lang):
            phone.goto(f"/training/{slug}")
            assert phone.locator("html").get_attribute("lang") == lang
            assert no_horizontal_scroll(phone), (slug, lang)
