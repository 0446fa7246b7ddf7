"""The public label-status read (`GET /api/v1/labels/<serial>`) served in front of Flask.

Retailers' apps and scanners call it far more than anything else, and DESIGN.md §9 asks it
to keep up with 60 % of a bare Flask endpoint. Through the whole app a read pays for every
extension's hooks (rate limiter, CSRF, sign-in, session cookie) before its one SELECT, and
reaches only ~20 % (bench/labels_bench.py). So this WSGI layer answers the known serials
itself: one prepared SELECT on a connection borrowed for the read, the same status object the
Flask endpoint makes (a test holds them equal), an ETag, and the security headers. Anything
else, unknown serials included (for the 404 problem details), goes on to Flask.

Rate limiting for this path belongs to the reverse proxy: the answer is small, cacheable
and reveals nothing that the open listing does not."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from sqlalchemy import Engine

from registry.db import utcnow
from registry.keys import KeyStore
from registry.labels import schemas, status
from registry.labels.api import compromised_in
from registry.labels.models import LabelStatus

PATH = re.compile(r"/api/v1/labels/([A-Za-z0-9-]{1,20})\Z")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StatusFastPath:
    def __init__(
        self, wrapped: WSGIApp, engine: Engine, keys: KeyStore, headers: dict[str, str]
    ) -> None:
        self.wrapped, self.reader, self.keys = wrapped, reader_for(engine), keys
        self.headers = [(k, v) for k, v in headers.items()]
        self.compromised, self.checked_at = frozenset[str](), float("-inf")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        found = PATH.match(environ.get("PATH_INFO", ""))
        if found is None or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.wrapped(environ, start_response)
        body = self.read(found.group(1))
        if body is None:
            return self.wrapped(environ, start_response)
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        headers = [("ETag", etag), ("Cache-Control", "public, no-cache"), *self.headers]
        if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", headers)
            return []
        start_response(
            "200 OK",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
        )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def read(self, serial: str) -> bytes | None:
        """The status object as JSON bytes, or None for an unknown serial."""
        row = self.reader.row(serial.upper())
        if row is None:
            return None
        found = status.state(row, utcnow(), self._compromised())
        data = schemas.status_object(row, found.status, found.reason)
        for name in ("issued_at", "expires_at"):  # as marshmallow's DateTime writes them
            data[name] = data[name].isoformat()
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()

    def _compromised(self) -> frozenset[str]:
        """Looked up at most once a second: a key marked compromised shows within it."""
        now = time.monotonic()
        if now - self.checked_at > 1.0:
            self.compromised, self.checked_at = compromised_in(self.keys), now
        return self.compromised


class StatusRow(NamedTuple):
    """A label's status columns, in the order of `SQL`."""

    serial: str
    status: LabelStatus
    reason_code: str | None
    url: str
    product: str
    lot: str
    organisation: str
    commune: str
    g_co2e_per_kg: int
    reduction_permille: int
    issued_at: datetime
    expires_at: datetime
    log_index: int
    kid: str
    crop: str
    removals_kg_co2_per_kg: float | None


SQL = f"SELECT {', '.join(StatusRow._fields)} FROM labels WHERE serial = %s"


class CoreReader:
    """Any database, through SQLAlchemy Core: each read checks a connection out of the
    engine's pool and gives it back, so no server shape can hold one past its request."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def row(self, serial: str) -> Any:
        with self.engine.connect() as connection:
            try:
                return status.status_row(connection, serial)
            except status.UnknownLabel:
                return None


class PsycopgReader(CoreReader):
    """PostgreSQL: a server-side prepared statement on the driver's own autocommit
    connection (SQLAlchemy's statement machinery and the pool's pre-ping were a third of a
    read's CPU).

    A read borrows the most recently used idle connection and gives it back; at most `size`
    exist at once, and a read beyond that waits for one. Connections were once kept per
    thread, and the development server that `make demo` runs starts a thread per request:
    each thread took one from the engine's pool for good, and after about fifteen reads
    every request waited 30 s for a connection. The connections are detached from the
    engine's pool, so reads never compete with pages for it."""

    size = 4

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.idle: list[Any] = []
        self.slots = threading.BoundedSemaphore(self.size)

    def row(self, serial: str) -> Any:
        with self.slots:
            try:
                found = self._fetch(self._borrow(), serial)
            except psycopg.OperationalError:  # a dropped connection: one fresh try
                found = self._fetch(self._open(), serial)
        if found is None:
            return None
        return StatusRow._make((found[0], LabelStatus(found[1]), *found[2:]))

    def _borrow(self) -> Any:
        """The most recently used idle connection, or a new one. `pop` alone is atomic:
        testing `idle` first would race another thread for its last connection."""
        try:
            return self.idle.pop()
        except IndexError:
            return self._open()

    def _fetch(self, driver: Any, serial: str) -> Any:
        """The row, the connection given back after it (or closed, if the read failed)."""
        try:
            found = driver.execute(SQL, (serial,), prepare=True).fetchone()
        except BaseException:
            driver.close()
            raise
        self.idle.append(driver)
        return found

    def _open(self) -> Any:
        fairy = self.engine.raw_connection()
        driver: Any = fairy.driver_connection
        fairy.detach()  # ours now: the pool forgets it and opens another when it needs one
        driver.autocommit = True
        return driver


def reader_for(engine: Engine) -> CoreReader:
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        return PsycopgReader(engine)
    return CoreReader(engine)
