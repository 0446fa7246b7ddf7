"""A field registered by walking it with no signal (issue 21), on a 360 px phone in Debian's
chromium: the new-field form and its map open offline from the service worker, the boundary
is walked with a mocked geolocation, the form waits in the outbox ("1 mục chờ gửi") and back
online the field is registered once, with its area, in the list and the transparency log. A
field refused on arrival (its code taken meanwhile) says why, reopens the form with what was
saved, boundary included, and is sent again corrected."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.ledger.models import LogEntry
from registry.trace import service
from registry.trace.geo import validate_location
from registry.trace.models import Field
from tests.browser.test_maps import CORNERS, wait_for_fix
from tests.browser.test_pages import no_horizontal_scroll
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.trace.conftest import field_values


def _clerk(phone: Any, live_server: str, make: Factory) -> Organisation:
    org = make.org(kind=OrgKind.PRODUCER, code="HTX-DOSON")
    sign_in(phone, make.user(org).email)
    phone.context.grant_permissions(["geolocation"], origin=live_server)
    return org


def _kept_offline(phone: Any) -> None:
    """Open the seasons online (the service worker installs) and wait until the phone keeps
    the new-field form and its map's data; then open the form once online."""
    phone.goto("/seasons")
    phone.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller")
    phone.wait_for_function(
        """async () => {
            const pages = JSON.parse(document.getElementById('outbox').dataset.offlinePages);
            const kept = await Promise.all(pages.map((url) => caches.match(url)));
            return pages.includes('/fields/new') && kept.every(Boolean);
        }"""
    )
    phone.goto("/fields/new")
    phone.locator(".live-map-canvas").wait_for()


def _walk_offline(phone: Any, code: str) -> dict[str, Any]:
    """Reload the form with no connection, fill it and walk the five corners; the boundary
    written into the form."""
    phone.context.set_offline(True)
    phone.reload()  # from the service worker
    phone.locator(".live-map-canvas").wait_for()  # the map, on its plain background
    phone.get_by_label("Mã thửa").fill(code)
    phone.get_by_label("Tên", exact=True).fill("Ruộng Đồng Cao")
    phone.get_by_label("Diện tích (ha)").fill("1")
    phone.get_by_role("button", name="Đi quanh ruộng").click()
    for n, (lat, lon) in enumerate(CORNERS, 1):
        accuracy = 5 + n
        phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})
        wait_for_fix(phone, accuracy)
        phone.get_by_role("button", name="Thêm góc ở đây").click()
        phone.wait_for_function("n => document.querySelectorAll('.corner').length === n", arg=n)
    assert no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Khép ranh giới").click()
    geometry: dict[str, Any] = json.loads(phone.locator("#geojson").input_value())
    phone.get_by_role("button", name="Đăng ký", exact=True).click()
    phone.wait_for_url("**/fields/new")
    expect(phone.locator("#outbox h2")).to_have_text("1 mục chờ gửi")
    expect(phone.locator("#outbox li").first).to_contain_text(f"Đăng ký thửa ruộng · {code}")
    return geometry


def _registered(app: Flask) -> tuple[list[Field], list[LogEntry]]:
    with app.app_context():
        fields = list(db.session.scalars(select(Field).order_by(Field.code)))
        logged = select(LogEntry).where(LogEntry.type == "field.registered")
        entries = list(db.session.scalars(logged.order_by(LogEntry.index)))
        db.session.expunge_all()
    return fields, entries


def test_a_field_walked_offline_is_registered_once_when_back_online(
    app: Flask, phone: Any, live_server: str, make: Factory
) -> None:
    _clerk(phone, live_server, make)
    _kept_offline(phone)
    geometry = _walk_offline(phone, "DS-21")
    phone.reload()  # still offline: it waits on the phone
    expect(phone.locator("#outbox h2")).to_have_text("1 mục chờ gửi")
    assert _registered(app) == ([], [])

    phone.context.set_offline(False)  # the `online` event sends it
    expect(phone.locator("#outbox")).to_be_hidden(timeout=20_000)
    fields, logged = _registered(app)
    expected = validate_location(geometry, 1)
    assert [(f.code, f.area_ha) for f in fields] == [("DS-21", 1)]
    assert fields[0].geometry == expected.geometry
    assert fields[0].drawn_area_ha == expected.area_ha
    assert [e.subject for e in logged] == ["DS-21"] and fields[0].log_index == logged[0].index
    sent = json.loads(phone.request.get(f"/log/entries/{logged[0].index}").body())
    assert sent["type"] == "field.registered" and sent["data"]["area_ha"] == 1
    phone.goto("/fields")
    expect(phone.locator("main .flash")).to_have_count(0)  # sent in JSON: no message left
    expect(phone.locator(".field-pin-link", has_text="DS-21")).to_have_count(1)
    assert phone.requested_hosts == {live_server.split("/")[2]}


def test_a_field_refused_on_arrival_is_corrected_from_the_form_it_was_saved_with(
    app: Flask, phone: Any, live_server: str, make: Factory
) -> None:
    org = _clerk(phone, live_server, make)
    _kept_offline(phone)
    geometry = _walk_offline(phone, "DS-01")
    with app.app_context():  # meanwhile a colleague registers DS-01 from the office
        held = db.session.get(Organisation, org.id)
        assert held is not None
        service.register_field(db.session, held, field_values(code="DS-01"))
        db.session.commit()

    phone.context.set_offline(False)
    refused = phone.locator("#outbox li[data-state=refused]")
    expect(refused).to_contain_text("Đã có thửa ruộng với mã này.")
    expect(refused).to_contain_text("Đã được sử dụng.")
    expect(phone.locator("#outbox h2")).to_have_text("1 mục chờ gửi")  # kept, not dropped
    refused.get_by_role("link", name="Mở biểu mẫu để sửa").click()

    # The form again with what was saved: the values, the walked boundary on the map, and
    # why it was refused beside the code.
    expect(phone.get_by_label("Mã thửa")).to_have_value("DS-01")
    expect(phone.get_by_label("Diện tích (ha)")).to_have_value("1")
    expect(phone.locator("#code-refused")).to_have_text("Đã được sử dụng.")
    expect(phone.locator(".corner")).to_have_count(5)
    assert json.loads(phone.locator("#geojson").input_value()) == geometry
    phone.get_by_label("Mã thửa").fill("DS-02")
    phone.get_by_role("button", name="Đăng ký", exact=True).click()
    phone.wait_for_url("**/fields/DS-02")  # sent at once: the new field's page
    expect(phone.locator("h1")).to_contain_text("DS-02")
    fields, logged = _registered(app)
    assert [f.code for f in fields] == ["DS-01", "DS-02"] and len(logged) == 2
    assert fields[1].geometry == validate_location(geometry, 1).geometry
    phone.goto("/fields/new")  # the refused entry was replaced by the one sent: none waits
    expect(phone.locator("#outbox")).to_have_attribute("data-count", "0")
    expect(phone.locator("#outbox")).to_be_hidden()
