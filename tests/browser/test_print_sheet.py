"""On a 360 px phone: the print sheet asked for on the label page is made by a job (the
live server runs it on its embedded worker, as `registry run` does), its page follows the
job and offers the PDF once made; a large label request's page follows its job to the
label."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from registry.accounts.models import Organisation
from registry.db import db
from registry.labels import issuance, issue_jobs
from registry.trace.models import Batch
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.public.conftest import authority, farm, grower, issue_on, packed, verifier  # noqa: F401

SERIAL_PAGE = re.compile(r"/labels/[0-9A-Z]{8}$")


def test_a_phone_follows_its_print_sheet_to_the_pdf(
    phone: Any, app: Flask, make: Factory, packed: Batch, authority: Organisation
) -> None:
    label = issue_on(app, packed, authority, units=40)  # two A4 pages of 32
    sign_in(phone, make.user(authority).email)
    phone.goto(f"/labels/{label.serial}")
    phone.get_by_role("button", name="Tạo tờ in (40 nhãn)").click()
    download = phone.get_by_role("link", name="Tải tệp PDF")
    download.wait_for(timeout=60_000)
    assert "/labels/print/" in phone.url
    assert "Tờ in đã sẵn sàng: 2 trang." in phone.locator("[data-print-job=done]").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    pdf = phone.request.get(download.get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")


@pytest.fixture
def small_threshold(app: Flask) -> Iterator[None]:
    before = app.config[issue_jobs.SETTING]
    app.config[issue_jobs.SETTING] = 5
    yield
    app.config[issue_jobs.SETTING] = before


def test_a_phone_follows_a_large_issuance_to_its_label(
    phone: Any, make: Factory, packed: Batch, authority: Organisation, small_threshold: None
) -> None:
    asked = issuance.request_label(db.session, packed.organisation, packed.id, 12, 0.5)
    db.session.commit()
    sign_in(phone, make.user(authority).email)
    phone.goto(f"/labels/requests/{asked.id}")
    phone.get_by_role("button", name="Cấp nhãn").click()
    phone.wait_for_url(SERIAL_PAGE, timeout=60_000)  # through the job's page to the label's
    assert "Đã cấp nhãn" in phone.locator("body").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
