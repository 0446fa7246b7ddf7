"""Marshmallow shapes of fields, seasons and diary entries: one set of rules for the API,
the pages and spreadsheet imports. Messages are lazy, so they follow the person's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from registry.db import GRAMS_PER_KG, M2_PER_HA
from registry.places import PROVINCES
from registry.trace.models import Crop, DiaryKind, Scheme, SeasonType
from registry.validation import Id, Integer

CODE = validate.Regexp(
    r"^[A-Z0-9-]{1,20}$", error=_l("Use 1 to 20 characters: capital letters, digits and -.")
)
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error=_l("Not a SHA-256 digest."))


def one_of(values: Any) -> validate.OneOf:
    choices = [v.value if hasattr(v, "value") else v for v in values]
    return validate.OneOf(choices, error=_l("Must be one of: {choices}."))


def between(low: float, high: float, *, low_inclusive: bool = True) -> validate.Range:
    message = (
        _l("Must be between {min} and {max}.")
        if low_inclusive
        else _l("Must be more than {min} and at most {max}.")
    )
    return validate.Range(min=low, max=high, min_inclusive=low_inclusive, error=message)


def text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Length(
            min=1, max=max_length, error=_l("Between {min} and {max} characters.")
        ),
        **kwargs,
    )


GRAM_KG = 1 / GRAMS_PER_KG  # the least mass the registry stores (in whole grams)
M2_HA = 1 / M2_PER_HA  # the least area it stores (in whole m²)


def quantity(high: float, smallest: float | None = None, **kwargs: Any) -> fields.Float:
    """A positive amount up to `high`. Amounts the registry stores in whole units give their
    `smallest` (1 g, 1 m²): a lesser one would be stored as nothing."""
    rule = between(smallest, high) if smallest else between(0, high, low_inclusive=False)
    return fields.Float(validate=rule, allow_nan=False, **kwargs)


class Strict(Schema):
    @pre_load
    def strip_strings(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data


class FieldIn(Strict):
    code = fields.String(required=True, validate=CODE)
    planting_area_code = text(40, load_default=None)
    name = text(120, required=True)
    area_ha = quantity(1000, M2_HA, required=True)
    province = fields.String(required=True, validate=one_of(PROVINCES))
    commune = text(100, required=True)
    household = text(120, load_default=None)
    location = fields.Dict(
        required=True,
        metadata={"description": "GeoJSON Point or Polygon geometry, [longitude, latitude]"},
    )

    @pre_load
    def upper_code(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            return {**data, "code": data["code"].strip().upper()}
        return data


class FieldOut(Schema):
    code = fields.String()
    planting_area_code = fields.String(allow_none=True)
    name = fields.String()
    area_ha = fields.Float()
    drawn_area_ha = fields.Float(allow_none=True)
    province = fields.String()
    commune = fields.String()
    location = fields.Dict(attribute="geometry")
    created_at = fields.DateTime()
    log_index = fields.Integer()


class CertificationIn(Strict):
    scheme = fields.String(required=True, validate=one_of(Scheme))
    number = text(60, required=True)
    issuer = text(120, required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    ocop_stars = Integer(load_default=None, validate=between(3, 5))
    document = fields.String(load_default=None, validate=SHA256)

    @validates_schema
    def dates_and_stars(self, data: dict[str, Any], **_: Any) -> None:
        if data["valid_until"] < data["valid_from"]:
            raise ValidationError(_l("Must not be before the start of validity."), "valid_until")
        if data["scheme"] == Scheme.OCOP and data.get("ocop_stars") is None:
            raise ValidationError(_l("OCOP certificates have 3 to 5 stars."), "ocop_stars")


class SeasonIn(Strict):
    field = fields.String(required=True, validate=CODE)
    crop = fields.String(load_default=Crop.RICE.value, validate=one_of(Crop))
    season_type = fields.String(required=True, validate=one_of(SeasonType))
    year = Integer(required=True, validate=between(2015, 2100))
    sowing_date = fields.Date(required=True)

    @validates_schema
    def sowing_in_season_year(self, data: dict[str, Any], **_: Any) -> None:
        if data["sowing_date"].year not in (data["year"] - 1, data["year"]):
            raise ValidationError(
                _l(
                    "Sowing must fall in the season's year or the year "
                    "before (Đông Xuân starts in the year before)."
                ),
                "sowing_date",
            )


class SeasonOut(Schema):
    code = fields.String()
    field = fields.String(attribute="field.code")
    crop = fields.String()
    season_type = fields.String()
    year = fields.Integer()
    sowing_date = fields.Date()
    harvest_date = fields.Date(allow_none=True)
    harvested_kg = fields.Float(allow_none=True)
    status = fields.String()
    is_baseline = fields.Boolean()


# ---------------------------------------------------------------- diary entry data by kind
class WaterData(Strict):
    """Flooding or drainage; an AWD cycle is a drainage with the date it was flooded again."""

    event = fields.String(required=True, validate=one_of(["flooding", "drainage"]))
    end_date = fields.Date(load_default=None)


class FertiliserData(Strict):
    product = text(120, required=True)
    n_pct = fields.Float(load_default=None, validate=between(0, 100), allow_nan=False)
    kg = quantity(100_000, required=True)
    organic = fields.Boolean(load_default=False)
    urea = fields.Boolean(load_default=False)

    @post_load
    def urea_nitrogen(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data["urea"] and data["n_pct"] is None:
            data["n_pct"] = 46.0  # urea is 46 % N
        if data["n_pct"] is None:
            raise ValidationError(_l("Give the nitrogen content in %."), "n_pct")
        if data["urea"] and data["organic"]:
            raise ValidationError(_l("Urea is a synthetic fertiliser."), "organic")
        return data


class AmendmentData(Strict):
    material = fields.String(
        required=True, validate=one_of(["straw", "compost", "farmyard_manure", "green_manure"])
    )
    t_ha = fields.Float(required=True, validate=between(0, 50), allow_nan=False)


class StrawData(Strict):
    practice = fields.String(
        required=True,
        validate=one_of(["incorporated", "removed", "burned", "mushroom", "composted"]),
    )
    tonnes = fields.Float(required=True, validate=between(0, 1000), allow_nan=False)


class PesticideData(Strict):
    product = text(120, required=True)
    active_ingredient = text(120, load_default=None)
    amount = quantity(10_000, required=True)
    unit = fields.String(required=True, validate=one_of(["l", "ml", "kg", "g"]))


class HarvestData(Strict):
    kg = quantity(1_000_000, GRAM_KG, required=True)
    moisture_pct = fields.Float(load_default=None, validate=between(0, 40), allow_nan=False)


class EnergyData(Strict):
    source = fields.String(required=True, validate=one_of(["diesel", "electricity"]))
    amount = quantity(1_000_000, required=True, metadata={"description": "litres or kWh"})
    purpose = fields.String(
        load_default="pumping",
        validate=one_of(["pumping", "land_preparation", "harvesting", "transport", "other"]),
    )


class NoteData(Strict):
    text = text(2000, required=True)


DIARY_DATA: dict[DiaryKind, type[Schema]] = {
    DiaryKind.WATER: WaterData,
    DiaryKind.FERTILISER: FertiliserData,
    DiaryKind.AMENDMENT: AmendmentData,
    DiaryKind.STRAW: StrawData,
    DiaryKind.PESTICIDE: PesticideData,
    DiaryKind.HARVEST: HarvestData,
    DiaryKind.ENERGY: EnergyData,
    DiaryKind.NOTE: NoteData,
}


class DiaryEntryIn(Strict):
    season = fields.String(required=True)
    kind = fields.String(required=True, validate=one_of(DiaryKind))
    date = fields.Date(required=True)
    data = fields.Dict(required=True)
    evidence = fields.List(fields.String(validate=SHA256), load_default=list)
    supersedes = Id(load_default=None)
    reason = text(300, load_default=None)

    @post_load
    def typed_data(self, entry: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Validate `data` by the entry's kind; its errors are reported under `data`."""
        schema = DIARY_DATA[DiaryKind(entry["kind"])]()
        try:
            entry["data"] = _jsonable(schema.load(entry["data"]))
        except ValidationError as exc:
            raise ValidationError({"data": exc.messages}) from exc
        if entry["supersedes"] is not None and not entry["reason"]:
            raise ValidationError(_l("Say why the earlier entry is corrected."), "reason")
        return entry


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Dates as ISO text, so the stored entry is plain JSON (and canonicalises)."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in data.items()}


class DiaryEntryOut(Schema):
    id = fields.Integer()
    season = fields.String(attribute="season.code")
    kind = fields.String()
    date = fields.Date()
    data = fields.Dict()
    evidence = fields.List(fields.String())
    supersedes = fields.Integer(attribute="supersedes_id", allow_none=True)
    reason = fields.String(allow_none=True)
    digest = fields.String()
    recorded_at = fields.DateTime()
    log_index = fields.Integer()


class EvidenceOut(Schema):
    sha256 = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    original_name = fields.String()
    metadata = fields.Dict(attribute="meta")
