"""The fields and checks of a calculator document (DESIGN §10, §10b): JSON numbers only, and
bounds that keep every product finite, far above any real field. Shared by the schema
(calc_schema.py) and the crop rules (crop_rules.py). Messages are lazy."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from registry.validation import Integer

MAX_AREA_HA = 100_000
MAX_T_HA = 100
MAX_KG = 100_000_000
MAX_STRAW_T = 1_000_000
MAX_AMENDMENTS = 50
MAX_LITRES = 100_000_000
MAX_KWH = 1_000_000_000
MAX_TREE_AGE = 150


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


def quantity(high: float) -> Number:
    """An optional quantity for the period, none when left out."""
    return Number(load_default=0.0, validate=between(0, high))


# Rice and annual crops are harvested in the period; a young orchard may not bear yet.
POSITIVE_YIELD = above(0, MAX_KG)
