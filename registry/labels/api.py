"""Labels API (DESIGN.md §5 and §7): public status reads, bulk status, the open listing,
QR images and the signed revocation list; label requests, issuance and status changes
for bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify, url_for
from flask_smorest import Blueprint
from sqlalchemy import Row

from registry import jobs
from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER, BINARY, TEXT
from registry.db import db, utcnow
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import idempotent
from registry.jobs.schemas import JobOut
from registry.keys import KeyStore, keystore
from registry.labels import issuance, issue_jobs, qr, schemas, status
from registry.labels import revocations as lists
from registry.labels.models import Label, LabelRequest, LabelStatus
from registry.trace.service import today_in_vietnam

blp = Blueprint("labels_api", __name__, description="Signed low-emission labels")

CACHE = "public, max-age=60"


def issuer() -> issuance.Issuer:
    config = current_app.config
    return issuance.Issuer(
        config["REGISTRY_ID"], config["PUBLIC_BASE_URL"], keystore().private("label")
    )


def _compromised() -> frozenset[str]:
    return compromised_in(keystore())


def compromised_in(store: KeyStore) -> frozenset[str]:
    """Kids of compromised label keys, read again only when the key files change."""
    return store.derived("label", status.compromised_kids)


def _object(label: Label | Row[Any], compromised: frozenset[str]) -> dict[str, Any]:
    found = status.state(label, utcnow(), compromised)
    return schemas.status_object(label, found.status, found.reason)


@blp.get("/labels/<serial:serial>")
@blp.response(200, schemas.LabelStatusOut)
@blp.alt_response(404, schema=ProblemSchema)
def label_status(serial: str) -> dict[str, Any]:
    """A label's status, for retailers' apps and anyone who scans."""
    # Its own autocommit connection, not the request's session: the read is then one
    # round trip to the database instead of BEGIN, SELECT and ROLLBACK.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = status.status_row(connection, serial)
    return _object(row, _compromised())


@blp.post("/labels/status")
@blp.arguments(schemas.BulkStatusIn)
@blp.response(200, schemas.LabelStatusOut(many=True))
@blp.alt_response(422, schema=ProblemSchema)
def bulk_status(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Up to 1,000 serials at once, answered in order; unknown ones say `unknown`."""
    found = status.by_serials(db.session, values["serials"])
    compromised = _compromised()
    return [
        _object(found[s.upper()], compromised) if s.upper() in found else _unknown(s)
        for s in values["serials"]
    ]


def _unknown(serial: str) -> dict[str, Any]:
    return {"serial": serial, "status": "unknown", "reason": "not_found"}


@blp.get("/labels")
@blp.arguments(schemas.PageQuery, location="query")
@blp.response(200, schemas.LabelPage)
def listing(query: dict[str, Any]) -> dict[str, Any]:
    """The open register of issued labels, newest first."""
    limit = query["limit"]
    labels = status.page(db.session, limit, query["cursor"])
    compromised = _compromised()
    return {
        "items": [_object(lb, compromised) for lb in labels],
        "next_cursor": labels[-1].id if len(labels) == limit else None,
    }


@blp.get("/labels/<serial:serial>/qr.png")
@blp.response(200, BINARY, content_type="image/png", description="The QR code")
@blp.alt_response(404, schema=ProblemSchema)
def qr_png(serial: str) -> Response:
    """The label's QR code (its URL, level M, quiet zone 4) as PNG."""
    label = status.by_serial(db.session, serial)
    return _image(qr.qr_png(label.url), "image/png")


@blp.get("/labels/<serial:serial>/qr.svg")
@blp.response(200, TEXT, content_type="image/svg+xml", description="The QR code")
@blp.alt_response(404, schema=ProblemSchema)
def qr_svg(serial: str) -> Response:
    label = status.by_serial(db.session, serial)
    return _image(qr.qr_svg(label.url), "image/svg+xml")


def _image(data: bytes, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


@blp.get("/revocations.cose")
@blp.arguments(schemas.RevocationsQuery, location="query")
@blp.response(200, BINARY, content_type="application/cose", description="COSE_Sign1")
def revocations_cose(query: dict[str, Any]) -> Response:
    """The signed revocation list (COSE_Sign1), for offline verifiers."""
    rows = status.revocation_rows(status.revoked_since(db.session, _since(query)))
    signed = lists.sign_revocations(
        rows,
        current_app.config["REGISTRY_ID"],
        int(utcnow().timestamp()),
        keystore().private("label"),
    )
    response = Response(signed, mimetype="application/cose")
    response.headers["Cache-Control"] = CACHE
    return response


@blp.get("/revocations")
@blp.arguments(schemas.RevocationsQuery, location="query")
@blp.response(200, schemas.RevocationListOut)
def revocations_json(query: dict[str, Any]) -> dict[str, Any]:
    """The same list as JSON, for people; `since` (Unix s) gives only newer changes."""
    labels = status.revoked_since(db.session, _since(query))
    return {
        "iss": current_app.config["REGISTRY_ID"],
        "iat": int(utcnow().timestamp()),
        "revoked": [
            {"serial": r.serial, "revoked_at": r.revoked_at, "reason": r.reason}
            for r in status.revocation_rows(labels)
        ],
    }


def _since(query: dict[str, Any]) -> datetime | None:
    since = query.get("since")
    return None if since is None else datetime.fromtimestamp(since, UTC)


# ---------------------------------------------------------------- for members
@blp.post("/labels/requests")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.RequestIn)
@blp.response(201, schemas.RequestOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.RETAILER)
def request_label(values: dict[str, Any]) -> LabelRequest:
    """Ask for a label (and unit labels) on a batch the caller holds."""
    return issuance.request_label(
        db.session, acting_organisation(), values["batch"], values["units"], values["unit_kg"]
    )


@blp.post("/labels/requests/<int:request_id>/issue")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.response(201, schemas.LabelStatusOut)
@blp.alt_response(
    202,
    schema=JobOut,
    success=True,
    description="Accepted, for a request of more unit labels than the registry issues at once "
    "(LABELS_ISSUE_JOB_ABOVE_UNITS, 5,000 by default): the job that issues it. Follow it at "
    "`Location` (`/api/v1/jobs/{id}`, read scope) until `status` is `done`: its `result` is "
    "the label's status object, as a 201 answers.",
    headers={"Location": {"description": "The job's URL", "schema": {"type": "string"}}},
)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
def issue(request_id: int) -> dict[str, Any] | Response:
    """Issue a requested label if the batch meets the criteria in force: at once (201), or
    by a background job for a large number of unit labels (202)."""
    if issue_jobs.in_background(db.session, request_id):
        return _issue_in_background(request_id)
    label = issuance.issue(
        db.session, acting_organisation(), request_id, issuer(), today_in_vietnam()
    )
    return _object(label, frozenset())


def _issue_in_background(request_id: int) -> Response:
    job = issue_jobs.start(
        db.session, acting_organisation(), principal().user, request_id, today_in_vietnam()
    )
    response = jsonify(JobOut().dump(jobs.view(job)))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs_api.job_status", job_id=job.id)
    return response


@blp.post("/labels/<serial:serial>/status")
@blp.doc(security=BEARER)
@blp.arguments(schemas.StatusChangeIn)
@blp.response(200, schemas.LabelStatusOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
def change_status(values: dict[str, Any], serial: str) -> dict[str, Any]:
    """Suspend, revoke (with a reason code) or reinstate a label and its unit labels."""
    label = status.change(
        db.session,
        acting_organisation(),
        serial,
        LabelStatus(values["status"]),
        values["reason_code"],
        values["reason"],
    )
    db.session.commit()
    return _object(label, _compromised())
