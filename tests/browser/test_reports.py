"""The reports dashboard on a 360 px phone: the authority reads its communes' progress
with charts drawn by the server, a commune office confirms its reduction."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask

from registry.accounts.models import OrgKind
from registry.db import db
from tests.browser.test_pages import no_horizontal_scroll
from tests.conftest import PASSWORD, Factory
from tests.reports.conftest import Builder, Planted


def sign_in(phone: Any, email: str) -> None:
    phone.goto("/login")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Mật khẩu").fill(PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/dashboard")


def plant(app: Flask) -> None:
    with app.app_context():
        builder = Builder(db.session)
        builder.plant(
            Planted(0, 0, date(2026, 3, 10), 1.2, 3000, 7000, (1.2, 11000, 6800), awd=True)
        )
        builder.plant(
            Planted(2, 1, date(2026, 4, 2), 2.0, 5200, 12500, (2.0, 17000, 12000), verified=True)
        )
        db.session.commit()


def test_the_authority_reads_the_dashboard_on_a_phone(
    phone: Any, app: Flask, make: Factory, live_server: str
) -> None:
    plant(app)
    user = make.user(
        make.org(kind=OrgKind.AUTHORITY, province="Hải Phòng", commune="phường Hồng Bàng")
    )
    sign_in(phone, user.email)
    phone.get_by_role("link", name="Báo cáo", exact=True).click()
    assert phone.locator(".lead").inner_text().startswith("Hải Phòng · ")  # its province first
    phone.get_by_role("link", name="Toàn bộ sổ đăng ký").click()
    phone.get_by_label("Kỳ", exact=True).select_option("2026")
    phone.get_by_role("button", name="Xem").click()
    assert phone.locator("h1").inner_text() == "Báo cáo và tiến độ"
    assert phone.locator('[data-kpi="verified"]').inner_text() == "1 / 2"
    chart = phone.locator("svg[role=img]").first
    assert chart.bounding_box()["width"] > 250  # the trajectory fills the phone's width
    assert "Hải Phòng" in phone.locator("section.chart").nth(1).inner_text()
    phone.get_by_role("link", name="Hải Phòng", exact=True).click()  # drill down
    assert "phường Đồ Sơn" in phone.locator("section.chart").nth(1).inner_text()
    assert no_horizontal_scroll(phone)
    assert phone.requested_hosts == {live_server.split("/")[2]}


def test_a_commune_office_confirms_on_a_phone(phone: Any, app: Flask, make: Factory) -> None:
    plant(app)
    org = make.org(kind=OrgKind.COMMUNE_OFFICE, province="Hải Phòng", commune="phường Đồ Sơn")
    sign_in(phone, make.user(org).email)
    phone.goto("/reports?period=2026-H1")
    assert "xã Thới Lai" not in phone.content()
    phone.get_by_role("link", name="Xác nhận mức giảm phát thải của xã/phường").click()
    phone.get_by_role("button", name="Xác nhận các số liệu này").click()
    phone.wait_for_url("**/reports/confirmations/*")
    assert "Xác nhận của xã/phường số" in phone.locator("h1").inner_text()
    assert len(phone.locator("[data-signature]").inner_text().strip()) == 86
    assert no_horizontal_scroll(phone)
