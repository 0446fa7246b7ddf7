"""The log's public endpoints (DESIGN.md §6 contract) and the "Sổ cái minh bạch" page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from registry.db import db
from registry.keys import keystore
from registry.ledger import note, publish, schemas, service, tiles
from registry.storage import store
from registry.validation import INT_MAX

bp = Blueprint("ledger", __name__)

IMMUTABLE = "public, max-age=31536000, immutable"

ENTRY_TYPES = {
    "organisation.registered": _l("Organisation registered"),
    "key.added": _l("Key added"),
    "key.retired": _l("Key retired"),
    "field.registered": _l("Field registered"),
    "season.diary": _l("Farm diary entry"),
    "mrv.submitted": _l("MRV report submitted"),
    "approval.signed": _l("Approval signed"),
    "batch.registered": _l("Batch registered"),
    "product.price": _l("Product price set"),
    "trace.event": _l("Trace event"),
    "label.issued": _l("Label issued"),
    "label.suspended": _l("Label suspended"),
    "label.revoked": _l("Label revoked"),
    "label.reinstated": _l("Label reinstated"),
    "label.criteria": _l("Label criteria set"),
    "key.compromised": _l("Key compromised"),
    "season.opened": _l("Season opened"),
    "certification.added": _l("Certificate recorded"),
    "mrv.correction_requested": _l("Correction requested"),
    "mrv.withdrawn": _l("MRV report withdrawn"),
    "approval.revoked": _l("Approval revoked"),
    "verifier.accredited": _l("Verifier accredited"),
    "verifier.suspended": _l("Verifier's accreditation suspended"),
    "verifier.relationship": _l("Verifier's tie to a cooperative declared"),
    "report.generated": _l("Report issued"),
    "commune.confirmed": _l("Commune's reduction confirmed"),
}


@bp.app_template_global()
def type_label(entry_type: str) -> str:
    return str(ENTRY_TYPES.get(entry_type, entry_type))


def _query(schema: Schema) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = schema.load(request.args)
    except ValidationError as exc:
        raise service.BadParameter(errors=exc.normalized_messages()) from exc
    return loaded


def _cacheable(response: Response, cache_control: str) -> Response:
    response.headers["Cache-Control"] = cache_control
    response.headers["Access-Control-Allow-Origin"] = "*"  # auditors' tools may run anywhere
    response.add_etag()
    response.make_conditional(request)  # turns it into a 304 when the ETag matches
    return response


def _text(body: bytes | str, cache_control: str) -> Response:
    return _cacheable(Response(body, mimetype="text/plain"), cache_control)


def log_vkey() -> str:
    origin = current_app.config["LOG_ORIGIN"]
    return note.vkey(origin, keystore().private("log").public_key())


@bp.get("/log/key")
def key() -> Response:
    return _text(log_vkey() + "\n", "public, max-age=3600")


@bp.get("/log/keys")
def keys() -> Response:
    """Every log key that signed checkpoints, current first, for checking old checkpoints."""
    origin = current_app.config["LOG_ORIGIN"]
    listed = [
        {
            "vkey": note.vkey(origin, k.public_key),
            "created": k.created.isoformat(),
            "retired": k.retired.isoformat() if k.retired else None,
        }
        for k in keystore().published("log")
    ]
    return _cacheable(jsonify(keys=listed), "public, max-age=3600")


def _current_checkpoint() -> bytes:
    signed = service.checkpoint(
        db.session, current_app.config["LOG_ORIGIN"], keystore().private("log")
    )
    db.session.commit()
    return signed


@bp.get("/log/checkpoint")
def checkpoint() -> Response:
    return _text(_current_checkpoint(), "public, max-age=5")


@bp.get(f"/log/entries/<int(max={INT_MAX}):index>")  # a BIGINT, not a record id
def entry(index: int) -> Response:
    body = service.entry(db.session, index)
    return _cacheable(Response(body, mimetype="application/json"), IMMUTABLE)


@bp.get("/log/tile/<path:path>")
def tile(path: str) -> Response:
    """Hash tiles and entry bundles (DESIGN.md §6b) from the file store, or built from the
    database when not published yet: every tile of the served checkpoint is available."""
    try:
        wanted = tiles.parse(path)
    except ValueError as exc:
        raise publish.BadTilePath(errors={"path": [tiles.PATH_FORM]}) from exc
    body = publish.tile_bytes(db.session, store(), wanted)
    response = Response(body, mimetype="application/octet-stream")
    return _cacheable(response, publish.cache_control(wanted))


@bp.get("/log/proof/inclusion")
def inclusion() -> Response:
    args = _query(schemas.InclusionQuery())
    hashes = service.inclusion_proof(db.session, args["index"], args["size"])
    body = schemas.InclusionProof().dump({**args, "hashes": hashes})
    return _cacheable(jsonify(body), IMMUTABLE)


@bp.get("/log/proof/consistency")
def consistency() -> Response:
    args = _query(schemas.ConsistencyQuery())
    hashes = service.consistency_proof(db.session, args["first"], args["second"])
    body = schemas.ConsistencyProof().dump({**args, "hashes": hashes})
    return _cacheable(jsonify(body), IMMUTABLE)


@bp.get("/log")
def page() -> str:
    """The public page: latest checkpoint, recent entries, and how to audit them."""
    args = _query(schemas.RecentQuery())
    signed = _current_checkpoint()
    entries = service.recent(db.session, limit=50, before=args["before"])
    return render_template(
        "ledger/log.html",
        checkpoint=signed.decode(),
        vkey=log_vkey(),
        entries=entries,
        size=service.size(db.session),
        base=current_app.config["PUBLIC_BASE_URL"],
    )
