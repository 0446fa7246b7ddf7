"""Keys of idempotent writes: claim a key for a request, keep the request's answer in the
same transaction as its work, replay that answer to a retry.

A key belongs to one caller (a signed-in user or an API token) and names one request, by its
fingerprint (method, path and a digest of the body). The claim is committed on its own
before the work starts, so that a second request with the key, sent while the first is still
being processed, sees it and is told 409 instead of doing the work twice; the answer is
written by the work's own transaction, so a write and its answer are committed together or
not at all. A claim whose request failed is released (the failure wrote nothing, so a retry
may do the work); one left behind by a crashed worker can be taken over after `STALE`.
Keys are kept `RETENTION` (the draft asks servers to say how long; docs/api.md does)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from registry.db import Db, commit_keeping
from registry.errors import DomainError
from registry.idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
STALE = timedelta(minutes=2)  # a request still unanswered after this is taken as lost
DONE = 0  # the status kept while the answer of work already committed is being made
_KEY = re.compile(r"[!#-\[\]-~]{1,255}")  # visible ASCII but quote and backslash (sf-string)


class InvalidKey(DomainError):
    status = 400
    title = _l("The Idempotency-Key header is not valid.")


class KeyReused(DomainError):
    """The draft's 422: the key was first sent with another request."""

    status = 422
    slug = "idempotency-key-reused"
    title = _l("This Idempotency-Key was already used for another request.")


class RequestInProgress(DomainError):
    """The draft's 409: the first request with the key has not been answered yet."""

    status = 409
    slug = "request-in-progress"
    title = _l("A request with this Idempotency-Key is still being processed.")


class ClaimTaken(RequestInProgress):
    """This request ran past `STALE` and a retry took its claim over: its work is rolled
    back, and the retry's counts."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it is kept and replayed."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def parse_key(value: str) -> str:
    """The key of an `Idempotency-Key` header: a structured-field string (`"…"`); a bare
    value is taken as it is, as most clients send one."""
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _KEY.fullmatch(key):
        message = _l("Use 1 to 255 visible ASCII characters, e.g. a UUID.")
        raise InvalidKey(message, errors={HEADER: [str(message)]})
    return key


def fingerprint(method: str, path: str, body_digest: str) -> str:
    """What makes two requests the same request: method, path (with its query) and body."""
    return hashlib.sha256(f"{method.upper()} {path}\n{body_digest}".encode()).hexdigest()


def claim(
    session: Db, caller: str, key: str, fingerprint: str, now: datetime
) -> IdempotencyKey | Answer:
    """Claim `key` for the request with `fingerprint` (committed), or the first answer to
    replay. Raises KeyReused for another request's key and RequestInProgress while the first
    request with it is still being processed."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    record = _find(session, caller, key)
    if record is None:
        record = IdempotencyKey(
            caller=caller,
            key=key,
            fingerprint=fingerprint,
            claimed_at=now,
            expires_at=now + RETENTION,
        )
        session.add(record)
        try:
            commit_keeping(session)  # the request goes on with its user and organisation
            return record
        except IntegrityError:  # claimed by a concurrent request a moment ago
            session.rollback()
            record = _find(session, caller, key)
            if record is None:
                raise RequestInProgress() from None
    session.commit()
    if record.fingerprint != fingerprint:
        raise KeyReused()
    if record.status == DONE:
        if record.claimed_at > now - STALE:
            raise RequestInProgress()
        return done()
    if record.status is not None:
        return Answer(record.status, dict(record.headers), bytes(record.body))
    if record.claimed_at <= now - STALE and _take_over(session, record, now):
        return record
    raise RequestInProgress()


def _find(session: Db, caller: str, key: str) -> IdempotencyKey | None:
    query = select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
    return session.scalar(query.execution_options(populate_existing=True))


def _take_over(session: Db, record: IdempotencyKey, now: datetime) -> bool:
    """Claim a stale key again; of two retries that try at once, one wins."""
    taken = session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == record.id,
            IdempotencyKey.status.is_(None),
            IdempotencyKey.claimed_at == record.claimed_at,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(record)
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def mark_done(session: Db, record: IdempotencyKey) -> None:
    """Keep, with the work of a view that commits before rendering its answer
    (`http.commit_work`), that the work is done; the real answer replaces this a moment
    later. Until `STALE` a retry is told the request is still in progress; after it (the
    server stopped in between) it gets `done()`."""
    _keep(session, record, Answer(DONE))


def done() -> Answer:
    """What a retry gets for a request whose work was done but whose answer was lost: a
    success, as the work was done, in the retry's language."""
    detail = _l(
        "The request was carried out, but its answer was lost when the server stopped: "
        "open the record to see it."
    )
    body = json.dumps({"status": "done", "detail": str(detail)}, ensure_ascii=False)
    return Answer(200, {"Content-Type": "application/json"}, body.encode())


def answer(session: Db, record: IdempotencyKey, found: Answer) -> None:
    """Keep the answer of the claimed request; the caller commits it with the request's work."""
    _keep(session, record, found)


def _keep(session: Db, record: IdempotencyKey, found: Answer) -> None:
    """Write `found` for the key only while this request still holds its claim: a retry may
    have taken over a claim older than `STALE` from a request still at work, and then this
    request's work must not commit beside the retry's (ClaimTaken rolls it back)."""
    kept = session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == record.id,
            IdempotencyKey.claimed_at == record.claimed_at,
            or_(IdempotencyKey.status.is_(None), IdempotencyKey.status == DONE),
        )
        .values(status=found.status, headers=found.headers, body=found.body)
        .execution_options(synchronize_session=False)
    )
    if kept.rowcount != 1:  # type: ignore[attr-defined]
        raise ClaimTaken()
    for name, value in [("status", found.status), ("headers", found.headers), ("body", found.body)]:
        set_committed_value(record, name, value)


def release(session: Db, record: IdempotencyKey) -> None:
    """Give the key back after a request that failed: its work was rolled back, so a retry
    with the key may do it."""
    ours = record.claimed_at  # read before the rollback expires it
    session.rollback()
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.id == record.id,
            IdempotencyKey.status.is_(None),
            IdempotencyKey.claimed_at == ours,  # not the claim of a retry that took it over
        )
    )
    session.commit()
