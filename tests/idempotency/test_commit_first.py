"""Writes through the web and the API log their entries through the batched sequencer
(registry/idempotency/http.py, registry/ledger/sequencer.py): the entry goes to the pool with
the change, is numbered once committed, and the answer still shows its index. With a key,
the work commits with the mark that it is done; a retry after a crash between that commit
and the real answer's is told so, never making a second record. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry.db import db, utcnow
from registry.idempotency import http, service
from registry.idempotency.models import IdempotencyKey
from registry.ledger import service as ledger
from registry.ledger.models import LogEntry, LogPending
from registry.ledger.schemas import LogIndex
from registry.trace import service as trace_service
from registry.trace.models import DiaryEntry, Field, Season
from tests.conftest import Factory
from tests.idempotency.test_http import ENTRY, SEASON, a_season, count, keyed
from tests.trace.test_api import FIELD, writer
from tests.trace.test_offline import WATER, outbox_post
from tests.trace.test_offline import a_season as a_season_on_pages
from tests.trace.test_views import FIELD_FORM, signed_in_htx


def logged(app: Flask, index: int) -> dict[str, Any]:
    """The log entry at `index`, decoded, which the pool numbered (its pending row says so)."""
    with app.app_context():
        pooled = db.session.scalar(select(LogPending.id).where(LogPending.log_index == index))
        assert pooled is not None, f"entry {index} did not go through the sequencer's pool"
        return dict(json.loads(ledger.entry(db.session, index)))


def stored_index(app: Flask, model: Any, key: Any) -> int:
    with app.app_context():
        row = db.session.get(model, key)
        assert row is not None
        return int(row.log_index)


@pytest.mark.parametrize("key", [None, "k-batched"])
def test_an_api_diary_entry_is_numbered_by_the_sequencer_and_answers_its_index(
    app: Flask, client: FlaskClient, make: Factory, key: str | None
) -> None:
    auth = writer(app, make)
    a_season(client, auth)
    answer = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, key) if key else auth)
    assert answer.status_code == 201, answer.json
    index = answer.json["log_index"]
    entry = logged(app, index)
    assert entry["type"] == "season.diary" and entry["data"]["entry"] == answer.json["id"]
    assert stored_index(app, DiaryEntry, answer.json["id"]) == index
    if key:
        again = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, key))
        assert again.headers["Idempotent-Replayed"] == "true" and again.json == answer.json


def test_api_fields_and_seasons_answer_the_indices_the_pool_gave(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    auth = writer(app, make)
    a_season(client, auth)
    with app.app_context():
        field = db.session.scalars(select(Field)).one()
        season = db.session.scalars(select(Season)).one()
        field_index, season_code = field.log_index, season.code
    assert logged(app, field_index)["type"] == "field.registered"
    opened = [e for e in (logged(app, i) for i in range(field_index + 1, field_index + 2))]
    assert opened[0]["type"] == "season.opened" and opened[0]["subject"] == season_code
    shown = client.get("/api/v1/fields/DS-01", headers=auth).json
    assert shown["log_index"] == field_index


@pytest.mark.parametrize("key", [None, "k-field"])
def test_a_field_answers_the_index_the_pool_gave_over_the_api(
    app: Flask, client: FlaskClient, make: Factory, key: str | None
) -> None:
    auth = writer(app, make)
    answer = client.post("/api/v1/fields", json=FIELD, headers=keyed(auth, key) if key else auth)
    assert answer.status_code == 201, answer.json
    index = answer.json["log_index"]
    assert logged(app, index)["type"] == "field.registered"
    with app.app_context():
        assert db.session.scalars(select(Field.log_index)).one() == index


def test_a_field_from_the_phones_outbox_answers_its_numbered_index(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    signed_in_htx(client, make)
    answer = outbox_post(client, "/fields/new", FIELD_FORM)
    assert answer.status_code == 201, answer.json
    entry = logged(app, answer.json["log_index"])
    assert entry["type"] == "field.registered" and entry["subject"] == "DS-01"


def test_an_index_not_numbered_yet_is_shown_as_null_never_as_minus_one() -> None:
    """Readers between a write's commit and its numbering see null, not the placeholder."""
    shown = LogIndex()
    assert shown.serialize("i", {"i": -1}) is None and shown.serialize("i", {"i": None}) is None
    assert shown.serialize("i", {"i": 0}) == 0 and shown.serialize("i", {"i": 41}) == 41


def test_the_diary_page_answers_the_outbox_with_the_numbered_index(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    a_season_on_pages(client, make)
    form = {"event": "drainage", "date": "2026-07-20", "end_date": "2026-07-25"}
    answer = outbox_post(client, WATER, form)
    assert answer.status_code == 201, answer.json
    entry = logged(app, answer.json["log_index"])
    assert entry["type"] == "season.diary" and entry["data"]["entry"] == answer.json["id"]
    with app.app_context():
        opened = db.session.scalars(select(LogEntry).where(LogEntry.type == "season.opened"))
        assert [logged(app, row.index)["type"] for row in opened] == ["season.opened"]


def test_a_retry_after_a_crash_between_work_and_answer_gets_done_not_a_second_entry(
    app: Flask, client: FlaskClient, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The work has committed, with the mark that it is done; keeping the real answer fails
    (the server stopped). A retry is told the request is in progress until the claim is
    stale, then that the work was done; nothing is done twice."""
    auth = writer(app, make)
    a_season(client, auth)
    kept = http._kept

    def lost(response: Any) -> Any:
        raise RuntimeError("the server stopped")

    monkeypatch.setattr(http, "_kept", lost)
    failed = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "k-lost"))
    assert failed.status_code == 500 and count(app, DiaryEntry) == 1
    monkeypatch.setattr(http, "_kept", kept)
    soon = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "k-lost"))
    assert soon.status_code == 409  # as if the answer were still being made
    assert soon.json["type"].endswith("/problems/request-in-progress")
    with app.app_context():  # the server that did the work never came back
        db.session.execute(
            update(IdempotencyKey).values(
                claimed_at=utcnow() - service.STALE - timedelta(seconds=1)
            )
        )
        db.session.commit()
    english = {**keyed(auth, "k-lost"), "Accept-Language": "en"}
    retry = client.post("/api/v1/diary", json=ENTRY, headers=english)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["status"] == "done" and "answer was lost" in retry.json["detail"]
    vietnamese = client.post("/api/v1/diary", json=ENTRY, headers=keyed(auth, "k-lost"))
    assert "câu trả lời bị mất" in vietnamese.json["detail"]
    assert count(app, DiaryEntry) == 1


def test_concurrent_api_writers_each_learn_their_own_index(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    """Twelve writers at once, each its own entry: twelve distinct indices, each holding
    its writer's entry, and the log gapless."""
    auth = writer(app, make)
    a_season(client, auth)
    with app.app_context():
        before = ledger.size(db.session)
    start = threading.Barrier(12)
    answers: list[Any] = []

    def send(day: int) -> None:
        mine = app.test_client()
        body = {**ENTRY, "date": f"2026-05-{day:02d}"}
        start.wait()
        answers.append(
            mine.post("/api/v1/diary", json=body, headers=keyed(auth, str(uuid.uuid4())))
        )

    threads = [threading.Thread(target=send, args=(day,)) for day in range(3, 15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 12
    indices = sorted(a.json["log_index"] for a in answers)
    with app.app_context():
        assert indices == list(range(before, ledger.size(db.session)))
    for answer in answers:
        assert logged(app, answer.json["log_index"])["data"]["entry"] == answer.json["id"]


@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/v1/diary", "record_entry"), ("/api/v1/seasons", "open_season")],
)
def test_a_request_whose_claim_a_retry_took_over_writes_nothing(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    name: str,
) -> None:
    """The request ran past STALE and a retry took its key over while it was at work (the
    diary commits before its answer, the season with it): it is told 409 and its work rolls
    back, so only the retry's counts; the retry's claim is left alone."""
    auth = writer(app, make)
    a_season(client, auth)
    body = (
        ENTRY if name == "record_entry" else {**SEASON, "year": 2027, "sowing_date": "2027-05-02"}
    )
    real = getattr(trace_service, name)

    def taken_over_meanwhile(*args: Any, **kwargs: Any) -> Any:
        with Session(db.engine) as retry:  # before this request writes (SQLite locks then)
            retry.execute(update(IdempotencyKey).values(claimed_at=utcnow() + timedelta(seconds=1)))
            retry.commit()
        return real(*args, **kwargs)

    monkeypatch.setattr(trace_service, name, taken_over_meanwhile)
    entries, seasons = count(app, DiaryEntry), count(app, Season)
    answer = client.post(path, json=body, headers=keyed(auth, "k-slow"))
    assert answer.status_code == 409, answer.json
    assert answer.json["type"].endswith("/problems/request-in-progress")
    assert (count(app, DiaryEntry), count(app, Season)) == (entries, seasons)
    with app.app_context():
        claim = db.session.scalars(select(IdempotencyKey)).one()
        assert claim.status is None  # the retry's claim, still its own
