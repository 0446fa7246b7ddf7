"""Finding one field among 1,000 on a 360 px phone, and the MRV page's guidance where a
season has no 2020 baseline, whose link opens the season form with 2020 filled in
(issue 21). The search form works without script: it is a GET form."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask
from sqlalchemy import Table, insert

from registry.accounts.models import Organisation, OrgKind
from registry.db import M2_PER_HA, db
from registry.trace import finding, service
from registry.trace.models import Field
from registry.trace.schemas import SeasonIn
from tests.browser.test_tap_targets import check
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.trace.conftest import SQUARE, field_values

CROWD = 999


def crowd(org_id: int) -> list[dict[str, Any]]:
    """Fields as an import of a big HTX would leave them, inserted in one statement."""
    return [
        {
            "organisation_id": org_id,
            "code": f"F-{i:04d}",
            "name": f"Ruộng số {i}",
            "area_m2": M2_PER_HA,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "geometry": SQUARE,
            "search_text": finding.search_text(f"F-{i:04d}", f"Ruộng số {i}", None),
            "log_index": 0,
        }
        for i in range(CROWD)
    ]


def test_a_clerk_finds_one_field_among_a_thousand_and_records_its_baseline(
    app: Flask, phone: Any, make: Factory
) -> None:
    made = make.org(kind=OrgKind.PRODUCER, province="Hải Phòng", commune="phường Đồ Sơn")
    with app.app_context():
        org = db.session.get(Organisation, made.id)
        assert org is not None
        db.session.execute(insert(cast(Table, Field.__table__)), crowd(org.id))
        values = field_values(code="HD-0001", name="Ruộng Hà Đông", commune="phường Hà Đông")
        service.register_field(db.session, org, values)
        season = {"field": "HD-0001", "season_type": "he_thu", "year": 2026}
        service.open_season(
            db.session, org, SeasonIn().load({**season, "sowing_date": "2026-05-02"})
        )
        db.session.commit()
    sign_in(phone, make.user(made).email)

    phone.goto("/fields")
    assert phone.locator("[data-counts]").get_attribute("data-counts") == "1000/1000"
    phone.get_by_label("Mã, tên hoặc mã số vùng trồng").fill("ha dong")
    phone.get_by_role("button", name="Tìm").click()
    phone.wait_for_url("**/fields?q=ha+dong*")
    assert phone.locator("[data-counts]").get_attribute("data-counts") == "1/1000"
    rows = phone.locator("table.table tbody tr")
    assert rows.count() == 1 and "Ruộng Hà Đông" in rows.first.inner_text()
    check(phone, phone.url)  # nothing scrolls sideways, every target at least 24 px

    check(phone, "/fields?page=2")  # the links between pages, too
    check(phone, "/seasons?missing=y")
    assert phone.locator("[data-missing]").get_attribute("data-missing") == "water harvest"

    phone.goto("/mrv/seasons/HD-0001-2026-HT")
    guidance = phone.locator("#baseline-guidance")
    assert (
        guidance.is_visible() and "cùng thửa ruộng (HD-0001) vào năm 2020" in guidance.inner_text()
    )
    check(phone, phone.url)
    guidance.get_by_role("link", name="Ghi vụ năm cơ sở 2020 của thửa HD-0001").click()
    phone.wait_for_url("**/fields/HD-0001/seasons/new?*")
    assert phone.get_by_label("Năm").input_value() == "2020"
    assert phone.locator("select#season_type").input_value() == "he_thu"
