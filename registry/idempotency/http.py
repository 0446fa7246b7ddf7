"""`@idempotent`: the `Idempotency-Key` header on a view that writes.

A view under `@idempotent` leaves the commit to it: the decorator commits the view's work
together with the answer it keeps for the key (a success, 2xx or 3xx), or rolls it back
(any other answer, or an exception). Without the header the view works as any other,
committed on success. The caller is the API token or, on pages, the signed-in user; a key
of one caller is never seen by another."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import IO, Any, ParamSpec

import rfc8785
from flask import Response, make_response, request

from registry.accounts.access import principal
from registry.db import db, utcnow
from registry.idempotency import service
from registry.idempotency.service import HEADER, Answer

P = ParamSpec("P")
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
NOT_IN_FINGERPRINT = {"csrf_token"}  # changes with the session, not with the request
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "ETag", "Link", "Vary")
REPLAYED = "Idempotent-Replayed"
CHUNK = 1024 * 1024

# The header as the OpenAPI document describes it (`@blp.doc(parameters=[PARAMETER])`).
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Makes the write safe to retry (IETF draft-ietf-httpapi-idempotency-key-header): a "
        "unique value such as a UUID, made once per write and sent again with each retry. "
        "A retry gets the first answer (with `Idempotent-Replayed: true`), never a second "
        "record; the same key with another body is refused with 422, and a key whose first "
        "request is still being processed with 409. Keys are kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!#-\\[\\]-~]+$"},
}


def idempotent(view: Callable[P, Any]) -> Callable[P, Response]:
    """Apply the `Idempotency-Key` header of an unsafe request to `view` (see the module)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        sent = request.headers.get(HEADER)
        if sent is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return _committed(make_response(view(*args, **kwargs)))
        key = service.parse_key(sent)
        found = service.claim(db.session, caller(), key, _fingerprint(), utcnow())
        if isinstance(found, Answer):
            return _replay(found)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            service.release(db.session, found)
            raise
        if response.status_code >= 400:
            service.release(db.session, found)
            return response
        service.answer(db.session, found, _kept(response))
        try:
            db.session.commit()
        except BaseException:  # nothing was written: a retry may do the work
            service.release(db.session, found)
            raise
        return response

    return wrapper


def caller() -> str:
    """Whose keys these are: the API token's, or the signed-in user's."""
    acting = principal()
    if acting.token_id is not None:
        return f"token:{acting.token_id}"
    return f"user:{acting.user.id}"


def _committed(response: Response) -> Response:
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def _fingerprint() -> str:
    return service.fingerprint(request.method, request.full_path.rstrip("?"), _body_digest())


def _body_digest() -> str:
    """SHA-256 of the body. A form's fields and files are read instead of its bytes: a
    multipart body's boundary is drawn anew each time a browser sends it, and the CSRF token
    changes when the person signs in again, yet the request is the same."""
    if request.mimetype not in FORMS:
        return hashlib.sha256(request.get_data(cache=True)).hexdigest()
    fields = sorted(
        [name, value]
        for name, values in request.form.lists()
        for value in values
        if name not in NOT_IN_FINGERPRINT
    )
    files = sorted(
        [name, upload.filename or "", _file_digest(upload.stream)]
        for name, uploads in request.files.lists()
        for upload in uploads
    )
    return hashlib.sha256(rfc8785.dumps([fields, files])).hexdigest()


def _file_digest(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)  # the view reads it next
    return digest.hexdigest()


def _kept(response: Response) -> Answer:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return Answer(response.status_code, headers, response.get_data())


def _replay(found: Answer) -> Response:
    response = Response(found.body, status=found.status, headers=found.headers)
    response.headers[REPLAYED] = "true"
    return response
