"""`Idempotency-Key` on the trace API's writes (registry/idempotency/http.py): a retry gets
the first answer and one record; another body with the key is 422, a key whose request is
still in progress 409; concurrent duplicates make one entry (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import uuid
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from registry.accounts.models import ApiToken
from registry.db import db, utcnow
from registry.idempotency import service
from registry.idempotency.models import IdempotencyKey
from registry.ledger.models import LogEntry
from registry.trace.models import DiaryEntry, EvidenceFile
from tests.accounts.test_api import bearer
from tests.conftest import Factory
from tests.trace.test_api import FIELD, writer

SEASON = {"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-05-02"}
ENTRY = {
    "season": "DS-01-2026-HT",
    "kind": "water",
    "date": "2026-05-20",
    "data": {"event": "drainage", "end_date": "2026-05-27"},
}


def a_season(client: FlaskClient, auth: dict[str, str]) -> None:
    assert client.post("/api/v1/fields", json=FIELD, headers=auth).status_code == 201
    assert client.post("/api/v1/seasons", json=SEASON, headers=auth).status_code == 201


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def keyed(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


def test_a_retry_gets_the_first_answer_and_makes_no_second_entry(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    a_season(client, auth)
    key = str(uuid.uuid4())
    first = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, key))
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    entries, log = count(app, DiaryEntry), count(app, LogEntry)
    again = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, f'"{key}"'))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data() and again.mimetype == first.mimetype
    assert count(app, DiaryEntry) == entries == 1 and count(app, LogEntry) == log
    other = client.post(
        "/api/v1/diary", json={**ENTRY, "date": "2026-05-21"}, headers=keyed(auth, key)
    )
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.json["type"].endswith("/problems/idempotency-key-reused")
    assert count(app, DiaryEntry) == 1
    without = client.post("/api/v1/diary", json=ENTRY, headers=auth)
    assert without.status_code == 201 and count(app, DiaryEntry) == 2  # no key: a new entry


def test_keys_are_each_callers_own(app: Flask, client: FlaskClient, make: Factory) -> None:
    """Two tokens of one HTX using the same key make two entries: a key is its caller's."""
    user = make.user(make.org())
    first, second = (bearer(app, user, scopes=("read", "write")) for _ in range(2))
    a_season(client, first)
    answers = [
        client.post("/api/v1/diary", json=ENTRY, headers=keyed(a, "k-1")) for a in (first, second)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json["id"] != answers[1].json["id"] and count(app, DiaryEntry) == 2


def test_a_key_still_in_progress_is_409_and_a_refused_write_frees_its_key(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    a_season(client, auth)
    refused = client.post(
        "/api/v1/diary", json={**ENTRY, "date": "2099-01-01"}, headers=keyed(auth, "k-2")
    )
    assert refused.status_code == 422 and count(app, IdempotencyKey) == 0
    body = json.dumps(ENTRY).encode()
    with app.app_context():  # another worker has claimed the key and is still at work
        token = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
        assert token is not None
        printed = service.fingerprint("POST", "/api/v1/diary", hashlib.sha256(body).hexdigest())
        service.claim(db.session, f"token:{token.id}", "k-3", printed, utcnow())
    busy = client.post(
        "/api/v1/diary", data=body, content_type="application/json", headers=keyed(auth, "k-3")
    )
    assert busy.status_code == 409 and busy.json["type"].endswith("/problems/request-in-progress")
    assert count(app, DiaryEntry) == 0


def test_a_write_whose_commit_fails_frees_its_key(
    app: Flask, client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry and its answer fail to commit together (the database refuses them): the
    claim is given back, so the client's retry is processed, not told 409 for minutes."""
    auth = writer(app, make)
    a_season(client, auth)
    commit = Session.commit

    def refused_once(session: Session) -> None:
        answered = [o for o in session.identity_map.values() if isinstance(o, DiaryEntry)]
        if answered and not refused:  # the commit of the entry with its key's answer
            refused.append(answered)
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        commit(session)

    refused: list[Any] = []
    monkeypatch.setattr(Session, "commit", refused_once)
    failed = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "k-4"))
    assert (
        failed.status_code == 500
        and refused
        and count(app, IdempotencyKey) == 0
        and count(app, DiaryEntry) == 0
    )
    retry = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "k-4"))
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert count(app, DiaryEntry) == 1 and count(app, IdempotencyKey) == 1


def test_a_bad_key_is_400_with_the_header_named(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    a_season(client, auth)
    bad = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "é" * 3))
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json["errors"]
    assert count(app, DiaryEntry) == 0


def test_an_upload_retried_with_a_new_multipart_boundary_is_the_same_request(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(photo, "JPEG")
    answers = [
        client.post(
            "/api/v1/evidence",
            headers=keyed(auth, "photo-1"),
            content_type=f"multipart/form-data; boundary=b{n}",
            data={"file": (io.BytesIO(photo.getvalue()), "ruong.jpg")},
        )
        for n in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert count(app, EvidenceFile) == 1


def test_concurrent_duplicates_make_one_entry(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Eight copies of one write sent at once: one entry, one log entry, and every answer
    is that entry, 409 (still in progress) or its replay."""
    auth = writer(app, make)
    a_season(client, auth)
    log_before = count(app, LogEntry)
    start = threading.Barrier(8)
    answers: list[tuple[int, Any]] = []

    def send() -> None:
        mine = app.test_client()
        start.wait()
        response = mine.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "same-key"))
        answers.append((response.status_code, response.json))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count(app, DiaryEntry) == 1 and count(app, LogEntry) == log_before + 1
    statuses = {status for status, _ in answers}
    assert statuses <= {201, 409} and 201 in statuses
    ids = {body["id"] for status, body in answers if status == 201}
    assert len(ids) == 1
