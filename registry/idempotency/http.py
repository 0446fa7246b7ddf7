"""`@idempotent`: the `Idempotency-Key` header on a view that writes, and the commit of its work.

A view under `@idempotent` leaves the commit to it: the decorator commits the view's work
together with the answer it keeps for the key (a success, 2xx or 3xx), or rolls it back
(any other answer, or an exception). Without the header the view works as any other,
committed on success. The caller is the API token or, on pages, the signed-in user; a key
of one caller is never seen by another.

The view's log entries go to the sequencer's pool (`sequencer.batched`): they are numbered
in batches once committed, so that writers do not commit one at a time behind the log's
head. A view whose answer shows an index (an API write that returns the record) commits
its work before rendering it, with `commit_work()` or `@commits_before_answer`: the indices
are known when the commit returns. The answer is then kept in a second transaction; the
first keeps that the work is done (`service.mark_done`): a retry meanwhile is told the
request is in progress, and one after the server stopped between the two is told it was
done, never doing it twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import IO, Any, ParamSpec

import rfc8785
from flask import Response, g, make_response, request

from registry.accounts.access import principal
from registry.db import commit_keeping, db, utcnow
from registry.idempotency import service
from registry.idempotency.models import IdempotencyKey
from registry.idempotency.service import HEADER, Answer
from registry.ledger import sequencer

P = ParamSpec("P")
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
NOT_IN_FINGERPRINT = {"csrf_token"}  # changes with the session, not with the request
KEPT_HEADERS = ("Content-Type", "Content-Language", "Location", "ETag", "Link", "Vary")
REPLAYED = "Idempotent-Replayed"
CHUNK = 1024 * 1024
CLAIM = "idempotency_claim"  # g: the key claimed for this request, if any
COMMITTED = "idempotency_work_committed"  # g: commit_work() has committed the view's work

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
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return _committed(make_response(view(*args, **kwargs)))
        sent = request.headers.get(HEADER)
        try:
            with sequencer.batched(db.session):
                if sent is None:
                    return _committed(make_response(view(*args, **kwargs)))
                return _keyed(service.parse_key(sent), view, *args, **kwargs)
        finally:  # a test may send several requests in one application context
            g.pop(CLAIM, None)
            g.pop(COMMITTED, None)

    return wrapper


def _keyed(key: str, view: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Response:
    found = service.claim(db.session, caller(), key, _fingerprint(), utcnow())
    if isinstance(found, Answer):
        return _replay(found)
    setattr(g, CLAIM, found)
    try:
        response = make_response(view(*args, **kwargs))
    except BaseException:
        _release_unless_done(found)
        raise
    if response.status_code >= 400 and not g.get(COMMITTED):
        service.release(db.session, found)
        return response
    try:
        service.answer(db.session, found, _kept(response))
        db.session.commit()
    except BaseException:  # a retry may do the work, unless it is done already
        _release_unless_done(found)
        raise
    return response


def commit_work() -> None:
    """Commit the view's work now, before its answer is rendered: the log entries it
    submitted are numbered when the commit returns, and their indices filled in. With an
    `Idempotency-Key` the same transaction keeps that the work is done (`service.mark_done`),
    so that a retry never does it twice; `@idempotent` keeps the real answer next."""
    found = g.get(CLAIM)
    if found is not None:
        service.mark_done(db.session, found)
    commit_keeping(db.session)  # the answer shows what was just written
    setattr(g, COMMITTED, True)


def commits_before_answer(view: Callable[P, Any]) -> Callable[P, Any]:
    """For an API view under `@idempotent` whose answer shows log indices: placed below
    `@blp.response`, it commits the view's work (`commit_work`) before the answer is
    rendered from what the view returned. (API views refuse by raising, so what returns
    is a success.)"""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        result = view(*args, **kwargs)
        commit_work()
        return result

    return wrapper


def _release_unless_done(found: IdempotencyKey) -> None:
    """Give the key back after a failure, unless the work was committed already: then its
    done mark stays, for a retry to be told so."""
    if g.get(COMMITTED):
        db.session.rollback()
    else:
        service.release(db.session, found)


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
