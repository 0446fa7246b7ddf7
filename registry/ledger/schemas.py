"""Shapes of the log's query parameters and proof answers (DESIGN.md §6)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.validation import Integer

POSITIVE = validate.Range(min=1)


class InclusionQuery(Schema):
    index = Integer(required=True, strict=False, validate=validate.Range(min=0))
    size = Integer(required=True, strict=False, validate=POSITIVE)


class ConsistencyQuery(Schema):
    first = Integer(required=True, data_key="from", validate=POSITIVE)
    second = Integer(required=True, data_key="to", validate=POSITIVE)


class RecentQuery(Schema):
    before = Integer(load_default=None, validate=validate.Range(min=0))


class Base64Hash(fields.Field):
    """A 32-byte hash as standard base64, as the contract says."""

    def _serialize(
        self, value: bytes | None, attr: str | None, obj: object, **kwargs: object
    ) -> str:
        import base64

        return base64.b64encode(value or b"").decode()


class InclusionProof(Schema):
    index = fields.Integer()
    size = fields.Integer()
    hashes = fields.List(Base64Hash())


class ConsistencyProof(Schema):
    first = fields.Integer(data_key="from")
    second = fields.Integer(data_key="to")
    hashes = fields.List(Base64Hash())
