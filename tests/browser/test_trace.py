"""An HTX member on a 360 px phone registers a field and records a diary entry."""

from __future__ import annotations

from typing import Any

from registry.accounts.models import OrgKind
from tests.browser.test_pages import no_horizontal_scroll
from tests.conftest import PASSWORD, Factory


def sign_in(phone: Any, email: str) -> None:
    phone.goto("/login")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Mật khẩu").fill(PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/dashboard")


def test_a_field_and_a_diary_entry_from_a_phone(phone: Any, make: Factory) -> None:
    org = make.org(kind=OrgKind.PRODUCER, province="Cần Thơ", commune="xã Thới Lai")
    sign_in(phone, make.user(org).email)

    phone.get_by_role("link", name="Thửa ruộng").first.click()
    phone.get_by_role("link", name="+ Đăng ký thửa ruộng").click()
    phone.get_by_label("Mã thửa").fill("TL-09")
    phone.get_by_label("Tên", exact=True).fill("Ruộng Kênh Ngang")
    phone.get_by_label("Diện tích (ha)").fill("1,5".replace(",", "."))
    phone.get_by_label("Vĩ độ").fill("10.0731")
    phone.get_by_label("Kinh độ").fill("105.5612")
    phone.get_by_role("button", name="Đăng ký").click()
    phone.wait_for_url("**/fields/TL-09")
    assert no_horizontal_scroll(phone)

    phone.get_by_role("link", name="Lúa", exact=True).click()  # the crop, then its season
    phone.get_by_label("Vụ", exact=True).select_option("thu_dong")
    phone.get_by_label("Ngày gieo sạ").fill("2026-08-25")
    phone.get_by_role("button", name="Mở vụ").click()
    phone.wait_for_url("**/seasons/TL-09-2026-TD")

    phone.get_by_role("link", name="+ Ghi nhật ký").click()
    phone.get_by_role("link", name="Nước: cho nước vào hoặc rút nước").click()
    phone.get_by_label("Việc đã làm").select_option("drainage")
    phone.get_by_label("Ngày", exact=True).fill("2026-09-15")
    phone.get_by_label("Ngày cho nước lại (khi rút nước)").fill("2026-09-22")
    phone.get_by_role("button", name="Lưu").click()
    phone.wait_for_url("**/seasons/TL-09-2026-TD")
    timeline = phone.locator(".timeline").inner_text()
    assert "Rút nước, phơi ruộng" in timeline and "22/09/2026" in timeline
    assert no_horizontal_scroll(phone)
