"""On a 360 px phone: an HTX draws a batch from its approved harvest, sees where it comes
from, and asks for a label whose criteria are all met."""

from __future__ import annotations

from typing import Any

from registry.accounts.models import User
from registry.db import db
from registry.labels import criteria
from tests.browser.test_pages import no_horizontal_scroll
from tests.browser.test_trace import sign_in
from tests.labels.conftest import authority  # noqa: F401
from tests.trace.test_batches import grower, mill  # noqa: F401
from tests.verify.conftest import farm, verifier  # noqa: F401


def test_a_batch_from_the_harvest_and_a_label_request_on_a_phone(
    phone: Any, grower, authority
) -> None:
    org, season = grower
    criteria.set_criteria(db.session, authority, {"min_reduction_pct": 10, "validity_days": 365})
    db.session.commit()
    user = db.session.scalar(db.select(User).where(User.organisation_id == org.id))
    assert user is not None
    sign_in(phone, user.email)

    phone.get_by_role("link", name="Lô hàng").first.click()
    phone.get_by_role("link", name="+ Lô từ sản lượng thu hoạch").click()
    phone.get_by_label("Mã lô").fill("lua-dx26")
    phone.locator("#season_1").select_option(season.code)
    phone.locator("#kg_1").fill("7000")
    phone.get_by_role("button", name="Đăng ký lô hàng").click()
    assert "Sản lượng vụ này chỉ còn 6.600 kg" in phone.locator("#kg_1-error").inner_text()
    phone.locator("#kg_1").fill("6000")
    phone.get_by_role("button", name="Đăng ký lô hàng").click()
    phone.wait_for_url("**/batches/*")
    assert phone.locator("svg.lineage").is_visible()
    assert season.code in phone.locator("svg.lineage").inner_html()
    assert no_horizontal_scroll(phone)

    phone.get_by_role("button", name="Đề nghị cấp nhãn").click()
    phone.wait_for_url("**/labels/requests/*")
    checks = phone.locator(".results").inner_text()
    assert checks.count("Đạt") == 2 and "Chưa đạt" not in checks
    assert no_horizontal_scroll(phone)
    assert phone.requested_hosts <= {phone.url.split("/")[2]}
