"""A producer's pages on a 360 px phone: nothing scrolls sideways (the batch lineage diagram
shrinks to fit) and every visible link, button and input is a tap target of at least
24 × 24 CSS px (WCAG 2.2, success criterion 2.5.8)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.labels.models import Label
from registry.trace import service
from registry.trace.models import Batch
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.public.conftest import authority, farm, grower, issue_on, packed, verifier  # noqa: F401
from tests.trace.test_geo import HAI_PHONG, metres_square, polygon

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


def test_a_map_of_600_fields_keeps_every_link_tappable(
    app: Flask, browser: Any, phone: Any, live_server: str, make: Factory
) -> None:
    """Issue 18: with 600 fields the map's links had shrunk to 7–9 px. Each link is now a
    tap target of 24 px on a 360 px phone, or the field is drawn without one (the list
    below the map opens it); fields far enough apart keep theirs. That is the server's SVG
    map, what a browser without JS shows; with JS the live map clusters the crowd
    (tests/browser/test_maps.py), and its targets are big enough too."""
    org = make.org(kind=OrgKind.PRODUCER, province="Hải Phòng", commune="phường Đồ Sơn")
    with app.app_context():
        producer = db.session.get(Organisation, org.id)
        assert producer is not None
        for i in range(600):
            lon = HAI_PHONG[0] + (i % 25) * 0.0008
            lat = HAI_PHONG[1] + (i // 25) * 0.0008
            service.register_field(db.session, producer, _field_values(i, lon, lat))
        far = _field_values(600, HAI_PHONG[0] + 0.2, HAI_PHONG[1] + 0.15)
        service.register_field(db.session, producer, far)
        db.session.commit()
    sign_in(phone, make.user(org).email)
    check(phone, "/fields")
    no_js = browser.new_context(
        java_script_enabled=False,
        viewport={"width": PHONE, "height": 740},
        base_url=live_server,
        storage_state=phone.context.storage_state(),
    )
    page = no_js.new_page()
    check(page, "/fields")
    links = page.locator("svg.field-map a")
    assert 1 <= links.count() < 601  # some fields of the crowd, the lone one
    assert page.locator("svg.field-map a[href$='/fields/F-600']").count() == 1
    assert page.locator("svg.field-map g.map-feature").count() == 601 - links.count()
    no_js.close()


def _field_values(i: int, lon: float, lat: float) -> dict[str, Any]:
    return {
        "code": f"F-{i}",
        "name": f"Ruộng {i}",
        "area_ha": 0.25,
        "province": "Hải Phòng",
        "commune": "phường Đồ Sơn",
        "location": polygon(metres_square(lon, lat, 50)),
    }
