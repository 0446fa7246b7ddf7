"""Approvals API: public reads that let anyone check a signed approval (DESIGN.md §7), and
the verifier's statement-and-signature exchange for machines."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from registry.accounts.access import acting_organisation, kinds_required, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import idempotent
from registry.validation import Id, Integer
from registry.verify import approvals
from registry.verify.models import Approval, Decision

blp = Blueprint("approvals_api", __name__, description="Signed verifier approvals")


class ApprovalOut(Schema):
    id = fields.Integer()
    report = fields.Integer(attribute="report_id")
    decision = fields.String()
    status = fields.String()
    statement = fields.Dict()
    signature = fields.String()
    kid = fields.String()
    verifier = fields.String(attribute="verifier.code")
    log_index = fields.Integer()
    recorded_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class ApprovalPage(Schema):
    items = fields.List(fields.Nested(ApprovalOut))
    next_cursor = fields.Integer(allow_none=True)


class PageQuery(Schema):
    limit = Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = Id(load_default=None)


class JwkOut(Schema):
    kty = fields.String()
    crv = fields.String()
    x = fields.String()
    kid = fields.String()
    use = fields.String()
    status = fields.String()
    nbf = fields.Integer()
    exp = fields.Integer()


class JwkSet(Schema):
    keys = fields.List(fields.Nested(JwkOut))


class StatementIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf([d.value for d in Decision]))
    kid = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"))
    reason = fields.String(load_default=None, validate=validate.Length(max=300))


class StatementOut(Schema):
    """The object a verifier signs (DESIGN.md §7): sign the RFC 8785 (JCS) bytes of it."""

    type = fields.String(metadata={"description": "mrv.approval or mrv.rejection"})
    report = fields.Integer()
    report_digest = fields.String(metadata={"description": "hex SHA-256 of the report's JCS"})
    methodology = fields.String(allow_none=True)
    totals = fields.Dict(metadata={"description": "seasons, area_ha, yield_kg, total_kg_co2e"})
    verifier = fields.String(metadata={"description": "the verifier's organisation code"})
    kid = fields.String()
    signed_at = fields.String(metadata={"description": "RFC 3339, UTC"})
    reason = fields.String(metadata={"description": "only when a reason was given"})


class DecisionIn(Schema):
    statement = fields.Dict(required=True)
    signature = fields.String(required=True, validate=validate.Length(min=80, max=100))


class KeyIn(Schema):
    public_key = fields.String(required=True, validate=validate.Length(min=40, max=500))
    label = fields.String(load_default="", validate=validate.Length(max=80))


class KeyOut(Schema):
    kid = fields.String()
    public_key = fields.String()
    label = fields.String()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()


@blp.get("/approvals")
@blp.arguments(PageQuery, location="query")
@blp.response(200, ApprovalPage)
def list_approvals(query: dict[str, Any]) -> dict[str, Any]:
    """Every approval and rejection, newest first (`cursor`: the last id you saw)."""
    items = approvals.approvals_page(db.session, query["limit"], query["cursor"])
    more = len(items) == query["limit"]
    return {"items": items, "next_cursor": items[-1].id if more and items else None}


@blp.get("/approvals/<int:approval_id>")
@blp.response(200, ApprovalOut)
@blp.alt_response(404, schema=ProblemSchema)
def get_approval(approval_id: int) -> Approval:
    return approvals.approval(db.session, approval_id)


@blp.get("/verifiers/<code>/keys")
@blp.response(200, JwkSet)
@blp.alt_response(404, schema=ProblemSchema)
def verifier_keys(code: str) -> dict[str, Any]:
    """The verifier's public keys as a JWK Set, with status, nbf and exp."""
    return approvals.jwks(db.session, code)


@blp.post("/verifier/keys")
@blp.doc(security=BEARER)
@blp.arguments(KeyIn)
@blp.response(201, KeyOut)
@token_required("write")
@kinds_required(OrgKind.VERIFIER)
def register_key(values: dict[str, Any]) -> Any:
    """Register a public key (PEM, base64 SPKI or the raw key as base64url)."""
    key = approvals.register_key(
        db.session, acting_organisation(), values["public_key"], values["label"]
    )
    db.session.commit()
    return key


@blp.post("/mrv/reports/<int:report_id>/statement")
@blp.doc(security=BEARER)
@blp.arguments(StatementIn)
@blp.alt_response(200, schema=StatementOut)  # documented only: sent as built, to be signed
@token_required("write")
@kinds_required(OrgKind.VERIFIER)
def statement(values: dict[str, Any], report_id: int) -> dict[str, Any]:
    """The statement to sign for this decision; sign its RFC 8785 bytes with the key."""
    return approvals.new_statement(
        db.session,
        acting_organisation(),
        report_id,
        Decision(values["decision"]),
        values["kid"],
        values["reason"],
    )


@blp.post("/mrv/reports/<int:report_id>/decision")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(DecisionIn)
@blp.response(201, ApprovalOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(OrgKind.VERIFIER)
def decision(values: dict[str, Any], report_id: int) -> Approval:
    """Record a signed statement: checked word for word and against the key first."""
    return approvals.record_decision(
        db.session, acting_organisation(), report_id, values["statement"], values["signature"]
    )
