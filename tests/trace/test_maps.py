"""The field map's settings and data: the basemap read from the configuration (and refused,
naming the setting, when it cannot work), the Content-Security-Policy it opens, the map's
config and fields endpoints, and a local PMTiles file served by range."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry import create_app
from registry.accounts.models import OrgKind
from registry.app import SECURITY_HEADERS
from registry.db import db
from registry.trace import service
from registry.trace.maps import (
    LOCAL_PMTILES_PATH,
    WALK_MAX_ACCURACY_M,
    Basemap,
    BasemapConfigError,
    basemap_from_config,
    with_map_sources,
)
from tests.conftest import Factory, login
from tests.trace.test_geo import HAI_PHONG, metres_square, polygon

XYZ = "https://{s}.anh.example.vn/ve-tinh/{z}/{x}/{y}.jpg"
CREDIT = "© Ảnh vệ tinh Ví Dụ 2025"


# --- PMTiles archives for the tests ---------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _tile_id(z: int, x: int, y: int) -> int:
    """The PMTiles v3 tile id: tiles of lower zooms first, then the Hilbert curve's index."""
    acc = ((1 << z) * (1 << z) - 1) // 3
    a = z - 1
    s = 1 << a if z else 0
    while s > 0:
        rx, ry = x & s, y & s
        acc += ((3 * rx) ^ ry) * (1 << a)
        if not ry:
            x, y = (s - 1 - y, s - 1 - x) if rx else (y, x)
        s >>= 1
        a -= 1
    return acc


def pmtiles_archive(tiles: list[tuple[int, int, int]], png: bytes) -> bytes:
    """A raster PMTiles v3 archive (uncompressed directory) where every tile is `png`:
    one stored copy, each tile's directory entry pointing at it."""
    ids = sorted(_tile_id(*t) for t in tiles)
    directory = _varint(len(ids))
    directory += b"".join(_varint(b - a) for a, b in zip([0, *ids], ids, strict=False))
    directory += b"".join(_varint(1) for _ in ids)  # run lengths
    directory += b"".join(_varint(len(png)) for _ in ids)
    directory += b"".join(_varint(0 + 1) for _ in ids)  # offsets are stored + 1: all at 0
    zoom = tiles[0][0]
    header = b"PMTiles" + bytes([3])
    header += struct.pack(
        "<QQQQQQQQQQQ",
        127,  # root directory
        len(directory),
        127 + len(directory),  # metadata: {}
        2,
        0,  # no leaf directories
        0,
        127 + len(directory) + 2,  # tile data
        len(png),
        len(ids),
        len(ids),
        1,
    )
    header += bytes([0, 1, 1, 2, zoom, zoom])  # not clustered, no compression, PNG
    bounds = [round(v * 10**7) for v in (102.09, 8.13, 109.52, 23.44)]  # Vietnam, W S E N
    header += struct.pack("<iiiiBii", *bounds, zoom, 0, 0)  # no centre
    assert len(header) == 127
    return header + directory + b"{}" + png


def test_tile_ids_follow_the_pmtiles_hilbert_order() -> None:
    """The ids pmtiles.js gives (zxyToTileId) for the same tiles."""
    tiles = [(0, 0, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0), (2, 0, 0), (16, 52961, 28888)]
    assert [_tile_id(*t) for t in tiles] == [0, 1, 2, 3, 4, 5, 4910177598]


def csp(headers: dict[str, str]) -> dict[str, list[str]]:
    """The policy's directives by name."""
    policy = headers["Content-Security-Policy"]
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {p[0]: p[1:] for p in parts}


# --- Reading the settings -----------------------------------------------------------------


def test_no_basemap_is_the_plain_background() -> None:
    assert basemap_from_config({}) is None
    assert basemap_from_config({"MAP_TILE_URL": " ", "MAP_PMTILES": None}) is None
    assert with_map_sources(SECURITY_HEADERS, None) == SECURITY_HEADERS


def test_an_xyz_template_with_subdomains_opens_only_its_host_for_images() -> None:
    basemap = basemap_from_config(
        {"MAP_TILE_URL": XYZ, "MAP_TILE_ATTRIBUTION": CREDIT, "MAP_TILE_MAX_ZOOM": "18"}
    )
    assert basemap == Basemap("xyz", XYZ, CREDIT, 18)
    directives = csp(with_map_sources(SECURITY_HEADERS, basemap))
    assert directives["img-src"] == ["'self'", "data:", "https://*.anh.example.vn"]
    assert directives["default-src"] == ["'self'"] and "connect-src" not in directives


def test_a_pmtiles_url_opens_its_host_for_fetches_and_blob_images() -> None:
    url = "https://tiles.example.vn:8443/hai-phong.pmtiles"
    basemap = basemap_from_config({"MAP_PMTILES": url, "MAP_TILE_ATTRIBUTION": CREDIT})
    assert basemap == Basemap("pmtiles", url, CREDIT, 19)
    directives = csp(with_map_sources(SECURITY_HEADERS, basemap))
    assert directives["connect-src"] == ["'self'", "https://tiles.example.vn:8443"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]


def archive_file(tmp_path: Path, tile_type: int = 2) -> Path:
    """A small raster PMTiles file (one PNG tile), or with another tile type in its header."""
    data = bytearray(pmtiles_archive([(16, 52961, 28888)], b"\x89PNG not really"))
    data[99] = tile_type
    path = tmp_path / "do-son.pmtiles"
    path.write_bytes(bytes(data))
    return path


def test_a_local_pmtiles_file_is_served_by_the_registry(tmp_path: Path) -> None:
    tiles = archive_file(tmp_path)
    basemap = basemap_from_config({"MAP_PMTILES": str(tiles), "MAP_TILE_ATTRIBUTION": CREDIT})
    assert basemap == Basemap("pmtiles", LOCAL_PMTILES_PATH, CREDIT, 19, file=tiles)
    directives = csp(with_map_sources(SECURITY_HEADERS, basemap))
    assert directives["img-src"] == ["'self'", "data:", "blob:"] and "connect-src" not in directives


def test_a_local_file_must_be_a_raster_pmtiles_archive(tmp_path: Path) -> None:
    credit = {"MAP_TILE_ATTRIBUTION": CREDIT}
    vector = archive_file(tmp_path, tile_type=1)
    with pytest.raises(BasemapConfigError, match="vector tiles"):
        basemap_from_config({"MAP_PMTILES": str(vector), **credit})
    image = tmp_path / "orthophoto.tif"
    image.write_bytes(b"II*\x00" + bytes(200))
    with pytest.raises(BasemapConfigError, match="not a PMTiles version 3 file"):
        basemap_from_config({"MAP_PMTILES": str(image), **credit})


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        ({"MAP_TILE_URL": XYZ}, "MAP_TILE_ATTRIBUTION"),
        ({"MAP_TILE_URL": XYZ, "MAP_PMTILES": "/x.pmtiles"}, "not both"),
        ({"MAP_TILE_URL": "https://anh.example.vn/tile.jpg"}, "{z}, {x} and {y}"),
        ({"MAP_TILE_URL": "ftp://anh.example.vn/{z}/{x}/{y}"}, "https://"),
        ({"MAP_TILE_URL": "https://a.{s}.example.vn/{z}/{x}/{y}"}, "plain host"),
        ({"MAP_PMTILES": "/nowhere/tiles.pmtiles"}, "names no file"),
        ({"MAP_TILE_URL": XYZ, "MAP_TILE_MAX_ZOOM": "high"}, "whole number"),
        ({"MAP_TILE_URL": XYZ, "MAP_TILE_MAX_ZOOM": "30"}, "between 1 and 24"),
    ],
)
def test_a_basemap_that_cannot_work_is_refused_naming_the_setting(
    settings: dict[str, Any], names: str
) -> None:
    credit = {} if "MAP_TILE_ATTRIBUTION" in names else {"MAP_TILE_ATTRIBUTION": CREDIT}
    with pytest.raises(BasemapConfigError, match=names.replace("{", r"\{")):
        basemap_from_config({**settings, **credit})


def test_the_app_will_not_start_with_a_broken_basemap(app: Flask) -> None:
    with pytest.raises(BasemapConfigError):
        create_app({**app.config, "MAP_TILE_URL": XYZ, "MAP_TILE_ATTRIBUTION": None})


# --- The endpoints ------------------------------------------------------------------------


def test_map_config_without_a_basemap(client: FlaskClient, make: Factory) -> None:
    assert client.get("/map/config.json").status_code == 302  # to the sign-in page
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    response = client.get("/map/config.json")
    assert response.status_code == 200
    assert response.json == {
        "basemap": None,
        "walk_max_accuracy_m": WALK_MAX_ACCURACY_M,
        "bounds": [[8.13, 102.09], [23.44, 109.52]],
    }
    assert csp(dict(response.headers))["img-src"] == ["'self'", "data:"]


def test_map_config_is_for_htx_staff_only(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org(kind=OrgKind.VERIFIER)))
    assert client.get("/map/config.json").status_code == 403
    assert client.get("/fields/map.geojson").status_code == 403


def test_map_config_names_the_operators_basemap_and_pages_may_load_it(
    app: Flask, make: Factory
) -> None:
    served = create_app({**app.config, "MAP_TILE_URL": XYZ, "MAP_TILE_ATTRIBUTION": CREDIT})
    client = served.test_client()
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    response = client.get("/map/config.json")
    assert response.json["basemap"] == {
        "kind": "xyz",
        "url": XYZ,
        "attribution": CREDIT,
        "max_zoom": 19,
    }
    page = client.get("/fields/new")
    assert "https://*.anh.example.vn" in csp(dict(page.headers))["img-src"]


def _register(app: Flask, org_id: int, code: str, location: dict[str, Any]) -> None:
    from registry.accounts.models import Organisation

    with app.app_context():
        org = db.session.get(Organisation, org_id)
        assert org is not None
        values = {
            "code": code,
            "name": f"Ruộng {code}",
            "area_ha": 0.25,
            "province": "Hải Phòng",
            "commune": "phường Đồ Sơn",
            "location": location,
        }
        service.register_field(db.session, org, values)
        db.session.commit()


def test_the_fields_geojson_holds_the_htxs_own_fields_only(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    mine, theirs = make.org(kind=OrgKind.PRODUCER), make.org(kind=OrgKind.PRODUCER)
    square = polygon(metres_square(*HAI_PHONG, 50))
    _register(app, mine.id, "DS-02", square)
    _register(app, mine.id, "DS-01", {"type": "Point", "coordinates": [106.76, 20.71]})
    _register(app, theirs.id, "KHAC-01", square)
    login(client, make.user(mine))
    response = client.get("/fields/map.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.json
    assert collection["type"] == "FeatureCollection"
    assert [f["id"] for f in collection["features"]] == ["DS-01", "DS-02"]
    first, second = collection["features"]
    assert first == {
        "type": "Feature",
        "id": "DS-01",
        "geometry": {"type": "Point", "coordinates": [106.76, 20.71]},
        "properties": {
            "code": "DS-01",
            "name": "Ruộng DS-01",
            "area_ha": 0.25,
            "href": "/fields/DS-01",
        },
    }
    assert second["geometry"]["type"] == "Polygon"
    assert len(second["geometry"]["coordinates"][0]) == 5
    etag = response.headers["ETag"]
    again = client.get("/fields/map.geojson", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data  # the phone's copy is still good
    _register(app, mine.id, "DS-03", square)
    changed = client.get("/fields/map.geojson", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json["features"]) == 3


def test_a_local_pmtiles_file_is_read_by_range(app: Flask, make: Factory, tmp_path: Path) -> None:
    tiles = archive_file(tmp_path)
    served = create_app({**app.config, "MAP_PMTILES": str(tiles), "MAP_TILE_ATTRIBUTION": CREDIT})
    client = served.test_client()
    assert client.get(LOCAL_PMTILES_PATH).status_code == 302  # signed-in staff only
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    part = client.get(LOCAL_PMTILES_PATH, headers={"Range": "bytes=0-15"})
    size = tiles.stat().st_size
    assert part.status_code == 206 and part.data == tiles.read_bytes()[:16]
    assert part.headers["Content-Range"] == f"bytes 0-15/{size}"
    assert client.get("/map/config.json").json["basemap"]["url"] == LOCAL_PMTILES_PATH


def test_no_local_pmtiles_file_is_a_404(client: FlaskClient, make: Factory) -> None:
    login(client, make.user(make.org(kind=OrgKind.PRODUCER)))
    assert client.get(LOCAL_PMTILES_PATH).status_code == 404
