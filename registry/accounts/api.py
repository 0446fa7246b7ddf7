"""Accounts API: the public organisation directory and the token holder's own view."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from registry.accounts import service
from registry.accounts.access import principal, token_required
from registry.accounts.models import Organisation
from registry.accounts.schemas import (
    MeSchema,
    OrganisationQuerySchema,
    OrganisationSchema,
    ProblemSchema,
    TokenSchema,
)
from registry.api import BEARER
from registry.db import db

blp = Blueprint("accounts_api", __name__, description="Organisations and API tokens")


@blp.get("/organisations")
@blp.arguments(OrganisationQuerySchema, location="query")
@blp.response(200, OrganisationSchema(many=True))
def list_organisations(query: dict[str, Any]) -> list[Organisation]:
    """Public directory of the organisations taking part in the programme."""
    return service.list_organisations(db.session, query["kind"])


@blp.get("/organisations/<code>")
@blp.response(200, OrganisationSchema)
@blp.alt_response(404, schema=ProblemSchema)
def get_organisation(code: str) -> Organisation:
    return service.organisation_by_code(db.session, code)


@blp.get("/me")
@blp.doc(security=BEARER)
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=ProblemSchema)
@token_required("read")
def me() -> dict[str, Any]:
    """Who this token acts for."""
    acting = principal()
    return {
        "organisation": acting.user.organisation,
        "user": acting.user.name,
        "scopes": sorted(acting.scopes or ()),
    }


@blp.get("/tokens")
@blp.doc(security=BEARER)
@blp.response(200, TokenSchema(many=True))
@blp.alt_response(401, schema=ProblemSchema)
@token_required("read")
def list_tokens() -> list[Any]:
    """The tokens of the caller's organisation (never their secrets)."""
    return service.organisation_tokens(db.session, principal().organisation_id)
