"""The §10 calculator input as a marshmallow schema, and ``calc_from_json``, the one entry
point that the ``registry mrv calc`` command, the API and the pages share.

Numbers must be JSON numbers: text such as ``"1.5"`` is refused rather than guessed at, as
are booleans. Fields not in §10 are refused. Messages are lazy, so they follow the person's
language; render them with ``registry.validation.localise`` before they leave the app.
``organic``, the N quantities, ``urea_kg`` and ``straw_burned_t`` may be left out and then
count as none; everything else without a §10 default is required. A baseline takes the
season's ``methodology``, ``gwp`` and ``region`` unless it gives its own, and must compare
like with like: its methodology and GWP set, when given, must be the season's.

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

from registry.validation import Integer
from registry.verify.calculator import CalcInput, CalcResult, OrganicAmendment, calculate
from registry.verify.methodology import (
    DEFAULT_ID,
    GWP_SETS,
    ORGANIC_KINDS,
    PRESEASONS,
    REGIONS,
    WATER_REGIMES,
    UnknownMethodology,
    load_methodology,
)

# Upper bounds keep every product finite; they are far above any real field-season.
MAX_AREA_HA = 100_000
MAX_T_HA = 100
MAX_KG = 100_000_000
MAX_STRAW_T = 1_000_000
MAX_AMENDMENTS = 50


class Number(fields.Float):
    """A JSON number: not text, not a boolean, not NaN or infinity."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str | bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(Integer):
    """A JSON number with no fractional part (``90`` or ``90.0``), as an int."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return int(value)


TOO_SMALL = _l("Too small: the figure per unit would be larger than any number.")


def one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error=_l("Must be one of: {choices}."))


def between(low: float, high: float) -> validate.Range:
    return validate.Range(min=low, max=high, error=_l("Must be between {min} and {max}."))


def above(low: float, high: float) -> validate.Range:
    return validate.Range(
        min=low,
        max=high,
        min_inclusive=False,
        error=_l("Must be more than {min} and at most {max}."),
    )


class OrganicSchema(Schema):
    """An organic amendment: straw in dry weight, the others in fresh weight (IPCC Eq. 5.3)."""

    kind = fields.String(required=True, validate=one_of(ORGANIC_KINDS))
    t_ha = Number(required=True, validate=between(0, MAX_T_HA))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> OrganicAmendment:
        return OrganicAmendment(kind=data["kind"], t_ha=data["t_ha"])


class SeasonSchema(Schema):
    """The fields of one field-season; quantities are totals for the season."""

    methodology = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60, error=_l("Between {min} and {max} characters.")),
    )
    gwp = fields.String(load_default=None, validate=one_of(GWP_SETS))
    region = fields.String(load_default=None, validate=one_of(REGIONS))
    area_ha = Number(required=True, validate=above(0, MAX_AREA_HA))
    cultivation_days = WholeNumber(required=True, validate=between(1, 365))
    water_regime = fields.String(required=True, validate=one_of(WATER_REGIMES))
    preseason = fields.String(required=True, validate=one_of(PRESEASONS))
    organic = fields.List(
        fields.Nested(OrganicSchema),
        load_default=list,
        validate=validate.Length(max=MAX_AMENDMENTS, error=_l("At most {max} items.")),
    )
    synthetic_n_kg = Number(load_default=0.0, validate=between(0, MAX_KG))
    organic_n_kg = Number(load_default=0.0, validate=between(0, MAX_KG))
    urea_kg = Number(load_default=0.0, validate=between(0, MAX_KG))
    straw_burned_t = Number(load_default=0.0, validate=between(0, MAX_STRAW_T))
    yield_kg = Number(required=True, validate=above(0, MAX_KG))


class BaselineSchema(SeasonSchema):
    """The season to compare with (usually the field's 2020 season); it has no baseline."""


class CalcInputSchema(SeasonSchema):
    """The §10 input; loads as a ``CalcInput``."""

    methodology = fields.String(
        load_default=DEFAULT_ID,
        validate=validate.Length(min=1, max=60, error=_l("Between {min} and {max} characters.")),
    )
    gwp = fields.String(load_default="AR5", validate=one_of(GWP_SETS))
    region = fields.String(load_default="south_east_asia", validate=one_of(REGIONS))
    baseline = fields.Nested(BaselineSchema, load_default=None)

    @validates_schema
    def like_with_like(self, data: dict[str, Any], **_: Any) -> None:
        errors = {name: [_l("Must be the same as the season's.")] for name in _unlike(data)}
        if errors:
            raise ValidationError({"baseline": errors})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> CalcInput:
        return _make(data)


def _unlike(data: dict[str, Any]) -> list[str]:
    """What a loaded baseline states differently from its season."""
    baseline = data.get("baseline")
    if not baseline:
        return []
    return [name for name in ("methodology", "gwp") if baseline[name] not in (None, data[name])]


def _make(data: dict[str, Any]) -> CalcInput:
    baseline = data.pop("baseline")
    season = _season(data, None)
    return season if baseline is None else replace(season, baseline=_season(baseline, season))


def _season(data: dict[str, Any], parent: CalcInput | None) -> CalcInput:
    inherited = {
        name: data[name] if data[name] is not None else getattr(parent, name)
        for name in ("methodology", "gwp", "region")
    }
    values = {k: v for k, v in data.items() if k not in inherited}
    values["organic"] = tuple(values["organic"])
    return CalcInput(**values, **inherited)


def load_input(document: object) -> CalcInput:
    """The document as a ``CalcInput``; raises ValidationError with field-level messages."""
    return cast(CalcInput, CalcInputSchema().load(cast(Any, document)))


class _Unsure(Exception):
    """``quick_load`` leaves the document to the schema."""


@functools.cache
def _fields() -> tuple[dict[str, fields.Field], dict[str, fields.Field], dict[str, fields.Field]]:
    """The declared fields of the season, its baseline and an amendment, with validators."""
    return CalcInputSchema().fields, BaselineSchema().fields, OrganicSchema().fields


def quick_load(document: object) -> CalcInput | None:
    """``load_input(document)`` at a small fraction of its cost, or None when unsure.

    It reads the schema's own fields: their types as ``Number``, ``WholeNumber`` and
    ``String`` deserialise them, their defaults and validators, and the like-with-like
    rule. Anything the schema might refuse or convert differently (a missing or unknown
    field, text, a boolean, NaN, a value out of range, a null) gives None, so callers fall
    back to ``load_input``, which explains. Whenever it returns a ``CalcInput``, that
    equals ``load_input``'s (tests/verify/test_results.py checks this on generated
    documents)."""
    season, baseline, _ = _fields()
    try:
        data = _plain(document, season)
        if data["baseline"] is not None:
            data["baseline"] = _plain(data["baseline"], baseline)
    except _Unsure:
        return None
    return None if _unlike(data) else _make(data)


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
    if isinstance(field, fields.Nested):  # the baseline, read by the caller
        if type(raw) is not dict:
            raise _Unsure
        return raw
    if isinstance(field, fields.List):  # organic amendments
        if type(raw) is not list:
            raise _Unsure
        amendment = _fields()[2]
        value: Any = [OrganicAmendment(**_plain(item, amendment)) for item in raw]
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
    """Validate ``document``, compute it and return the §10 result JSON.

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
            if not math.isfinite(figure)
        }
        if wrong:
            errors.update({part: wrong} if part else wrong)
    if errors:
        raise ValidationError(errors)
