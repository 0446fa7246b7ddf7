"""The calculator's query string (the shareable link, docs/calculator.md) as a
marshmallow schema, built from units.json and the methodology's vocabularies so that a new
fertiliser grade or unit is a data change. Blank form fields count as left out; numbers
take a decimal point or a Vietnamese decimal comma. Messages are lazy, shown beside the
field in the reader's language."""

from __future__ import annotations

import functools
import math
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from registry.calculator.data import units
from registry.verify.calc_fields import MAX_AREA_HA, MAX_KG, MAX_KWH, MAX_LITRES, MAX_TREE_AGE
from registry.verify.methodology import (
    CLIMATES,
    DEFAULT_ID,
    PRESEASONS,
    WATER_REGIMES,
    load_methodology,
)

CHOOSE = _l("Choose one of the options.")
MAX_M2 = MAX_AREA_HA * 10_000  # the largest area in the smallest unit
NOT_A_NUMBER = {
    key: _l("Enter a number, for example 1.5.") for key in ("invalid", "special", "too_large")
}


class Amount(fields.Float):
    """A number a person typed: ``1.5`` or ``1,5``; never NaN or infinity."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and "," in text and "." not in text:
            text = text.replace(",", ".")
        found = super()._deserialize(text, attr, data, **kwargs)
        if found is not None and not math.isfinite(found):
            raise self.make_error("special")
        return found


def whole(low: int, high: int, message: Any) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(low, high, error=message),
        error_messages={"invalid": _l("Enter a whole number, for example 100.")},
    )


def amount(high: float, *, positive: bool = False) -> Amount:
    if positive:
        check = validate.Range(
            min=0, max=high, min_inclusive=False, error=_l("Enter a number above 0.")
        )
    else:
        check = validate.Range(min=0, max=high, error=_l("Enter a number of 0 or more."))
    return Amount(validate=check, allow_nan=False, error_messages=NOT_A_NUMBER)


def choice(codes: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(tuple(codes), error=CHOOSE))


def unit_of(quantity: str) -> fields.String:
    q = units().quantities[quantity]
    return fields.String(load_default=q.default, validate=validate.OneOf(q.units, error=CHOOSE))


class _Blanks(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def drop_blanks(self, data: Any, **_: Any) -> Any:
        """A GET form sends every field; the empty ones were left out."""
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


@functools.cache
def query_schema() -> type[Schema]:
    """The schema of the calculator's query string."""
    u = units()
    crops = load_methodology(DEFAULT_ID).crops
    spec: dict[str, fields.Field] = {
        "crop": fields.String(required=True, validate=validate.OneOf(tuple(crops), error=CHOOSE)),
        "area": amount(MAX_M2, positive=True),  # required: the view asks for it
        "area_unit": fields.String(
            load_default="ha", validate=validate.OneOf(tuple(u.area_units), error=CHOOSE)
        ),
        "yield": amount(MAX_KG),
        "yield_unit": unit_of("yield"),
        "days": whole(1, 365, _l("Between {min} and {max} days.")),
        "water": choice(WATER_REGIMES),
        "preseason": fields.String(
            load_default="nonflooded_short", validate=choice(PRESEASONS).validate
        ),
        "n_syn": amount(MAX_KG),
        "n_org": amount(MAX_KG),
        "residue": fields.String(load_default="removed"),  # its codes depend on the crop
        "residue_amount": amount(MAX_KG),
        "residue_unit": unit_of("amendment"),
        "diesel": amount(MAX_LITRES),
        "pump_diesel": amount(MAX_LITRES),
        "petrol": amount(MAX_LITRES),
        "kwh": amount(MAX_KWH),
        "tree_age": whole(0, MAX_TREE_AGE, _l("Between {min} and {max} years.")),
        "removed_area": amount(MAX_M2),
        "climate": fields.String(load_default="tropical_moist", validate=choice(CLIMATES).validate),
    }
    for group, quantity in (
        ("fertilisers", "fertiliser"),
        ("amendments", "amendment"),
        ("limes", "lime"),
    ):
        for code in getattr(u, group):
            spec[code] = amount(MAX_KG)
            spec[f"{code}_unit"] = unit_of(quantity)
    return _Blanks.from_dict(spec, name="CalculatorQuery")
