"""A producer's pages on a 360 px phone: nothing scrolls sideways (the batch lineage diagram
shrinks to fit) and every visible link, button and input is a tap target of at least
24 × 24 CSS px (WCAG 2.2, success criterion 2.5.8)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.labels.models import Label
from registry.trace.models import Batch
from tests.browser.test_trace import sign_in
from tests.public.conftest import authority, farm, grower, issue_on, packed, verifier  # noqa: F401

PHONE = 360
MIN = 24
# Size of every visible link, button and input (hidden inputs are not visible).
TOO_SMALL = """min => [...document.querySelectorAll('a, button, input, select')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width < min || r.height < min)
  .map(([e, r]) => `${e.tagName} "${(e.textContent || e.name || '').trim().slice(0, 30)}"`
    + ` ${Math.round(r.width)}×${Math.round(r.height)}`)"""


def check(phone: Any, path: str) -> None:
    phone.goto(path)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE, path
    assert phone.evaluate(TOO_SMALL, MIN) == [], path


def test_a_producers_pages_fit_a_phone_with_big_enough_targets(
    app: Flask, phone: Any, live_server: str, packed: Batch, authority: Organisation
) -> None:
    label: Label = issue_on(app, packed, authority, base=live_server)
    user = db.session.scalar(db.select(User).where(User.organisation_id == packed.organisation_id))
    assert user is not None
    sign_in(phone, user.email)
    for path in ("/dashboard", "/fields", f"/labels/{label.serial}", f"/batches/{packed.id}"):
        check(phone, path)
    lineage = phone.locator(".lineage-wrap")
    assert lineage.locator("svg.lineage").is_visible()
    assert lineage.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls, not the page
    phone.screenshot(path="/tmp/lineage360.png", full_page=True)
    phone.get_by_role("link", name="English").click()
    phone.wait_for_url(f"**/batches/{packed.id}")
    check(phone, phone.url)
    check(phone, label.url)  # the shopper's page, in public.css
