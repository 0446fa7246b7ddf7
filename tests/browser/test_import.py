"""On a 360 px phone: the spreadsheet upload shows its progress, a bad file lists its row
errors, and after a clean check the same file imports with one more press."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.trace.test_import_views import htx_user, workbook


def test_a_phone_sees_upload_progress_and_imports_after_a_clean_check(
    phone: Any, make: Factory, tmp_path: Path
) -> None:
    (tmp_path / "loi.xlsx").write_bytes(workbook(bad=True))
    (tmp_path / "nhap.xlsx").write_bytes(workbook())
    sign_in(phone, htx_user(make).email)
    phone.goto("/import")
    phone.set_input_files("input[type=file]", str(tmp_path / "loi.xlsx"))
    phone.get_by_role("button", name="Kiểm tra trước").click()
    phone.wait_for_selector("#report[data-report=errors]")
    assert "Hàm lượng N (%)" in phone.locator("#report").inner_text()
    assert phone.evaluate("document.querySelector('[data-progress]').hidden") is True

    phone.set_input_files("input[type=file]", str(tmp_path / "nhap.xlsx"))
    phone.get_by_role("button", name="Kiểm tra trước").click()
    phone.wait_for_selector("#report[data-report=ok]")
    assert phone.evaluate("document.querySelector('input[type=file]').files.length") == 1
    phone.get_by_role("button", name="Nhập dữ liệu").click()
    phone.wait_for_selector(".flash")
    assert "Đã nhập 1 thửa ruộng" in phone.locator(".flash").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
