"""The calculator input of DESIGN §10 and §10b as a marshmallow schema, and
``calc_from_json``, the one entry point that the ``registry mrv calc`` command, the API and
the pages share.

Numbers must be JSON numbers: text such as ``"1.5"`` is refused rather than guessed at, as
are booleans. Fields not in §10 or §10b are refused. Messages are lazy, so they follow the
person's language; render them with ``registry.validation.localise`` before they leave the
app. Quantities may be left out and then count as none; ``area_ha`` and ``yield_kg`` are
required, and what else a crop requires or refuses is in ``crop_rules`` (the rice fields for
rice, the tree age for orchards). A document without ``methodology`` is computed with
``DEFAULT_ID`` (§10b); without ``crop`` it is rice. A baseline takes the season's
``methodology``, ``gwp``, ``region`` and ``crop`` unless it gives its own, and must compare
like with like: its methodology, GWP set and crop, when given, must be the season's.

``quick_load`` builds the same ``CalcInput`` without marshmallow's machinery for documents
that need no explaining (the registry's own, computed in bulk), checking each value with
the schema's own validators."""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    post_load,
    validate,
    validates_schema,
)

from registry.verify import crop_rules
from registry.verify.calc_fields import (
    MAX_AMENDMENTS,
    MAX_AREA_HA,
    MAX_KG,
    MAX_KWH,
    MAX_LITRES,
    MAX_STRAW_T,
    MAX_T_HA,
    MAX_TREE_AGE,
    Number,
    WholeNumber,
    above,
    between,
    one_of,
    quantity,
)
from registry.verify.calculator import CalcInput, CalcResult, Lime, OrganicAmendment, calculate
from registry.verify.methodology import (
    CLIMATES,
    DEFAULT_ID,
    GWP_SETS,
    ORGANIC_KINDS,
    PRESEASONS,
    REGIONS,
    WATER_REGIMES,
    UnknownMethodology,
    load_methodology,
)

TOO_SMALL = _l("Too small: the figure per unit would be larger than any number.")
INHERITED = ("methodology", "gwp", "region", "crop")  # a baseline takes the season's
LIKE_WITH_LIKE = ("methodology", "gwp", "crop")  # and may not state another
# The methodology file names the crops (crop_rules checks the code against it).
CROP_CODE = validate.Length(min=1, max=40, error=_l("Between {min} and {max} characters."))


def absent(field: fields.Field) -> fields.Field:
    """``field`` as None when left out, but never ``null`` in a document: for the fields
    that only some crops take (crop_rules says which require them)."""
    field.load_default = None
    field.allow_none = False
    return field


class OrganicSchema(Schema):
    """An organic amendment: straw in dry weight, the others in fresh weight (IPCC Eq. 5.3)."""

    kind = fields.String(required=True, validate=one_of(ORGANIC_KINDS))
    t_ha = Number(required=True, validate=between(0, MAX_T_HA))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> OrganicAmendment:
        return OrganicAmendment(kind=data["kind"], t_ha=data["t_ha"])


class LimeSchema(Schema):
    """Agricultural lime applied in the period, in tonnes (§10b)."""

    limestone_t = quantity(MAX_STRAW_T)
    dolomite_t = quantity(MAX_STRAW_T)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Lime:
        return Lime(**data)


class SeasonSchema(Schema):
    """The fields of one period (a rice season, a crop cycle, an orchard's growing year);
    quantities are totals for the period."""

    methodology = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60, error=_l("Between {min} and {max} characters.")),
    )
    gwp = fields.String(load_default=None, validate=one_of(GWP_SETS))
    region = fields.String(load_default=None, validate=one_of(REGIONS))
    crop = fields.String(load_default=None, validate=CROP_CODE)
    area_ha = Number(required=True, validate=above(0, MAX_AREA_HA))
    cultivation_days = absent(WholeNumber(validate=between(1, 365)))
    water_regime = absent(fields.String(validate=one_of(WATER_REGIMES)))
    preseason = absent(fields.String(validate=one_of(PRESEASONS)))
    organic = fields.List(
        fields.Nested(OrganicSchema),
        load_default=list,
        validate=validate.Length(max=MAX_AMENDMENTS, error=_l("At most {max} items.")),
    )
    synthetic_n_kg = quantity(MAX_KG)
    organic_n_kg = quantity(MAX_KG)
    urea_kg = quantity(MAX_KG)
    straw_burned_t = quantity(MAX_STRAW_T)
    lime = fields.Nested(LimeSchema, load_default=Lime)
    diesel_l = quantity(MAX_LITRES)
    petrol_l = quantity(MAX_LITRES)
    electricity_kwh = quantity(MAX_KWH)
    residue_n_kg = quantity(MAX_KG)
    residue_burned_t = quantity(MAX_STRAW_T)
    tree_age_years = absent(WholeNumber(validate=between(0, MAX_TREE_AGE)))
    removed_area_ha = quantity(MAX_AREA_HA)
    climate = absent(fields.String(validate=one_of(CLIMATES)))
    # > 0 for rice and annual crops (crop_rules), ≥ 0 for an orchard not bearing yet
    yield_kg = Number(required=True, validate=between(0, MAX_KG))


class BaselineSchema(SeasonSchema):
    """The season to compare with (usually the field's 2020 season); it has no baseline."""


class CalcInputSchema(SeasonSchema):
    """The §10 and §10b input; loads as a ``CalcInput``."""

    methodology = fields.String(
        load_default=DEFAULT_ID,
        validate=validate.Length(min=1, max=60, error=_l("Between {min} and {max} characters.")),
    )
    gwp = fields.String(load_default="AR5", validate=one_of(GWP_SETS))
    region = fields.String(load_default="south_east_asia", validate=one_of(REGIONS))
    crop = fields.String(load_default="rice", validate=CROP_CODE)  # §10b: rice by default
    baseline = fields.Nested(BaselineSchema, load_default=None)

    @validates_schema
    def like_with_like(self, data: dict[str, Any], **_: Any) -> None:
        errors = {name: [_l("Must be the same as the season's.")] for name in _unlike(data)}
        if errors:
            raise ValidationError({"baseline": errors})

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def fits_the_crop(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """The crop rules, reported with the other field errors."""
        errors = crop_rules.problems(data, *_given(original))
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> CalcInput:
        return _make(data)


def _unlike(data: dict[str, Any]) -> list[str]:
    """What a loaded baseline states differently from its season."""
    baseline = data.get("baseline")
    if not baseline:
        return []
    return [name for name in LIKE_WITH_LIKE if baseline[name] not in (None, data[name])]


def _given(document: Any) -> tuple[set[str], set[str]]:
    """The names a document and its baseline gave."""
    season = set(document) if isinstance(document, dict) else set()
    baseline = document.get("baseline") if isinstance(document, dict) else None
    return season, set(baseline) if isinstance(baseline, dict) else set()


def _make(data: dict[str, Any]) -> CalcInput:
    baseline = data.pop("baseline")
    season = _season(data, None)
    return season if baseline is None else replace(season, baseline=_season(baseline, season))


def _season(data: dict[str, Any], parent: CalcInput | None) -> CalcInput:
    inherited = {
        name: data[name] if data[name] is not None else getattr(parent, name) for name in INHERITED
    }
    values = {k: v for k, v in data.items() if k not in inherited}
    values["organic"] = tuple(values["organic"])
    return CalcInput(**values, **inherited)


def load_input(document: object) -> CalcInput:
    """The document as a ``CalcInput``; raises ValidationError with field-level messages."""
    return cast(CalcInput, CalcInputSchema().load(cast(Any, document)))


class _Unsure(Exception):
    """``quick_load`` leaves the document to the schema."""


Fields = dict[str, fields.Field]


@functools.cache
def _fields() -> tuple[Fields, Fields, Fields, Fields]:
    """The declared fields of the season, its baseline, an amendment and lime, with their
    validators."""
    return (
        CalcInputSchema().fields,
        BaselineSchema().fields,
        OrganicSchema().fields,
        LimeSchema().fields,
    )


def quick_load(document: object) -> CalcInput | None:
    """``load_input(document)`` at a small fraction of its cost, or None when unsure.

    It reads the schema's own fields: their types as ``Number``, ``WholeNumber`` and
    ``String`` deserialise them, their defaults and validators, and the like-with-like
    rule. Anything the schema might refuse or convert differently (a missing or unknown
    field, text, a boolean, NaN, a value out of range, a null) gives None, so callers fall
    back to ``load_input``, which explains. Whenever it returns a ``CalcInput``, that
    equals ``load_input``'s (tests/verify/test_results.py checks this on generated
    documents)."""
    season, baseline, _, _ = _fields()
    try:
        data = _plain(document, season)
        if data["baseline"] is not None:
            data["baseline"] = _plain(data["baseline"], baseline)
    except _Unsure:
        return None
    if _unlike(data) or crop_rules.problems(data, *_given(document)):
        return None
    return _make(data)


def _plain(document: object, declared: dict[str, fields.Field]) -> dict[str, Any]:
    if type(document) is not dict or not document.keys() <= declared.keys():
        raise _Unsure
    data: dict[str, Any] = {}
    for name, field in declared.items():
        if name in document:
            data[name] = _value(field, document[name])
        elif field.required or field.load_default is missing:
            raise _Unsure
        else:
            default = field.load_default
            data[name] = default() if callable(default) else default
    return data


def _value(field: fields.Field, raw: Any) -> Any:
    if isinstance(field, fields.Nested):
        if type(raw) is not dict:
            raise _Unsure
        if field.nested is not LimeSchema:
            return raw  # the baseline, read by the caller
        value: Any = Lime(**_plain(raw, _fields()[3]))
    elif isinstance(field, fields.List):  # organic amendments
        if type(raw) is not list:
            raise _Unsure
        amendment = _fields()[2]
        value = [OrganicAmendment(**_plain(item, amendment)) for item in raw]
    elif isinstance(field, WholeNumber):
        if type(raw) is float and raw.is_integer():
            raw = int(raw)
        if type(raw) is not int:
            raise _Unsure
        value = raw
    elif isinstance(field, Number) and type(raw) in (int, float):
        value = float(raw) if abs(raw) <= sys.float_info.max else math.inf  # no OverflowError
        if not math.isfinite(value):
            raise _Unsure
    elif isinstance(field, fields.String) and type(raw) is str:
        value = raw
    else:
        raise _Unsure
    try:
        for check in field.validators:
            check(value)
    except ValidationError as exc:
        raise _Unsure from exc
    return value


def calc_from_json(
    document: object, *, version: int | None = None, folder: Path | None = None
) -> dict[str, Any]:
    """Validate ``document``, compute it and return the result JSON (§10, §10b).

    ``version`` pins the methodology version (a report recomputed as it was approved); None
    takes the latest. Raises ValidationError with field-level messages for bad input,
    including a methodology that does not exist."""
    return calc_from_input(load_input(document), version=version, folder=folder)


def calc_from_input(
    inputs: CalcInput, *, version: int | None = None, folder: Path | None = None
) -> dict[str, Any]:
    """The result JSON of already validated input (the API's schema loads it first)."""
    try:
        methodology = load_methodology(inputs.methodology, version, folder=folder)
    except UnknownMethodology as exc:
        raise ValidationError({"methodology": [exc.detail]}) from exc
    result = calculate(inputs, methodology)
    _check_finite(result)
    return result.to_json()


def _check_finite(result: CalcResult) -> None:
    """An area or a yield too small to divide by gives a figure per ha or per kg past the
    largest float: JSON has no number for it, so the input is refused rather than answered
    with `Infinity`."""
    errors: dict[str, Any] = {}
    for part, found in (("", result), ("baseline", result.baseline)):
        if found is None:
            continue
        wrong = {
            name: [TOO_SMALL]
            for name, figure in (
                ("area_ha", found.per_ha_kg_co2e),
                ("yield_kg", found.per_kg_product_g_co2e),
            )
            if figure is not None and not math.isfinite(figure)
        }
        if wrong:
            errors.update({part: wrong} if part else wrong)
    if errors:
        raise ValidationError(errors)
