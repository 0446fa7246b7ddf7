"""The interactive field map: which basemap the operator configured, and an HTX's fields as
GeoJSON features for the map to draw.

The basemap is configuration, never code: an XYZ raster template (`MAP_TILE_URL`, e.g. a
satellite imagery service) or a raster PMTiles file (`MAP_PMTILES`, a local path the
registry serves itself, or an https URL). With neither, the map draws on a plain background
(the fields, the phone's position, a scale bar), so it works in the demo and with no
network. A misconfigured basemap stops the app at start-up with a message naming the
setting, rather than failing silently on every phone.

The Content-Security-Policy only lets pages load images from the registry itself; a remote
basemap's origin is added to it here, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from registry.db import M2_PER_HA, Db
from registry.trace.geo import VIETNAM_MAINLAND
from registry.trace.models import Field

WALK_MAX_ACCURACY_M = 20  # a corner fix less precise than this is refused on the phone
DEFAULT_MAX_ZOOM = 19  # most satellite imagery stops at 19 (about 0.3 m a pixel)
LOCAL_PMTILES_PATH = "/map/basemap.pmtiles"  # where the registry serves a local file
PMTILES_HEADER_BYTES = 127  # PMTiles v3: magic, version, ..., byte 99 the tile type
PMTILES_RASTER_TYPES = {2, 3, 4, 5}  # PNG, JPEG, WebP, AVIF (1 is vector, 0 unknown)


class BasemapConfigError(ValueError):
    """The basemap settings cannot work; the message names the setting to fix."""


@dataclass(frozen=True)
class Basemap:
    """A configured basemap. `kind` is "xyz" or "pmtiles"; `url` is what the browser loads
    (for a local PMTiles file, the registry's own path); `file` the local file, if any."""

    kind: str
    url: str
    attribution: str
    max_zoom: int
    file: Path | None = None

    @property
    def remote_origin(self) -> str | None:
        """The scheme and host the browser fetches from, as a CSP source; None if local.
        An XYZ template's `{s}` subdomain becomes the CSP wildcard `*`."""
        if self.file is not None:
            return None
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0].replace('{s}', '*')}"


def basemap_from_config(config: Mapping[str, Any]) -> Basemap | None:
    """The basemap the settings name, or None for the plain background."""
    tile_url = (config.get("MAP_TILE_URL") or "").strip()
    pmtiles = (config.get("MAP_PMTILES") or "").strip()
    attribution = (config.get("MAP_TILE_ATTRIBUTION") or "").strip()
    if not tile_url and not pmtiles:
        return None
    if tile_url and pmtiles:
        raise BasemapConfigError("Set MAP_TILE_URL or MAP_PMTILES, not both.")
    if not attribution:
        raise BasemapConfigError(
            "MAP_TILE_ATTRIBUTION is required with a basemap: imagery licences ask for credit"
            " on the map (for example '© Provider, imagery 2025')."
        )
    max_zoom = _max_zoom(config.get("MAP_TILE_MAX_ZOOM"))
    if tile_url:
        _check_template(tile_url)
        return Basemap("xyz", tile_url, attribution, max_zoom)
    if pmtiles.startswith("https://") or pmtiles.startswith("http://"):
        _check_host(pmtiles, "MAP_PMTILES")
        return Basemap("pmtiles", pmtiles, attribution, max_zoom)
    path = Path(pmtiles)
    if not path.is_file():
        raise BasemapConfigError(f"MAP_PMTILES names no file: {pmtiles}")
    _check_pmtiles_file(path)
    return Basemap("pmtiles", LOCAL_PMTILES_PATH, attribution, max_zoom, file=path)


def _check_pmtiles_file(path: Path) -> None:
    """A PMTiles v3 archive of raster tiles: the map draws images, not vector tiles."""
    with path.open("rb") as archive:
        header = archive.read(PMTILES_HEADER_BYTES)
    if len(header) < PMTILES_HEADER_BYTES or header[:7] != b"PMTiles" or header[7] != 3:
        raise BasemapConfigError(f"MAP_PMTILES is not a PMTiles version 3 file: {path}")
    if header[99] not in PMTILES_RASTER_TYPES:
        raise BasemapConfigError(
            f"MAP_PMTILES holds vector tiles (or an unknown kind); the map needs raster"
            f" tiles (PNG, JPEG, WebP or AVIF): {path}"
        )


def _max_zoom(raw: object) -> int:
    try:
        zoom = int(str(raw)) if raw not in (None, "") else DEFAULT_MAX_ZOOM
    except ValueError:
        message = f"MAP_TILE_MAX_ZOOM must be a whole number, not {raw!r}."
        raise BasemapConfigError(message) from None
    if not 1 <= zoom <= 24:
        raise BasemapConfigError("MAP_TILE_MAX_ZOOM must be between 1 and 24.")
    return zoom


def _check_template(url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise BasemapConfigError("MAP_TILE_URL must start with https:// (or http://).")
    if not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise BasemapConfigError(
            "MAP_TILE_URL must be an XYZ template with {z}, {x} and {y},"
            " e.g. https://tiles.example.vn/{z}/{x}/{y}.jpg"
        )
    _check_host(url, "MAP_TILE_URL")


def _check_host(url: str, setting: str) -> None:
    """The host must be a plain name, or start with `{s}.` (XYZ subdomains): a CSP source
    can carry a wildcard only as its leftmost label."""
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    rest = netloc.removeprefix("{s}.") if setting == "MAP_TILE_URL" else netloc
    if not rest or any(c in rest for c in "{}@ "):
        raise BasemapConfigError(
            f"{setting} must name a plain host (a {{s}} subdomain may only come first): {url}"
        )


def with_map_sources(headers: Mapping[str, str], basemap: Basemap | None) -> dict[str, str]:
    """The security headers with the basemap's sources added to the Content-Security-Policy:
    its tile host as an image source (XYZ), or its file's host as a fetch source and blob:
    images (PMTiles tiles are fetched by range and shown from blobs)."""
    result = dict(headers)
    if basemap is None:
        return result
    extra: dict[str, list[str]] = {"img-src": [], "connect-src": []}
    origin = basemap.remote_origin
    if basemap.kind == "xyz" and origin:
        extra["img-src"].append(origin)
    if basemap.kind == "pmtiles":
        extra["img-src"].append("blob:")
        if origin:
            extra["connect-src"].append(origin)
    result["Content-Security-Policy"] = _add_sources(result["Content-Security-Policy"], extra)
    return result


def _add_sources(policy: str, extra: dict[str, list[str]]) -> str:
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    names = [d.split()[0] for d in directives]
    for name, sources in extra.items():
        if not sources:
            continue
        if name in names:
            i = names.index(name)
            directives[i] = " ".join([directives[i], *sources])
        else:
            directives.append(" ".join([name, "'self'", *sources]))
    return "; ".join(directives)


def map_config(basemap: Basemap | None) -> dict[str, Any]:
    """What the map's script needs before it draws (map_schemas.MapConfigOut)."""
    box = VIETNAM_MAINLAND
    return {
        "basemap": None
        if basemap is None
        else {
            "kind": basemap.kind,
            "url": basemap.url,
            "attribution": basemap.attribution,
            "max_zoom": basemap.max_zoom,
        },
        "walk_max_accuracy_m": WALK_MAX_ACCURACY_M,
        "bounds": [[box.south, box.west], [box.north, box.east]],
    }


def field_features(session: Db, organisation_id: int, href: Any) -> dict[str, Any]:
    """The organisation's fields as a GeoJSON FeatureCollection (map_schemas.FieldsGeoJson);
    `href(code)` gives each field's page. Only the columns a map needs are read, so an HTX
    with hundreds of fields costs one light query."""
    rows = session.execute(
        select(Field.code, Field.name, Field.area_m2, Field.geometry)
        .where(Field.organisation_id == organisation_id)
        .order_by(Field.code)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": code,
                "geometry": geometry,
                "properties": {
                    "code": code,
                    "name": name,
                    "area_ha": area_m2 / M2_PER_HA,
                    "href": href(code),
                },
            }
            for code, name, area_m2, geometry in rows
        ],
    }
