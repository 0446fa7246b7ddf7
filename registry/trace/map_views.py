"""What the field map's script reads (static/js/field-map.js): its settings, the HTX's fields
as GeoJSON, and a local PMTiles basemap served by range, so no map request leaves the
registry unless the operator configured a remote basemap."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, send_file, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from registry.accounts.access import principal
from registry.db import db
from registry.trace import maps
from registry.trace.map_schemas import FieldsGeoJsonOut, MapConfigOut
from registry.trace.views import producer_only

bp = Blueprint("maps", __name__)


def _basemap() -> maps.Basemap | None:
    found: maps.Basemap | None = current_app.extensions["basemap"]
    return found


@bp.get("/map/config.json")
@producer_only
def config() -> dict[str, Any]:
    """The basemap (or none: a plain background), the walk's accuracy limit, the bounds."""
    result: dict[str, Any] = MapConfigOut().dump(maps.map_config(_basemap()))
    return result


@bp.get("/fields/map.geojson")
@producer_only
def features() -> Response:
    """The HTX's fields; an unchanged list answers 304 to the phone's copy (its ETag), so a
    slow connection does not fetch hundreds of boundaries again on every visit."""
    collection = maps.field_features(
        db.session,
        principal().organisation_id,
        lambda code: url_for("trace.field", code=code),
    )
    response = jsonify(FieldsGeoJsonOut().dump(collection))
    response.mimetype = "application/geo+json"
    response.cache_control.private = True
    response.cache_control.no_cache = True  # always ask, usually answered 304
    response.add_etag()
    return response.make_conditional(request)


@bp.get(maps.LOCAL_PMTILES_PATH)
@login_required
def pmtiles() -> Response:
    """The local PMTiles file; the browser reads it by HTTP range requests (206)."""
    basemap = _basemap()
    if basemap is None or basemap.file is None:
        abort(404)
    return send_file(basemap.file, mimetype="application/octet-stream", conditional=True)
