"""Marshmallow shapes of what the field map's script reads: the map's settings and the
HTX's fields as a GeoJSON FeatureCollection (RFC 7946)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class BasemapOut(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["xyz", "pmtiles"]))
    url = fields.String(required=True)
    attribution = fields.String(required=True)
    max_zoom = fields.Integer(required=True)


class MapConfigOut(Schema):
    basemap = fields.Nested(BasemapOut, allow_none=True, required=True)
    walk_max_accuracy_m = fields.Integer(required=True)
    bounds = fields.List(fields.List(fields.Float()), required=True)  # [[S, W], [N, E]]


class FieldPropertiesOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    area_ha = fields.Float(required=True)
    href = fields.String(required=True)


class FieldFeatureOut(Schema):
    type = fields.Constant("Feature")
    id = fields.String(required=True)
    geometry = fields.Dict(required=True)
    properties = fields.Nested(FieldPropertiesOut, required=True)


class FieldsGeoJsonOut(Schema):
    type = fields.Constant("FeatureCollection")
    features = fields.List(fields.Nested(FieldFeatureOut), required=True)
