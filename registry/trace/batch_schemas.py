"""Marshmallow shapes of batches, draws and hand-overs, for the API and the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates

from registry import crops
from registry.labels.gs1 import normalise_gtin
from registry.ledger.schemas import LogIndex
from registry.trace.schemas import CODE, GRAM_KG, Strict, one_of, quantity, text
from registry.trace.steps import step_codes
from registry.validation import Id

MAX_KG = 10_000_000  # 10,000 t: above any single lot of rice
MAX_SOURCES = 100


def sources(nested: type[Schema], **kwargs: Any) -> fields.List:
    return fields.List(
        fields.Nested(nested),
        required=True,
        validate=validate.Length(
            min=1, max=MAX_SOURCES, error=_l("Give between {min} and {max} sources.")
        ),
        **kwargs,
    )


class Gtin(fields.String):
    """A GTIN-8/12/13/14 with a correct check digit, kept as GTIN-14."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text_value = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text_value:
            return None
        try:
            return normalise_gtin(text_value)
        except ValueError as exc:
            raise ValidationError(
                _l("Not a GTIN: 8, 12, 13 or 14 digits with a correct check digit.")
            ) from exc


class Upper(fields.String):
    """A code as people type it: spaces trimmed, capitals made."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return super()._deserialize(value, attr, data, **kwargs).strip().upper()


class SeasonDrawIn(Strict):
    season = Upper(required=True, validate=validate.Length(min=1, max=40))
    kg = quantity(MAX_KG, GRAM_KG, required=True)


class BatchDrawIn(Strict):
    batch = Id(required=True)
    kg = quantity(MAX_KG, GRAM_KG, required=True)


class NewLot(Strict):
    lot_code = Upper(required=True, validate=CODE)
    gtin = Gtin(load_default=None, allow_none=True)
    production_date = fields.Date(load_default=None)


class HarvestBatchIn(NewLot):
    draws = sources(SeasonDrawIn)


class CoproductIn(Strict):
    product = fields.String(required=True, validate=validate.Length(min=1, max=crops.CODE_LENGTH))
    kg = quantity(MAX_KG, GRAM_KG, required=True)
    lot_code = Upper(load_default=None, validate=CODE)


class TransformIn(NewLot):
    """A processing step: `step` (a catalogue step that applies to the inputs' product),
    the main product's kg, its co-products' kg and, if declared, the kg lost."""

    step = fields.String(required=True, validate=one_of(list(step_codes())))
    quantity_kg = quantity(MAX_KG, GRAM_KG, required=True)
    inputs = sources(BatchDrawIn)
    coproducts = fields.List(
        fields.Nested(CoproductIn),
        load_default=list,
        validate=validate.Length(max=10, error=_l("Give at most {max} co-products.")),
    )
    loss_kg = fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(min=0, max=MAX_KG, error=_l("Give 0 or more kg.")),
    )


class MergeIn(NewLot):
    inputs = sources(BatchDrawIn)


class PriceIn(Strict):
    product = fields.String(required=True, validate=one_of(list(crops.products())))
    vnd_per_kg = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(
            min=0, max=100_000_000, error=_l("Give a price from {min} to {max} đồng a kg.")
        ),
    )


class SplitPartIn(Strict):
    kg = quantity(MAX_KG, GRAM_KG, required=True)
    lot_code = Upper(load_default=None, validate=CODE)


class SplitIn(Strict):
    parts = sources(SplitPartIn)


class ShipIn(Strict):
    receiver = fields.String(required=True, validate=validate.Length(min=1, max=20))
    kg = quantity(MAX_KG, GRAM_KG, load_default=None)
    note = text(300, load_default=None)


class AnswerIn(Strict):
    accept = fields.Boolean(required=True)
    reason = text(300, load_default=None)

    @validates("reason")
    def _reason(self, value: str | None, **_: Any) -> None:
        if value is not None and not value.strip():
            raise ValidationError(_l("Say why the batch is refused."))


class BatchInputOut(Schema):
    season = fields.String(attribute="season.code", allow_none=True)
    batch = fields.Integer(attribute="parent_id", allow_none=True)
    kg = fields.Float()
    approval = fields.Integer(attribute="approval_id", allow_none=True)


def _names(code: str) -> dict[str, str]:
    kind = crops.products().get(code) or crops.step_kinds().get(code)
    return dict(kind.names) if kind is not None else {}


class BatchOut(Schema):
    id = fields.Integer()
    lot_code = fields.String()
    product = fields.String(metadata={"description": "a product code of the crop catalogue"})
    product_name = fields.Function(
        lambda b: _names(b.product), metadata={"description": "{vi, en}: the product's name"}
    )
    crop = fields.String(metadata={"description": "the crop the product comes from"})
    gtin = fields.String(allow_none=True)
    step = fields.String(
        metadata={"description": "harvest, split, merge or a processing step of the catalogue"}
    )
    step_name = fields.Function(
        lambda b: _names(b.step), metadata={"description": "{vi, en}; {} for harvest, split, merge"}
    )
    holder = fields.String(attribute="organisation.code")
    maker = fields.String(attribute="maker.code")
    quantity_kg = fields.Float()
    remaining_kg = fields.Float()
    production_date = fields.Date()
    g_co2e_per_kg = fields.Float()
    baseline_g_co2e_per_kg = fields.Float(allow_none=True)
    reduction_pct = fields.Float(allow_none=True)
    derivation = fields.Dict()
    on_hold = fields.Function(lambda b: b.at_risk_since is not None)
    on_hold_reason = fields.String(attribute="at_risk_reason", allow_none=True)
    inputs = fields.List(fields.Nested(BatchInputOut))
    created_at = fields.DateTime()
    log_index = LogIndex()


class HandoverOut(Schema):
    id = fields.Integer()
    batch = fields.Integer(attribute="batch_id")
    lot_code = fields.String(attribute="batch.lot_code")
    kg = fields.Float(attribute="batch.quantity_kg")
    sender = fields.String(attribute="sender.code")
    receiver = fields.String(attribute="receiver.code")
    status = fields.String()
    note = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    log_index = LogIndex()
    decided_log_index = LogIndex()


class CaptureOut(Schema):
    captured = fields.Integer(metadata={"description": "how many events were stored"})
    events = fields.List(fields.String(), metadata={"description": "their event ids"})
