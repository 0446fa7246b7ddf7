"""Trace API for farm-management apps and sensor gateways: fields, seasons, the diary and
evidence uploads. Bearer tokens; `read` to list, `write` to record. Every write takes an
`Idempotency-Key` (registry/idempotency/): the decorator commits the write with its answer."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_smorest import Blueprint

from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import commits_before_answer, idempotent
from registry.trace import evidence as evidence_files
from registry.trace import finding, schemas, service
from registry.trace.models import DiaryEntry, Field, Season

blp = Blueprint("trace_api", __name__, description="Fields, seasons and the farm diary")

#: The list endpoints' answer headers: how many rows match, and (with `page`) the pages beside.
PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "how many rows match the filters (all pages)",
        "schema": {"type": "integer"},
    },
    "Link": {
        "description": "RFC 8288 links to the next and previous pages",
        "schema": {"type": "string"},
    },
}


@blp.get("/fields")
@blp.doc(security=BEARER)
@blp.arguments(schemas.FieldQuery, location="query")
@blp.response(200, schemas.FieldOut(many=True), headers=PAGE_HEADERS)
@token_required("read")
def list_fields(query: dict[str, Any]) -> Any:
    """The caller's fields by code, filtered as the field list page filters them: every one
    that matches, or with `page` the 50 of that page."""
    return _listed(finding.find_fields(db.session, principal().organisation_id, **query))


@blp.post("/fields")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.FieldIn)
@blp.response(201, schemas.FieldOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
@commits_before_answer
def create_field(values: dict[str, Any]) -> Field:
    """Register a field (logged as `field.registered`; the household stays private)."""
    field = service.register_field(db.session, acting_organisation(), values)
    return field


@blp.get("/fields/<code>")
@blp.doc(security=BEARER)
@blp.response(200, schemas.FieldOut)
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
def get_field(code: str) -> Field:
    return service.field_by_code(db.session, principal().organisation_id, code)


@blp.post("/fields/<code>/certifications")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.CertificationIn)
@blp.response(201, schemas.CertificationIn)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def add_certification(values: dict[str, Any], code: str) -> Any:
    cert = service.add_certification(db.session, acting_organisation(), code, values)
    return {**values, "document": cert.document_sha256}


@blp.get("/seasons")
@blp.doc(security=BEARER)
@blp.arguments(schemas.SeasonQuery, location="query")
@blp.response(200, schemas.SeasonOut(many=True), headers=PAGE_HEADERS)
@token_required("read")
def list_seasons(query: dict[str, Any]) -> Any:
    """The caller's seasons, newest sowing first, filtered as the season list page filters
    them: every one that matches, or with `page` the 50 of that page."""
    return _listed(finding.find_seasons(db.session, principal().organisation_id, **query))


def _listed(page: finding.Page[Any]) -> tuple[list[Any], dict[str, str]]:
    """The page's rows, with how many match and links to the pages beside it."""
    links = []
    if page.has_previous:
        links.append(f'<{_page_url(page.number - 1)}>; rel="prev"')
    if page.has_next:
        links.append(f'<{_page_url(page.number + 1)}>; rel="next"')
    headers = {"X-Total-Count": str(page.matched)}
    if links:
        headers["Link"] = ", ".join(links)
    return page.items, headers


def _page_url(number: int) -> str:
    args = {**request.args.to_dict(), "page": str(number)}
    return url_for(request.endpoint or "", _external=True, **args)


@blp.post("/seasons")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.SeasonIn)
@blp.response(201, schemas.SeasonOut)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def open_season(values: dict[str, Any]) -> Season:
    season = service.open_season(db.session, acting_organisation(), values)
    return season


@blp.get("/seasons/<code>")
@blp.doc(security=BEARER)
@blp.response(200, schemas.SeasonOut)
@token_required("read")
def get_season(code: str) -> Season:
    return service.season_by_code(db.session, principal().organisation_id, code)


@blp.get("/seasons/<code>/diary")
@blp.doc(security=BEARER)
@blp.response(200, schemas.DiaryEntryOut(many=True))
@token_required("read")
def season_diary(code: str) -> list[DiaryEntry]:
    """Every entry, corrections included (`supersedes` names the entry each one replaces)."""
    return service.season_by_code(db.session, principal().organisation_id, code).entries


@blp.post("/diary")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.DiaryEntryIn)
@blp.response(201, schemas.DiaryEntryOut)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
@commits_before_answer
def record_entry(values: dict[str, Any]) -> DiaryEntry:
    """Append a diary entry; `data` is validated by `kind` (see the *Data schemas)."""
    entry = service.record_entry(db.session, acting_organisation(), principal().user, values)
    return entry


@blp.post("/evidence")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.alt_response(422, schema=ProblemSchema)
@blp.doc(security=BEARER, description="multipart/form-data with one `file` part")
@blp.response(201, schemas.EvidenceOut)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def upload_evidence() -> Any:
    """Store a photo or PDF by its SHA-256; reference the digest from diary entries."""
    upload = request.files.get("file")
    store = evidence_files.app_store()
    record = service.store_evidence(db.session, acting_organisation(), store, upload)
    return record
