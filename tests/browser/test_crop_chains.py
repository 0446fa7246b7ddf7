"""Each demo crop from its field to its label's public page, on a 360 px phone (issue 20):
the HTX opens the field and the season the harvest came from; who processed the crop opens
a lot it made and, through its diagram, the harvest lot drawn from that season; the
retailer opens the packed lot, whose diagram reaches back to the season and the field, and
its label; the label's public page says it is valid. No page scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from registry.db import db
from registry.demo import DEMO_PASSWORD, load_demo
from registry.labels.api import issuer
from registry.labels.models import Label, LabelStatus
from registry.trace.models import Batch
from tests.browser.test_pages import no_horizontal_scroll

RETAILER = "sieuthi@demo.ptt.vn"
CHAINS = {  # crop: (HTX, field, season), (processor, a lot it made, harvest lot), labelled lot
    "rice": (
        ("htx.thoilai@demo.ptt.vn", "TL-01", "TL-01-2026-HT"),
        ("nhamay@demo.ptt.vn", "GAO-HT26-01", "LUA-HT26-01"),
        "HT26-01",
    ),
    "vegetable": (
        ("htx.hadong@demo.ptt.vn", "HD-01", "HD-01-2026-C1"),
        ("htx.hadong@demo.ptt.vn", "RSR-HD26-01", "RAU-HD26-01"),
        "HD26-01",
    ),
    "longan": (
        ("htx.doson@demo.ptt.vn", "DS-05", "DS-05-2026-N"),
        ("htx.doson@demo.ptt.vn", "NHAN1-DS26-01", "NHAN-DS26-01"),
        "DS26-01",
    ),
}


@pytest.fixture
def demo_phone(app: Flask, browser: Any, live_server: str) -> Iterator[Any]:
    with app.app_context():
        load_demo(db.session, Path(app.instance_path), issuer())
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=live_server)
    page = context.new_page()
    yield page
    context.close()


def sign_in(phone: Any, email: str) -> None:
    phone.context.clear_cookies()
    phone.goto("/lang/vi")
    phone.goto("/login")
    phone.get_by_label("Email").fill(email)
    phone.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Đăng nhập").click()
    phone.wait_for_url("**/dashboard")


def fits(phone: Any) -> None:
    assert no_horizontal_scroll(phone), f"{phone.url} scrolls sideways at 360 px"


@pytest.mark.parametrize("crop", sorted(CHAINS))
def test_each_crop_from_its_field_to_its_valid_label_on_a_phone(
    app: Flask, demo_phone: Any, crop: str
) -> None:
    (login, field, season), (packer, made, harvest), lot = CHAINS[crop]
    phone = demo_phone
    with app.app_context():
        label = db.session.scalar(
            select(Label)
            .join(Batch, Label.batch_id == Batch.id)
            .where(
                Batch.lot_code == lot,
                Label.parent_id.is_(None),
                Label.status == LabelStatus.VALID,
            )
        )
        assert label is not None, lot
        serial, public = label.serial, urlsplit(label.url)

    # the HTX: its field, and the season the harvest was drawn from
    sign_in(phone, login)
    phone.get_by_role("link", name="Thửa ruộng").first.click()
    phone.locator(f"td a[href$='/fields/{field}']").click()  # the list's link, not the map's
    phone.wait_for_url(f"**/fields/{field}")
    fits(phone)
    phone.locator(f"a[href$='/seasons/{season}']").first.click()
    phone.wait_for_url(f"**/seasons/{season}")
    assert season in phone.locator("main").inner_text()
    fits(phone)

    # who processed it: a lot it made, and through its diagram the harvest lot it came from
    sign_in(phone, packer)
    phone.get_by_role("link", name="Lô hàng").first.click()
    phone.locator("a[href*='all=1']").first.click()  # used-up batches too
    phone.get_by_role("link", name=made, exact=True).first.click()
    phone.wait_for_url("**/batches/*")
    fits(phone)
    made_page = phone.url
    phone.locator("svg.lineage a", has_text=harvest).first.click()
    phone.wait_for_url(lambda url: url != made_page and "/batches/" in url)
    assert harvest in phone.locator("h1").inner_text()
    assert season in phone.locator("main").inner_text()  # drawn from that season's harvest
    fits(phone)

    # the retailer: the packed lot, its diagram back to the season and field, its label
    sign_in(phone, RETAILER)
    phone.get_by_role("link", name="Lô hàng").first.click()
    phone.get_by_role("link", name=lot, exact=True).first.click()
    phone.wait_for_url("**/batches/*")
    diagram = phone.locator("svg.lineage").inner_html()
    assert all(code in diagram for code in (season, field, made, harvest, lot))
    fits(phone)
    phone.get_by_role("link", name=serial).click()
    phone.wait_for_url(f"**/labels/{serial}")
    fits(phone)
    shown = phone.locator("a", has_text=f"/{serial}").first.get_attribute("href")
    assert shown is not None and urlsplit(shown).path == public.path

    # the label's public page, as a shopper's phone opens it from the QR
    phone.context.clear_cookies()
    phone.goto(f"{public.path}?{public.query}")
    verdict = phone.locator("[data-verdict]")
    assert verdict.count() == 1 and verdict.get_attribute("data-verdict") == "valid"
    assert field in phone.locator("body").inner_text()
    fits(phone)
