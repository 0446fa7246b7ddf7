"""On a 360 px phone: the spreadsheet upload shows its progress, the page of the job that
reads the rows follows it to the report, a bad file lists its row errors and offers the file
back with them marked, and after a clean check the same stored file imports with one more
press (the live server runs the jobs on its embedded worker, as `registry run` does)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

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
    assert "/import/jobs/" in phone.url
    assert "Hàm lượng N (%)" in phone.locator("#report").inner_text()

    phone.goto("/import")
    phone.set_input_files("input[type=file]", str(tmp_path / "nhap.xlsx"))
    phone.get_by_role("button", name="Kiểm tra trước").click()
    phone.wait_for_selector("#report[data-report=ok]")
    phone.get_by_role("button", name="Nhập dữ liệu").click()  # the stored file, not sent again
    phone.wait_for_selector("#report[data-report=saved]")
    assert "Đã nhập 1 thửa ruộng" in phone.locator("#report").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_phone_downloads_its_file_with_the_problems_marked(
    phone: Any, make: Factory, tmp_path: Path
) -> None:
    (tmp_path / "loi.xlsx").write_bytes(workbook(bad=True))
    sign_in(phone, htx_user(make).email)
    phone.goto("/import")
    phone.set_input_files("input[type=file]", str(tmp_path / "loi.xlsx"))
    phone.get_by_role("button", name="Kiểm tra trước").click()
    link = phone.get_by_role("link", name="Tải tệp của bạn có đánh dấu lỗi (XLSX)")
    link.wait_for()
    assert link.is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    href = link.get_attribute("href")
    deadline = time.monotonic() + 60  # the copy is made by a job of its own
    while phone.request.get(href, max_redirects=0).status != 200:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with phone.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "loi-loi-can-sua.xlsx"
    with Path(download.value.path()).open("rb") as copy:  # (saved without its extension)
        sheet = load_workbook(copy)["Nhật ký"]
    assert sheet["I3"].comment.text == "Hãy nhập hàm lượng đạm (%)."

    phone.goto(href.removesuffix("/marked.xlsx"))
    assert phone.locator("[data-copy=ready]").is_visible()
    assert phone.get_by_role("link", name="Tải tệp (XLSX)").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_form_sent_again_after_a_lost_answer_starts_no_second_job(
    phone: Any, make: Factory, tmp_path: Path
) -> None:
    """The registry took the upload but the phone lost the answer: pressed again, the form
    goes with the same Idempotency-Key and lands on the first job's page; no second job."""
    (tmp_path / "nhap.xlsx").write_bytes(workbook())
    user = htx_user(make)
    sign_in(phone, user.email)
    keys: list[str] = []

    def answer_lost_once(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch(max_redirects=0)  # the registry gets it and answers...
            route.abort("connectionreset")  # ...but the phone never sees the answer
        else:
            route.continue_()

    phone.route("**/import", answer_lost_once)
    phone.goto("/import")
    phone.set_input_files("input[type=file]", str(tmp_path / "nhap.xlsx"))
    phone.get_by_role("button", name="Kiểm tra trước").click()
    phone.wait_for_selector("[data-progress-text]:has-text('Mất kết nối')")
    phone.get_by_role("button", name="Kiểm tra trước").click()
    phone.wait_for_selector("#report[data-report=ok]")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    phone.unroute("**/import")
    phone.goto("/import")
    assert phone.locator("[data-recent-imports] li").count() == 1
