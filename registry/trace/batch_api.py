"""Batches API for mills', traders' and retailers' systems: register and process batches,
hand them over, export their history as EPCIS 2.0 and capture partners' EPCIS events.
Bearer tokens; `read` to look, `write` to change. Every write takes an `Idempotency-Key`
(registry/idempotency), which also commits it: a retried key gets the first answer."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from registry.accounts.access import acting_organisation, kinds_required, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import commits_before_answer, idempotent
from registry.trace import batch_schemas as schemas
from registry.trace import batches, capture
from registry.trace.models import Batch, Handover

blp = Blueprint("batch_api", __name__, description="Batches, hand-overs and EPCIS 2.0")

MAKERS = (OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.RETAILER)
EPCIS_DOCUMENT = {
    "required": True,
    "description": "An EPCIS 2.0 document (JSON-LD) whose events name the caller's batches",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


@blp.get("/batches")
@blp.doc(security=BEARER)
@blp.response(200, schemas.BatchOut(many=True))
@token_required("read")
def list_batches() -> list[Batch]:
    """Batches the caller holds that still have kg left (`?all=1`: also the empty ones)."""
    return batches.held_by(db.session, acting_organisation(), request.args.get("all") == "1")


@blp.post("/batches")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.HarvestBatchIn)
@blp.response(201, schemas.BatchOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
@commits_before_answer
def register_harvest(values: dict[str, Any]) -> Batch:
    """A paddy batch drawn from approved seasons (never more than their verified harvest)."""
    batch = batches.register_harvest(db.session, acting_organisation(), values, _base())
    return batch


@blp.post("/batches/transform")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.TransformIn)
@blp.response(201, schemas.BatchOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(*MAKERS)
@commits_before_answer
def transform(values: dict[str, Any]) -> Batch:
    """Drying, husking, milling, polishing or packing, within the step's yield range."""
    batch = batches.transform(db.session, acting_organisation(), values, _base())
    return batch


@blp.post("/batches/merge")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.MergeIn)
@blp.response(201, schemas.BatchOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(*MAKERS)
@commits_before_answer
def merge(values: dict[str, Any]) -> Batch:
    """Batches of one product merged into one."""
    batch = batches.merge(db.session, acting_organisation(), values, _base())
    return batch


@blp.get("/batches/<int:batch_id>")
@blp.doc(security=BEARER)
@blp.response(200, schemas.BatchOut)
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
def get_batch(batch_id: int) -> Batch:
    return batches.batch_for(db.session, acting_organisation(), batch_id)


@blp.post("/batches/<int:batch_id>/split")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.SplitIn)
@blp.response(201, schemas.BatchOut(many=True))
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(*MAKERS)
@commits_before_answer
def split(values: dict[str, Any], batch_id: int) -> list[Batch]:
    parts = batches.split(db.session, acting_organisation(), batch_id, values["parts"], _base())
    return parts


@blp.post("/batches/<int:batch_id>/ship")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.ShipIn)
@blp.response(201, schemas.HandoverOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(*MAKERS)
@commits_before_answer
def ship(values: dict[str, Any], batch_id: int) -> Handover:
    """Send the batch (or `kg` of it) to another organisation; it stays yours until accepted."""
    handover = batches.ship(
        db.session,
        acting_organisation(),
        batch_id,
        values["receiver"],
        _base(),
        values["kg"],
        values["note"],
    )
    return handover


@blp.get("/handovers")
@blp.doc(security=BEARER)
@blp.response(200, schemas.HandoverOut(many=True))
@token_required("read")
def pending() -> list[Handover]:
    """Hand-overs waiting for an answer, to or from the caller."""
    return batches.pending_for(db.session, acting_organisation())


@blp.post("/handovers/<int:handover_id>/answer")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(schemas.AnswerIn)
@blp.response(200, schemas.HandoverOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@commits_before_answer
def answer(values: dict[str, Any], handover_id: int) -> Handover:
    """Accept (the batch becomes yours) or reject (say why)."""
    handover = batches.answer(
        db.session,
        acting_organisation(),
        handover_id,
        values["accept"],
        _base(),
        values["reason"],
    )
    return handover


@blp.get("/batches/<int:batch_id>/epcis")
@blp.doc(security=BEARER)
@blp.response(
    200, {"type": "object"}, content_type="application/ld+json", description="EPCIS 2.0 JSON-LD"
)
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
def export(batch_id: int) -> Any:
    """The batch's whole upstream history as an EPCIS 2.0 JSON-LD document."""
    batch = batches.batch_for(db.session, acting_organisation(), batch_id)
    response = current_app.json.response(batches.upstream_document(db.session, batch))
    response.mimetype = "application/ld+json"
    return response


@blp.post("/epcis/capture")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER, requestBody=EPCIS_DOCUMENT)
@blp.response(201, schemas.CaptureOut)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
def capture_events() -> dict[str, Any]:
    """Capture an EPCIS 2.0 document about the caller's batches (all events or none)."""
    rows = capture.capture(
        db.session, acting_organisation(), request.get_json(silent=True), _base()
    )
    return {"captured": len(rows), "events": [r.event_id for r in rows]}
