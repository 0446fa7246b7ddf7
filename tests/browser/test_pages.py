"""What a person sees on a 360 px phone: Vietnamese pages, field errors, signing in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD, Factory

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_home_page_reads_in_vietnamese_on_a_phone(phone: Any, live_server: str) -> None:
    phone.goto("/")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert phone.locator("h1").inner_text() == "Sổ đăng ký nhãn Phát thải thấp"
    assert no_horizontal_scroll(phone)
    assert phone.requested_hosts == {live_server.split("/")[2]}


def test_login_shows_field_errors_then_signs_in(phone: Any, make: Factory) -> None:
    org = make.org(name="HTX Dịch vụ Nông nghiệp Đồ Sơn")
    user = make.user(org, name="Trần Văn Bình")
    phone.goto("/login")
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.locator("#email-error").wait_for(state="visible")  # the form comes back with 422
    assert phone.locator("#email").get_attribute("aria-invalid") == "true"

    phone.get_by_label("Email").fill(user.email)
    phone.get_by_label("Mật khẩu").fill(PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/dashboard")
    assert "Trần Văn Bình" in phone.locator("h1").inner_text()
    assert "HTX Dịch vụ Nông nghiệp Đồ Sơn" in phone.content()
    assert no_horizontal_scroll(phone)
    if os.environ.get("UPDATE_SCREENSHOT"):
        phone.screenshot(path=str(SCREENSHOT), full_page=True)


def test_switching_to_english_and_back(phone: Any) -> None:
    phone.goto("/")
    phone.get_by_role("link", name="English").click()
    assert phone.locator("h1").inner_text() == "Low-Emission Label Registry"
    phone.get_by_role("link", name="Tiếng Việt").click()
    assert phone.locator("html").get_attribute("lang") == "vi"
