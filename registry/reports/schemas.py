"""Marshmallow shapes of the reports domain: the filters and forms people and machines
send, and the rows of the open data (the JSON Schema files in `schema/` describe the same
rows for those who do not read Python; a test keeps the two in step)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate

from registry import crops
from registry.places import PROVINCES
from registry.reports.models import ReportKind
from registry.reports.periods import FIRST_YEAR, LAST_YEAR, Period
from registry.validation import Integer

CODE = validate.Regexp(r"^[A-Za-z0-9-]{2,20}$", error=_l("Letters, digits and '-' only."))
HEX64 = validate.Regexp(r"^[0-9a-f]{64}$", error=_l("Not a SHA-256 digest."))
CURSOR = validate.Regexp(r"^[0-9]{1,9}-[0-9]{1,18}$", error=_l("Not a cursor from this API."))


def _period(text: str) -> None:
    try:
        Period.parse(text)
    except ValueError as exc:
        raise ValidationError(str(_l("A year (2026) or a half-year (2026-H1, 2026-H2)."))) from exc


class Form(Schema):
    """Query strings and forms: surrounding spaces go, an empty choice means 'any', and
    what the form adds (its CSRF token) or a link carries besides is ignored."""

    EMPTY_IS_ABSENT = True  # the API document says `allowEmptyValue` (registry/api.py)

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def tidy(self, data: Any, **_: Any) -> Any:
        if not hasattr(data, "items"):
            return data
        tidied = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return {k: v for k, v in tidied.items() if v != ""}


def _crop(code: str) -> None:
    """A crop of the catalogue (registry.crops), whatever its kind."""
    if code not in crops.catalogue():
        raise ValidationError(str(_l("There is no crop %(code)s in the catalogue.", code=code)))


def period_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=_period, **kwargs)


def optional(field: type[fields.Field], **kwargs: Any) -> Any:
    return field(load_default=None, **kwargs)


class AreaQuery(Form):
    province = optional(fields.String, validate=validate.OneOf(PROVINCES))
    commune = optional(fields.String, validate=validate.Length(min=1, max=100))
    htx = optional(fields.String, validate=CODE)
    crop = optional(
        fields.String,
        validate=_crop,
        metadata={"description": "a crop code of the crop catalogue (rice, vegetable, …)"},
    )


class DashboardQuery(AreaQuery):
    period = period_field(load_default=None)

    @post_load
    def to_period(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data["period"] is not None:
            data["period"] = Period.parse(data["period"])
        return data


class ProgressQuery(AreaQuery):
    by = fields.String(
        load_default="organisation",
        validate=validate.OneOf(("organisation", "commune", "province")),
    )
    year = optional(Integer, validate=validate.Range(min=FIRST_YEAR, max=LAST_YEAR))


class ReportIn(Form):
    kind = fields.Enum(ReportKind, by_value=True, required=True)
    period = period_field(required=True)
    province = optional(fields.String, validate=validate.OneOf(PROVINCES))
    commune = optional(fields.String, validate=validate.Length(min=1, max=100))

    @post_load
    def to_period(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["period"] = Period.parse(data["period"])
        return data


class ConfirmIn(Form):
    period = period_field(required=True)
    digest = fields.String(required=True, validate=HEX64)

    @post_load
    def to_period(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["period"] = Period.parse(data["period"])
        return data


class DownloadQuery(Form):
    year = optional(Integer, validate=validate.Range(min=2000, max=2100))
    province = optional(fields.String, validate=validate.OneOf(PROVINCES))


class ExchangeQuery(Form):
    since = Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**31 - 1),
        metadata={"description": "the `revision` of your last complete pull (0: everything)"},
    )
    cursor = optional(
        fields.String, validate=CURSOR, metadata={"description": "`next` of the previous page"}
    )
    limit = Integer(load_default=500, validate=validate.Range(min=1, max=5000))


# ---------------------------------------------------------------- open data rows
# Emission rows are version 2 (schema/emissions-v2.json): any crop of the catalogue and
# the orchards' removals; version 1 (rice only, without removals) stays served as it was.
# Label rows are version 1.
class _PlaceRow(Schema):
    province = fields.String()
    commune = fields.String()
    organisation = fields.String(metadata={"description": "the HTX's (or label holder's) code"})
    organisation_name = fields.String()


class EmissionRow(_PlaceRow):
    crop = fields.String(metadata={"description": "a crop code of the crop catalogue"})
    year = fields.Integer()
    month = fields.Integer()
    seasons = fields.Integer(
        metadata={"description": "seasons, crop cycles or growing years, as the crop has"}
    )
    area_ha = fields.Float()
    total_kg_co2e = fields.Float()
    yield_kg = fields.Float(metadata={"description": "harvested product of the crop, kg"})
    removals_kg_co2 = fields.Float(
        metadata={"description": "CO2 taken up by orchards' trees, beside the emissions"}
    )
    compared_seasons = fields.Integer()
    compared_area_ha = fields.Float()
    compared_kg_co2e = fields.Float()
    compared_yield_kg = fields.Float()
    baseline_area_ha = fields.Float()
    baseline_kg_co2e = fields.Float()
    baseline_yield_kg = fields.Float()
    verified_seasons = fields.Integer()
    verified_area_ha = fields.Float()
    awd_area_ha = fields.Float()
    vietgap_area_ha = fields.Float()
    organic_area_ha = fields.Float()
    certified_area_ha = fields.Float()
    revision = fields.Integer(metadata={"description": "the rebuild in which the row changed"})


class LabelRow(_PlaceRow):
    crop = fields.String(metadata={"description": "code of the crop (DESIGN.md §10b)"})
    year = fields.Integer()
    month = fields.Integer()
    issued = fields.Integer()
    valid = fields.Integer()
    suspended = fields.Integer()
    revoked = fields.Integer()
    unit_labels = fields.Integer()
    scans = fields.Integer()
    removals_kg_co2_per_kg = fields.Float(
        allow_none=True,
        metadata={
            "description": "mean kg CO2 taken up per kg that the month's batch labels of the "
            "crop show beside their emissions (never netted); null when none shows one"
        },
    )
    revision = fields.Integer()


class EmissionExchangePage(Schema):
    dataset = fields.String()
    version = fields.String(metadata={"description": "format version of the rows"})
    schema = fields.String(
        metadata={"description": "address of the JSON Schema of this version (its $defs.row)"}
    )
    revision = fields.Integer(metadata={"description": "pass it as `since` next time"})
    items = fields.List(fields.Nested(EmissionRow))
    next = fields.String(allow_none=True, metadata={"description": "cursor of the next page"})


class LabelExchangePage(EmissionExchangePage):
    items = fields.List(fields.Nested(LabelRow))


class ConfirmationOut(Schema):
    id = fields.Integer()
    statement = fields.Dict(metadata={"description": "the signed object; sign(JCS(statement))"})
    statement_digest = fields.String()
    signature = fields.String(metadata={"description": "Ed25519, unpadded base64url"})
    kid = fields.String(metadata={"description": "the transparency-log key's id (/log/key)"})
    log_index = fields.Integer()


class DashboardOut(Schema):
    period = fields.String()
    area = fields.Dict()
    revision = fields.Integer()
    built_at = fields.DateTime()
    target_pct = fields.Float()
    final_pct = fields.Float()
    emissions = fields.Dict()
    registered = fields.Dict()
    labels = fields.Dict()
    parts_by = fields.String(
        metadata={"description": "province, commune or organisation: the level below the area"}
    )
    parts = fields.List(fields.Dict())
    crops = fields.List(
        fields.Dict(),
        metadata={
            "description": "the figures of each crop (`crop` its catalogue code); per kg "
            "figures are per kg of that crop's product, and over several crops null"
        },
    )
    trajectory = fields.List(fields.Dict())


class PeriodicReportOut(Schema):
    id = fields.Integer()
    kind = fields.Enum(ReportKind, by_value=True)
    period = fields.Function(lambda r: r.data["period"]["key"], metadata={"example": "2026-H1"})
    province = fields.String(allow_none=True)
    commune = fields.String(allow_none=True)
    digest = fields.String(
        metadata={"description": "SHA-256 of the RFC 8785 (JCS) encoding of `data`"}
    )
    log_index = fields.Integer(metadata={"description": "The report.generated log entry"})
    created_at = fields.DateTime()
    data = fields.Dict(metadata={"description": "The frozen figures (format ptt-report/2)"})


class PeriodicReportIn(ReportIn):
    """A report to generate, as the API takes it (the page's form, as JSON)."""
