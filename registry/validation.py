"""Validation messages in the person's language.

Marshmallow and webargs speak English. Their fixed messages are listed here so that our
catalogue translates them, and `localise` renders any message structure (plain msgids or
lazy strings from our own validators) in the current language before it is shown."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

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
