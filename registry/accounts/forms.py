"""Page forms (CSRF-protected by Flask-WTF); every message is translatable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Email, EqualTo, InputRequired, Length, Regexp

from registry.accounts.models import OrgKind, Role
from registry.accounts.service import SCOPES
from registry.forms import Form
from registry.places import PROVINCES

REQUIRED = _l("This field is required.")
CODE_PATTERN = r"^[A-Z0-9-]{2,20}$"

KIND_LABELS = {
    OrgKind.AUTHORITY: _l("Authority (Chi cục Trồng trọt và BVTV)"),
    OrgKind.PRODUCER: _l("Producer (cooperative)"),
    OrgKind.VERIFIER: _l("Verifier"),
    OrgKind.PROCESSOR: _l("Processor (mill)"),
    OrgKind.RETAILER: _l("Retailer"),
    OrgKind.COMMUNE_OFFICE: _l("Commune economy office"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STAFF: _l("Staff"),
    Role.VIEWER: _l("Viewer"),
}
SCOPE_LABELS = {
    "read": _l("Read"),
    "write": _l("Write"),
    "exchange": _l("Open-data exchange (national systems)"),
}


class LoginForm(Form):
    email = EmailField(
        _l("Email"), validators=[InputRequired(REQUIRED), Email(_l("Enter a valid email address."))]
    )
    password = PasswordField(_l("Password"), validators=[InputRequired(REQUIRED)])


class OrganisationForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(REQUIRED),
            Regexp(CODE_PATTERN, message=_l("2 to 20 characters: capital letters, digits and -.")),
        ],
        filters=[lambda v: v.strip().upper() if isinstance(v, str) else v],
    )
    name = StringField(_l("Name"), validators=[InputRequired(REQUIRED), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()],
        validators=[InputRequired(REQUIRED)],
    )
    province = SelectField(
        _l("Province or city"),
        choices=[SelectChoice(p) for p in PROVINCES],
        validators=[InputRequired(REQUIRED)],
    )
    commune = StringField(
        _l("Commune, ward or special zone"), validators=[InputRequired(REQUIRED), Length(max=100)]
    )


class UserForm(Form):
    name = StringField(_l("Full name"), validators=[InputRequired(REQUIRED), Length(max=120)])
    email = EmailField(
        _l("Email"), validators=[InputRequired(REQUIRED), Email(_l("Enter a valid email address."))]
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(REQUIRED),
            Length(min=10, max=200, message=_l("At least 10 characters.")),
        ],
    )
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(r.value, v) for r, v in ROLE_LABELS.items()],
        validators=[InputRequired(REQUIRED)],
    )


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[InputRequired(REQUIRED), Length(max=80)])
    scopes = SelectMultipleField(
        _l("Scopes"),
        choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
        validators=[InputRequired(REQUIRED)],
    )
    valid_days = SelectField(
        _l("Valid for"),
        coerce=int,
        default=365,
        choices=[
            SelectChoice(30, _l("30 days")),
            SelectChoice(90, _l("90 days")),
            SelectChoice(365, _l("1 year")),
            SelectChoice(0, _l("No expiry")),
        ],
    )


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(REQUIRED)])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(REQUIRED),
            Length(min=10, max=200, message=_l("At least 10 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(REQUIRED),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )
