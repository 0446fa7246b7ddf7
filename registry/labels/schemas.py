"""Marshmallow shapes of the label contract (DESIGN.md §7 label status) and of requests."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from werkzeug.routing import BaseConverter

from registry import crops
from registry.labels.issuance import ALPHABET, SERIAL_LENGTH
from registry.labels.status import REASONS
from registry.trace.schemas import Strict, between, one_of, text
from registry.validation import Id, Integer

MAX_BULK = 1000
MAX_G_CO2E_PER_KG = 100_000  # 100 kg CO2e per kg of product: far above any crop
LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last Unix second a datetime holds


class LabelStatusOut(Schema):
    """One label as the status API, the bulk status API and the listing answer it."""

    serial = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    url = fields.String()
    product = fields.String()
    batch = fields.String()
    organisation = fields.String()
    commune = fields.String()
    g_co2e_per_kg = fields.Integer()
    reduction_pct = fields.Float()
    issued_at = fields.DateTime()
    expires_at = fields.DateTime()
    log_index = fields.Integer()
    crop = fields.String(metadata={"description": "code of the crop (DESIGN.md §10b)"})
    removals_kg_co2_per_kg = fields.Float(
        allow_none=True,
        metadata={
            "description": "kg CO2 the orchard's trees took up per kg of product, shown beside "
            "g_co2e_per_kg and never netted into it; null for crops without removals"
        },
    )


def status_object(label: Any, status: str, reason: str | None) -> dict[str, Any]:
    """The contract's status object of a label row (ORM or Core)."""
    return {
        "serial": label.serial,
        "status": status,
        "reason": reason,
        "url": label.url,
        "product": label.product,
        "batch": label.lot,
        "organisation": label.organisation,
        "commune": label.commune,
        "g_co2e_per_kg": label.g_co2e_per_kg,
        "reduction_pct": label.reduction_permille / 10,
        "issued_at": label.issued_at,
        "expires_at": label.expires_at,
        "log_index": label.log_index,
        "crop": label.crop,
        "removals_kg_co2_per_kg": label.removals_kg_co2_per_kg,
    }


class LabelPage(Schema):
    items = fields.List(fields.Nested(LabelStatusOut))
    next_cursor = fields.Integer(allow_none=True)


class BulkStatusIn(Strict):
    serials = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        required=True,
        validate=validate.Length(min=1, max=MAX_BULK, error=_l("Send 1 to {max} serials.")),
    )


class PageQuery(Schema):
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = Id(load_default=None)


class RevocationsQuery(Schema):
    since = Integer(
        load_default=None,
        validate=between(0, LAST_SECOND),
        metadata={"description": "Unix time (s): only changes after it"},
    )


class RevocationOut(Schema):
    serial = fields.String()
    revoked_at = fields.Integer(metadata={"description": "Unix time (s) of the change"})
    reason = fields.String(metadata={"description": "the reason code, or `suspended`"})


class RevocationListOut(Schema):
    """The revocation list as JSON: the entries of the signed list (revocations.cose)."""

    iss = fields.String(metadata={"description": "the registry's id"})
    iat = fields.Integer(metadata={"description": "Unix time (s) the list was made"})
    revoked = fields.List(fields.Nested(RevocationOut))


class SerialConverter(BaseConverter):
    """A label serial in an API path: 8 Crockford base32 characters, either case, so that
    `/labels/status` and `/labels/requests` are never taken for a serial."""

    regex = f"[{ALPHABET}{ALPHABET.lower()}]{{{SERIAL_LENGTH}}}"


def serial_parameter(converter: SerialConverter) -> dict[str, Any]:
    """The OpenAPI schema of a `<serial:…>` path parameter."""
    return {"type": "string", "pattern": f"^{converter.regex}$"}


class RequestIn(Strict):
    batch = Id(required=True)
    units = Integer(load_default=0, validate=between(0, 100_000))
    unit_kg = fields.Float(load_default=None, allow_nan=False, validate=between(0.001, 1000))


class RequestOut(Schema):
    id = fields.Integer()
    batch = fields.Integer(attribute="batch_id")
    lot_code = fields.String(attribute="batch.lot_code")
    units = fields.Integer()
    unit_kg = fields.Float(allow_none=True)
    status = fields.String()
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class StatusChangeIn(Strict):
    status = fields.String(
        required=True, validate=validate.OneOf(["valid", "suspended", "revoked"])
    )
    reason_code = fields.String(load_default="", validate=validate.OneOf(["", *REASONS]))
    reason = text(300, load_default="")


class CropRuleIn(Strict):
    """One crop's thresholds; a threshold left out falls back to the general one (or none)."""

    min_reduction_pct = fields.Float(load_default=None, allow_nan=False, validate=between(0, 100))
    max_g_co2e_per_kg = fields.Float(
        load_default=None, allow_nan=False, validate=between(1, MAX_G_CO2E_PER_KG)
    )


class CriteriaIn(Strict):
    min_reduction_pct = fields.Float(required=True, allow_nan=False, validate=between(0, 100))
    crop_rules = fields.Dict(
        keys=fields.String(validate=one_of(crops.codes())),
        values=fields.Nested(CropRuleIn),
        load_default=dict,
    )
    required_schemes = fields.List(
        fields.String(validate=validate.OneOf(["vietgap", "globalgap", "organic", "ocop"])),
        load_default=list,
    )
    validity_days = Integer(load_default=730, validate=between(30, 3650))
    auto_issue = fields.Boolean(load_default=False)
    note = text(300, load_default=None)
