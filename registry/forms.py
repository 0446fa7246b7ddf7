"""Base page form: CSRF from Flask-WTF, and WTForms' own messages translated by our catalogue
(WTForms ships no Vietnamese)."""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

# Messages WTForms produces itself; listed here so that extraction puts them in our catalogue.
WTFORMS_MESSAGES = (
    _l("Not a valid choice."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("This field is required."),
    _l("Invalid input."),
)


class _CatalogueTranslations:
    """WTForms formats the messages itself, so these only look them up (no % formatting)."""

    def gettext(self, string: str) -> str:
        return str(get_translations().ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(get_translations().ungettext(singular, plural, n))


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> _CatalogueTranslations:
            return _CatalogueTranslations()
