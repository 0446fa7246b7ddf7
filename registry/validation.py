"""Validation messages in the person's language, and the bounds every integer input is held to.

Marshmallow and webargs speak English. Their fixed messages are listed here so that our
catalogue translates them, and `localise` renders any message structure (plain msgids or
lazy strings from our own validators) in the current language before it is shown."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter, Map

MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Invalid value."),
    _l("Unknown field."),
    _l("Invalid input type."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Number too large."),
    _l("Special numeric values (nan or infinity) are not permitted."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Invalid type."),
    _l("Not a valid email address."),
    _l("Shorter than minimum length 1."),
)


def localise(messages: Any) -> Any:
    """The same structure with every message rendered in the current language."""
    if isinstance(messages, dict):
        return {key: localise(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [localise(value) for value in messages]
    if isinstance(messages, str):
        return gettext(messages)
    return str(messages)


# ---------------------------------------------------------------- integers the database holds
INT_MIN = -(2**63)  # BIGINT on PostgreSQL (log indices and sizes) and SQLite's INTEGER
INT_MAX = 2**63 - 1
ID_MAX = 2**31 - 1  # record ids: INTEGER primary keys, 32 bits on PostgreSQL


class BoundedInt(IntegerConverter):
    """The `int` URL converter, bounded to a record id (0 to ID_MAX): a longer number does
    not match the route, so it is a 404 like any unknown id, never an overflow in the
    driver. A route whose number is wider says so, as `<int(max=…):name>`. The OpenAPI
    document states the bound (`maximum`) of every path integer."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def between(low: int, high: int) -> validate.Range:
    """A range whose message the catalogue translates (marshmallow's own is English)."""
    return validate.Range(min=low, max=high, error=_l("Must be between {min} and {max}."))


class Integer(fields.Integer):
    """Marshmallow's Integer, bounded to the database's signed 64-bit range: every integer
    that a query string or a body brings in goes through this field (or `Id`), so a huge
    number is a 422 field message instead of an overflow in the driver. The bound is a
    `Range`, so the OpenAPI document shows it; it is left out where the field's own `Range`
    is tighter."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not any(_within_bounds(v) for v in self.validators):
            self.validators.append(between(INT_MIN, INT_MAX))


class Id(Integer):
    """The id of a record (a batch, a request, a cursor over ids): 1 to ID_MAX."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=between(1, ID_MAX), **kwargs)


def _within_bounds(validator: Any) -> bool:
    return (
        isinstance(validator, validate.Range)
        and validator.min is not None
        and validator.max is not None
        and INT_MIN <= validator.min
        and validator.max <= INT_MAX
    )
