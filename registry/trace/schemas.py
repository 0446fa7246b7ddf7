"""Marshmallow shapes of fields, seasons and diary entries: one set of rules for the API,
the pages and spreadsheet imports. Messages are lazy, so they follow the person's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from registry import crops
from registry.db import GRAMS_PER_KG, M2_PER_HA
from registry.ledger.schemas import LogIndex
from registry.places import PROVINCES
from registry.trace.finding import Progress
from registry.trace.models import DiaryKind, Scheme, SeasonType
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
    log_index = LogIndex()


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
    """A season of any crop of the catalogue. Rice names its season (vụ); an annual crop's
    period is a crop cycle and an orchard's a growing year, which need not be named. An
    orchard's growing year gives its trees' planting year, and may give how many there are."""

    field = fields.String(required=True, validate=CODE)
    crop = fields.String(load_default=crops.DEFAULT, validate=one_of(crops.codes()))
    season_type = fields.String(load_default=None, validate=one_of(SeasonType))
    year = Integer(required=True, validate=between(2015, 2100))
    sowing_date = fields.Date(required=True)
    planting_year = Integer(load_default=None, validate=between(1900, 2100))
    tree_count = Integer(load_default=None, validate=between(1, 10_000_000))

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

    @validates_schema
    def period_of_the_crop(self, data: dict[str, Any], **_: Any) -> None:
        """The season type and the trees are the crop's kind's (crop catalogue)."""
        crop = crops.get(data["crop"])
        allowed = crop.kind.season_types
        if data["season_type"] is None and len(allowed) > 1:
            raise ValidationError(_l("Choose the season."), "season_type")
        if data["season_type"] not in (None, *allowed):
            raise ValidationError(
                _l("%(crop)s is not grown in seasons of this kind.", crop=crop.name),
                "season_type",
            )
        if crop.kind.tree_stand:
            _check_planting_year(data)
        else:
            for name in ("planting_year", "tree_count"):
                if data[name] is not None:
                    raise ValidationError(_l("Only perennial crops record their trees."), name)

    @post_load
    def only_period(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """A crop with one kind of period opens that kind when none is named."""
        if data["season_type"] is None:
            data["season_type"] = crops.get(data["crop"]).kind.season_types[0]
        return data


def _check_planting_year(data: dict[str, Any]) -> None:
    planted = data["planting_year"]
    if planted is None:
        raise ValidationError(_l("Give the year the trees were planted."), "planting_year")
    if planted > data["sowing_date"].year:
        raise ValidationError(
            _l("The trees cannot be planted after the growing year starts."), "planting_year"
        )


class SeasonOut(Schema):
    code = fields.String()
    field = fields.String(attribute="field.code")
    crop = fields.String()
    crop_kind = fields.String(attribute="crop_info.kind.code")
    period = fields.String(attribute="crop_info.kind.period")
    season_type = fields.String()
    year = fields.Integer()
    cycle = fields.Integer()
    sowing_date = fields.Date(metadata={"description": "start: sowing, planting, growing year"})
    planting_year = fields.Integer(allow_none=True)
    tree_age_years = fields.Integer(allow_none=True)
    tree_count = fields.Integer(allow_none=True)
    harvest_date = fields.Date(allow_none=True)
    harvested_kg = fields.Float(allow_none=True)
    status = fields.String()
    is_baseline = fields.Boolean()


# ---------------------------------------------------------------- list filters
class ListQuery(Schema):
    """A list's filters from a query string, so that a filtered page is a URL to share. An
    empty box is no filter; unknown parameters are left alone; `page` counts from 1 (the
    API answers every row when it is not given)."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        load_default=None, validate=validate.Length(max=100, error=_l("At most {max} characters."))
    )
    page = Integer(load_default=None, validate=between(1, 100_000))

    @pre_load
    def empty_is_none(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in stripped.items() if v != ""}


class FieldQuery(ListQuery):
    commune = fields.String(load_default=None, validate=validate.Length(max=100))
    crop = fields.String(load_default=None, validate=one_of(crops.codes()))


class SeasonQuery(ListQuery):
    crop = fields.String(load_default=None, validate=one_of(crops.codes()))
    year = Integer(load_default=None, validate=between(2015, 2100))
    status = fields.String(load_default=None, validate=one_of(Progress))
    missing = fields.Boolean(
        load_default=False,
        metadata={"description": "only seasons lacking a diary entry their MRV result needs"},
    )


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
    """Fuel (litres) or electricity (kWh) used on the farm."""

    source = fields.String(required=True, validate=one_of(["diesel", "petrol", "electricity"]))
    amount = quantity(1_000_000, required=True, metadata={"description": "litres or kWh"})
    purpose = fields.String(
        load_default="pumping",
        validate=one_of(
            ["pumping", "land_preparation", "harvesting", "transport", "cold_storage", "other"]
        ),
    )


class SowingData(Strict):
    """An annual crop sown or planted: what, how, and how much seed or how many plants."""

    variety = text(120, required=True)
    method = fields.String(required=True, validate=one_of(["sown", "transplanted", "cuttings"]))
    seed_kg = quantity(100_000, load_default=None)
    plants = Integer(load_default=None, validate=between(1, 100_000_000))


class PlantingData(Strict):
    """Fruit trees planted, or the orchard's trees as they stand: how many, in which year."""

    trees = Integer(required=True, validate=between(1, 10_000_000))
    planting_year = Integer(required=True, validate=between(1900, 2100))
    variety = text(120, load_default=None)


class LimeData(Strict):
    """Lime spread (IPCC 2006 Vol 4 Eq. 11.12): limestone or dolomite, in tonnes."""

    lime_type = fields.String(required=True, validate=one_of(["limestone", "dolomite"]))
    tonnes = quantity(1000, required=True)


class IrrigationData(Strict):
    """Watering: how, for how long, and the fuel or electricity its pump used."""

    system = fields.String(required=True, validate=one_of(["sprinkler", "drip", "hose", "furrow"]))
    source = fields.String(
        required=True, validate=one_of(["electricity", "diesel", "petrol", "none"])
    )
    amount = fields.Float(
        load_default=None,
        validate=between(0, 1_000_000),
        allow_nan=False,
        metadata={"description": "litres of fuel or kWh the pump used"},
    )
    hours = fields.Float(load_default=None, validate=between(0, 10_000), allow_nan=False)

    @validates_schema
    def energy_of_the_pump(self, data: dict[str, Any], **_: Any) -> None:
        if data["source"] != "none" and data["amount"] is None:
            raise ValidationError(_l("Give the litres of fuel or the kWh the pump used."), "amount")
        if data["source"] == "none" and data["amount"]:
            raise ValidationError(_l("Without a pump, leave the amount empty."), "amount")


class ResidueData(Strict):
    """What was done with crop residues or prunings, in tonnes of dry matter."""

    practice = fields.String(
        required=True,
        validate=one_of(["left", "incorporated", "removed", "composted", "burned"]),
    )
    tonnes = fields.Float(required=True, validate=between(0, 1000), allow_nan=False)
    n_pct = fields.Float(
        load_default=None,
        validate=between(0, 10),
        allow_nan=False,
        metadata={"description": "N in the dry matter, %; empty: the crop's usual value"},
    )


class PruningData(Strict):
    style = fields.String(
        required=True, validate=one_of(["after_harvest", "shaping", "rejuvenation", "sanitation"])
    )
    trees = Integer(load_default=None, validate=between(1, 10_000_000))


class TreesData(Strict):
    """Trees cut and not replaced, or cut and replanted: by count, area, or both."""

    change = fields.String(required=True, validate=one_of(["cut", "replanted"]))
    trees = Integer(load_default=None, validate=between(1, 10_000_000))
    area_ha = quantity(1000, M2_HA, load_default=None)

    @validates_schema
    def how_many(self, data: dict[str, Any], **_: Any) -> None:
        if data["trees"] is None and data["area_ha"] is None:
            raise ValidationError(_l("Give the number of trees or the area (ha)."), "trees")


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
    DiaryKind.SOWING: SowingData,
    DiaryKind.PLANTING: PlantingData,
    DiaryKind.LIME: LimeData,
    DiaryKind.IRRIGATION: IrrigationData,
    DiaryKind.RESIDUE: ResidueData,
    DiaryKind.PRUNING: PruningData,
    DiaryKind.TREES: TreesData,
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
    log_index = LogIndex()


class EvidenceOut(Schema):
    sha256 = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    original_name = fields.String()
    metadata = fields.Dict(attribute="meta")


class PhotoContextIn(Strict):
    """When and where the phone says a photo was taken (the file's time and the phone's
    position when it was chosen), for photos whose EXIF no longer says so: phones strip
    the position from photos picked in a browser."""

    taken_at = fields.AwareDateTime(load_default=None)
    lat = fields.Float(load_default=None, validate=between(-90, 90))
    lon = fields.Float(load_default=None, validate=between(-180, 180))
    accuracy_m = fields.Float(load_default=None, validate=between(0, 100_000))

    @validates_schema
    def both_coordinates(self, data: dict[str, Any], **_: Any) -> None:
        if (data["lat"] is None) != (data["lon"] is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."), "lat")
