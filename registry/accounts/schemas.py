"""API shapes of accounts (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields

from registry.accounts.models import OrgKind


class OrganisationSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.Enum(OrgKind, by_value=True, dump_only=True)
    province = fields.String(dump_only=True)
    commune = fields.String(dump_only=True)


class OrganisationQuerySchema(Schema):
    kind = fields.Enum(OrgKind, by_value=True, load_default=None)


class MeSchema(Schema):
    organisation = fields.Nested(OrganisationSchema, dump_only=True)
    user = fields.String(dump_only=True, metadata={"description": "name of the token's creator"})
    scopes = fields.List(fields.String(), dump_only=True)


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True, allow_none=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details, with `errors` mapping field names to messages."""

    type = fields.String(
        required=True,
        metadata={"description": "the kind of error: a URI whose page explains it (docs/api.md)"},
    )
    title = fields.String(required=True, metadata={"description": "in the caller's language"})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "what went wrong this time"})
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "field name: messages (nested for lists and objects)"},
    )
