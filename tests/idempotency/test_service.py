"""The keys of idempotent writes (registry/idempotency/service.py), on the suite's database:
a claim, its answer replayed, another request's key refused, a key in progress refused
until its claim goes stale, a failed request's key given back, expired keys forgotten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.db import db, utcnow
from registry.idempotency import service
from registry.idempotency.models import IdempotencyKey
from registry.idempotency.service import Answer, KeyReused, RequestInProgress

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
PRINT = service.fingerprint("POST", "/api/v1/diary", "ab" * 32)


def rows() -> int:
    return db.session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0


def test_a_claimed_key_replays_the_answer_kept_with_it(ctx: None) -> None:
    claimed = service.claim(db.session, "user:1", KEY, PRINT, utcnow())
    assert isinstance(claimed, IdempotencyKey) and claimed.status is None
    service.answer(db.session, claimed, Answer(201, {"Location": "/x"}, b'{"id": 7}'))
    db.session.commit()
    again = service.claim(db.session, "user:1", KEY, PRINT, utcnow())
    assert again == Answer(201, {"Location": "/x"}, b'{"id": 7}')
    assert rows() == 1


def test_the_same_key_with_another_request_is_refused(ctx: None) -> None:
    claimed = service.claim(db.session, "user:1", KEY, PRINT, utcnow())
    assert isinstance(claimed, IdempotencyKey)
    service.answer(db.session, claimed, Answer(201))
    db.session.commit()
    other = service.fingerprint("POST", "/api/v1/diary", "cd" * 32)
    with pytest.raises(KeyReused) as refused:
        service.claim(db.session, "user:1", KEY, other, utcnow())
    assert refused.value.status == 422


def test_keys_are_the_callers_own(ctx: None) -> None:
    first = service.claim(db.session, "user:1", KEY, PRINT, utcnow())
    second = service.claim(db.session, "token:1", KEY, PRINT, utcnow())
    assert isinstance(first, IdempotencyKey) and isinstance(second, IdempotencyKey)
    assert first.id != second.id


def test_a_key_in_progress_is_refused_until_its_claim_goes_stale(ctx: None) -> None:
    start = utcnow()
    first = service.claim(db.session, "user:1", KEY, PRINT, start)
    assert isinstance(first, IdempotencyKey)
    with pytest.raises(RequestInProgress) as busy:
        service.claim(db.session, "user:1", KEY, PRINT, start + timedelta(seconds=30))
    assert busy.value.status == 409
    later = start + service.STALE + timedelta(seconds=1)
    taken = service.claim(db.session, "user:1", KEY, PRINT, later)
    assert isinstance(taken, IdempotencyKey) and taken.id == first.id
    assert taken.claimed_at == later
    with pytest.raises(RequestInProgress):  # the one who took it over holds it now
        service.claim(db.session, "user:1", KEY, PRINT, later + timedelta(seconds=1))


def test_a_failed_request_gives_its_key_back(ctx: None) -> None:
    claimed = service.claim(db.session, "user:1", KEY, PRINT, utcnow())
    assert isinstance(claimed, IdempotencyKey)
    service.release(db.session, claimed)
    assert rows() == 0
    assert isinstance(service.claim(db.session, "user:1", KEY, PRINT, utcnow()), IdempotencyKey)


def test_keys_are_kept_a_day_and_then_forgotten(ctx: None) -> None:
    start = utcnow()
    claimed = service.claim(db.session, "user:1", KEY, PRINT, start)
    assert isinstance(claimed, IdempotencyKey)
    service.answer(db.session, claimed, Answer(201, {}, b"first"))
    db.session.commit()
    day = start + service.RETENTION
    kept = service.claim(db.session, "user:1", KEY, PRINT, day - timedelta(seconds=1))
    assert kept == Answer(201, {}, b"first")
    fresh = service.claim(db.session, "user:1", KEY, PRINT, day + timedelta(seconds=1))
    assert isinstance(fresh, IdempotencyKey) and fresh.status is None
    assert rows() == 1


@pytest.mark.parametrize("value", ['"abc-1"', "abc-1", " abc-1 "])
def test_a_key_is_a_structured_field_string_or_a_bare_value(value: str) -> None:
    assert service.parse_key(value) == "abc-1"


@pytest.mark.parametrize("value", ["", '""', "a" * 256, "tab\tin", "é", 'quo"te', "back\\slash"])
def test_a_key_outside_visible_ascii_is_refused(value: str) -> None:
    with pytest.raises(service.InvalidKey) as refused:
        service.parse_key(value)
    assert refused.value.status == 400 and service.HEADER in refused.value.errors


def test_the_fingerprint_tells_method_path_and_body_apart() -> None:
    prints = {
        service.fingerprint("POST", "/a", "00"),
        service.fingerprint("PUT", "/a", "00"),
        service.fingerprint("POST", "/b", "00"),
        service.fingerprint("POST", "/a", "01"),
    }
    assert len(prints) == 4 and service.fingerprint("post", "/a", "00") in prints
