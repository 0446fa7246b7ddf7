"""Shapes of the log's query parameters and proof answers (DESIGN.md §6)."""

from __future__ import annotations

from typing import Any

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


class LogIndex(fields.Integer):
    """A record's transparency-log index, or null while the log has not numbered its entry
    yet (the sequencer numbers entries just after their commit; docs/architecture.md,
    "Which writes go through the pool"). The placeholder kept meanwhile (-1) is never shown
    as if it were an index."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault(
            "metadata",
            {"description": "Index of the record's log entry; null for a moment after the write."},
        )
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | None:
        if value is None or value < 0:
            return None
        return int(value)


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
