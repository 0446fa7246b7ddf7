"""The field map on a 360 px phone (static/js/field-map.js): a boundary walked with the
phone's GPS (a mocked geolocation) or tapped on the map registers the field with its area;
a rough fix is refused; the fields map groups dense fields into clusters big enough to tap
and asks nothing of any other site."""

from __future__ import annotations

import io
import json
import math
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from registry import create_app
from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.trace import service
from registry.trace.geo import validate_location
from registry.trace.models import Field
from tests.browser.test_pages import no_horizontal_scroll
from tests.browser.test_tap_targets import _field_values
from tests.browser.test_trace import sign_in
from tests.conftest import Factory
from tests.trace.test_geo import HAI_PHONG
from tests.trace.test_maps import pmtiles_archive

# Five corners of an uneven field in Đồ Sơn, walked counter-clockwise (about 1 ha).
CORNERS = [
    (20.70000, 106.75000),
    (20.70000, 106.75090),
    (20.70060, 106.75110),
    (20.70095, 106.75040),
    (20.70070, 106.74990),
]
TAP_SIZE = 44


def _drawn_field(app: Flask, code: str) -> Field:
    with app.app_context():
        found = db.session.scalar(db.select(Field).where(Field.code == code))
        assert found is not None
        db.session.expunge(found)
        return found


def wait_for_fix(phone: Any, accuracy: int) -> None:
    """Until the phone shows the GPS fix of this accuracy."""
    phone.wait_for_function(
        "m => document.querySelector('[data-fix]').textContent.includes(`± ${m} m`)",
        arg=accuracy,
    )


def _fill_field(phone: Any, code: str, area_ha: str) -> None:
    phone.get_by_label("Mã thửa").fill(code)
    phone.get_by_label("Tên", exact=True).fill("Ruộng Đồng Cao")
    phone.get_by_label("Diện tích (ha)").fill(area_ha)


def test_a_boundary_walked_with_five_corners_registers_the_field(
    app: Flask, phone: Any, live_server: str, make: Factory
) -> None:
    org = make.org(kind=OrgKind.PRODUCER)
    sign_in(phone, make.user(org).email)
    phone.context.grant_permissions(["geolocation"], origin=live_server)
    phone.goto("/fields/new")
    _fill_field(phone, "DS-21", "1")
    status = phone.locator(".map-status")
    corner = phone.get_by_role("button", name="Thêm góc ở đây")

    phone.context.set_geolocation({"latitude": 20.7, "longitude": 106.75, "accuracy": 50})
    phone.get_by_role("button", name="Đi quanh ruộng").click()
    wait_for_fix(phone, 50)
    corner.click()  # a fix of ± 50 m is refused, saying why
    assert "chỉ chính xác ± 50 m" in status.inner_text()
    assert "cần ± 20 m" in status.inner_text()
    assert phone.locator(".corner").count() == 0

    for n, (lat, lon) in enumerate(CORNERS, 1):
        accuracy = 5 + n  # a new accuracy each time, to see each new fix arrive
        phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": accuracy})
        wait_for_fix(phone, accuracy)
        corner.click()
        phone.wait_for_function("n => document.querySelectorAll('.corner').length === n", arg=n)
        assert f"Đã thêm góc {n}." in status.inner_text()
    phone.get_by_role("button", name="Bỏ góc vừa thêm").click()  # undo, then walk it again
    assert phone.locator(".corner").count() == 4
    corner.click()  # the phone still stands at the fifth corner
    assert phone.locator(".corner").count() == 5
    assert no_horizontal_scroll(phone)

    phone.get_by_role("button", name="Khép ranh giới").click()
    geometry = json.loads(phone.locator("#geojson").input_value())
    expected = validate_location(geometry, 1)
    assert [tuple(p[::-1]) for p in geometry["coordinates"][0]] == [*CORNERS, CORNERS[0]]
    shown = f"{expected.area_ha:.2f}".replace(".", ",")  # the phone's estimate, in Vietnamese
    assert f"Đã khép ranh giới: 5 góc, khoảng {shown} ha" in status.inner_text()
    phone.get_by_role("button", name="Đăng ký", exact=True).click()
    phone.wait_for_url("**/fields/DS-21")
    field = _drawn_field(app, "DS-21")
    assert field.geometry == expected.geometry
    assert expected.area_ha is not None and 0.9 < expected.area_ha < 1.1
    assert field.drawn_area_ha == expected.area_ha
    assert phone.requested_hosts == {live_server.split("/")[2]}


def test_a_boundary_drawn_by_tapping_the_map_registers_the_field(
    app: Flask, phone: Any, live_server: str, make: Factory
) -> None:
    org = make.org(kind=OrgKind.PRODUCER)
    sign_in(phone, make.user(org).email)
    phone.context.grant_permissions(["geolocation"], origin=live_server)
    phone.context.set_geolocation({"latitude": HAI_PHONG[1], "longitude": HAI_PHONG[0]})
    phone.goto("/fields/new")
    _fill_field(phone, "DS-22", "5")  # a slip of the finger: the field drawn is under 1 ha
    phone.get_by_role("button", name="Vẽ trên bản đồ").click()
    phone.locator("path[fill='#1565c0']").first.wait_for()  # the phone's position, centred
    canvas = phone.locator(".live-map-canvas")
    box = canvas.bounding_box()
    cx, cy = box["width"] / 2, box["height"] / 2
    # Clear of the zoom and position buttons at the top left; the last tap is a stray one.
    for dx, dy in [(-50, 70), (90, 70), (90, -90), (-50, -90), (20, -10)]:
        canvas.click(position={"x": cx + dx, "y": cy + dy})
    assert phone.locator(".corner").count() == 5
    phone.get_by_role("button", name="Bỏ góc vừa thêm").click()  # the stray tap in the middle
    canvas.scroll_into_view_if_needed()
    moved = phone.locator(".corner").nth(2).bounding_box()
    phone.mouse.move(moved["x"] + 14, moved["y"] + 14)  # drag corner 3 a little further out
    phone.mouse.down()
    phone.mouse.move(moved["x"] + 34, moved["y"] - 6, steps=5)
    phone.mouse.up()
    phone.get_by_role("button", name="Khép ranh giới").click()
    geometry = json.loads(phone.locator("#geojson").input_value())
    ring = geometry["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert ring[2][0] > ring[1][0] and ring[2][1] > ring[3][1]  # corner 3 moved east and north
    expected = validate_location(geometry, 1)
    phone.get_by_role("button", name="Đăng ký", exact=True).click()
    # The server judges the drawing against the declared area, as for a pasted one, and the
    # form comes back with the boundary on the map, to correct rather than draw again.
    error = phone.locator("#location-error").inner_text()
    assert "Diện tích vẽ là" in error and "diện tích khai báo là 5,00 ha" in error
    phone.wait_for_function("n => document.querySelectorAll('.corner').length === n", arg=4)
    assert json.loads(phone.locator("#geojson").input_value()) == geometry
    phone.get_by_label("Diện tích (ha)").fill("1")
    phone.get_by_role("button", name="Đăng ký", exact=True).click()
    phone.wait_for_url("**/fields/DS-22")
    assert _drawn_field(app, "DS-22").drawn_area_ha == expected.area_ha


def test_the_fields_map_clusters_dense_fields_into_big_tap_targets(
    app: Flask, phone: Any, live_server: str, make: Factory
) -> None:
    org = make.org(kind=OrgKind.PRODUCER, province="Hải Phòng", commune="phường Đồ Sơn")
    with app.app_context():
        producer = db.session.get(Organisation, org.id)
        assert producer is not None
        for i in range(200):
            lon = HAI_PHONG[0] + (i % 20) * 0.0008
            lat = HAI_PHONG[1] + (i // 20) * 0.0008
            service.register_field(db.session, producer, _field_values(i, lon, lat))
        far = _field_values(600, HAI_PHONG[0] + 0.2, HAI_PHONG[1] + 0.15)
        service.register_field(db.session, producer, far)
        db.session.commit()
    sign_in(phone, make.user(org).email)
    phone.goto("/fields")
    clusters = phone.locator(".field-cluster")
    clusters.first.wait_for()
    sizes = clusters.evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert sizes and all(w >= TAP_SIZE and h >= TAP_SIZE for w, h in sizes), sizes
    counts = clusters.evaluate_all(  # the count shown (the rest is for screen readers)
        "els => els.map(e => Number(e.querySelector('[aria-hidden]').textContent"
        ".replace(/\\D/g, '')))"
    )
    lone = phone.locator(".field-pin-link", has_text="F-600")
    assert sum(counts) + lone.count() == 201
    box = lone.bounding_box()
    assert box["width"] >= TAP_SIZE and box["height"] >= TAP_SIZE
    assert phone.locator("svg.field-map").is_hidden()  # the no-JS map gives way
    assert no_horizontal_scroll(phone)

    clusters.first.click()  # a tap on a cluster zooms into it: it splits into smaller ones
    phone.wait_for_function(
        "most => [...document.querySelectorAll('.field-cluster [aria-hidden]')]"
        ".every(e => Number(e.textContent.replace(/\\D/g, '')) < most)",
        arg=max(counts),
    )
    phone.goto("/fields")
    lone.click()
    phone.wait_for_url("**/fields/F-600")
    phone.locator(".live-map-canvas path[stroke='#1b5e20']").wait_for()  # its boundary, drawn
    assert phone.requested_hosts == {live_server.split("/")[2]}


# --- A PMTiles basemap served by the registry ------------------------------------------------


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    phi = math.radians(lat)
    y = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def test_a_pmtiles_basemap_is_read_from_the_registry_by_range(
    app: Flask, browser: Any, make: Factory, tmp_path: Path
) -> None:
    x0, y0 = _tile_of(*HAI_PHONG, 16)
    tiles = [(16, x0 + dx, y0 + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    image = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 120, 40)).save(image, "PNG")
    archive = tmp_path / "do-son.pmtiles"
    archive.write_bytes(pmtiles_archive(tiles, image.getvalue()))
    settings = {"MAP_PMTILES": str(archive), "MAP_TILE_ATTRIBUTION": "© Ảnh bay chụp Đồ Sơn"}
    served = create_app({**app.config, **settings, "MAP_TILE_MAX_ZOOM": "16"})
    server = make_server("127.0.0.1", 0, served, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    org = make.org(kind=OrgKind.PRODUCER)
    with app.app_context():
        producer = db.session.get(Organisation, org.id)
        assert producer is not None
        service.register_field(db.session, producer, _field_values(1, *HAI_PHONG))
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740}, base_url=base)
    try:
        page = context.new_page()
        requests: list[tuple[str, str]] = []  # each request's URL and Range header
        page.on("request", lambda r: requests.append((r.url, r.headers.get("range", ""))))
        sign_in(page, make.user(org).email)
        page.goto("/fields/F-1")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.leaflet-tile')]"
            ".some(i => i.src.startsWith('blob:') && i.complete && i.naturalWidth === 256)"
        )
        reads = [byte_range for url, byte_range in requests if url.endswith(".pmtiles")]
        assert reads and all(byte_range.startswith("bytes=") for byte_range in reads)
        assert {url.split("/")[2] for url, _ in requests} == {base.split("/")[2]}
        credit = page.locator(".leaflet-control-attribution").inner_text()
        assert "© Ảnh bay chụp Đồ Sơn" in credit
    finally:
        context.close()
        server.shutdown()
