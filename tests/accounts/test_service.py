from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.accounts import service
from registry.accounts.models import ApiToken, Organisation, OrgKind, User
from registry.db import db, utcnow
from registry.errors import Conflict
from tests.conftest import PASSWORD, Factory


def test_organisation_codes_are_unique_and_upper_case(ctx: None) -> None:
    org = service.create_organisation(
        db.session,
        code="htx-a",
        name="HTX A",
        kind="producer",
        province="Cần Thơ",
        commune="xã Thới Lai",
    )
    assert org.code == "HTX-A"
    with pytest.raises(Conflict) as caught:
        service.create_organisation(
            db.session,
            code="HTX-A",
            name="Khác",
            kind="retailer",
            province="Cần Thơ",
            commune="xã Cờ Đỏ",
        )
    assert "code" in caught.value.errors


def test_passwords_are_stored_as_argon2_hashes(ctx: None, make: Factory) -> None:
    user = make.user(make.org())
    stored = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_authenticate_accepts_right_password_and_rejects_wrong(ctx: None, make: Factory) -> None:
    user = make.user(make.org(), email="Hoa@HTX.vn")
    assert service.authenticate(db.session, " hoa@htx.vn ", PASSWORD).id == user.id
    with pytest.raises(service.InvalidCredentials):
        service.authenticate(db.session, user.email, "wrong password")
    with pytest.raises(service.InvalidCredentials):
        service.authenticate(db.session, "nobody@htx.vn", PASSWORD)


def test_too_many_failures_lock_the_account_even_for_the_right_password(
    ctx: None, make: Factory
) -> None:
    user = make.user(make.org())
    for _ in range(service.MAX_FAILED_LOGINS):
        with pytest.raises(service.InvalidCredentials):
            service.authenticate(db.session, user.email, "nope")
    with pytest.raises(service.TooManyFailedLogins):
        service.authenticate(db.session, user.email, PASSWORD)
    locked = db.session.get(User, user.id)
    assert locked is not None and locked.locked_until is not None
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert service.authenticate(db.session, user.email, PASSWORD).id == user.id


def test_token_secret_is_shown_once_and_only_its_digest_is_stored(ctx: None, make: Factory) -> None:
    user = db.session.get(User, make.user(make.org()).id)
    assert user is not None
    token, secret = service.create_token(db.session, user=user, name="kho", scopes=["read"])
    db.session.commit()
    assert secret.startswith("ptt_") and len(secret) > 40
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert stored is not None and secret not in (stored.token_hash, stored.prefix)
    found = service.token_for_secret(db.session, secret)
    assert found is not None and found.id == token.id and found.last_used_at is not None
    assert service.token_for_secret(db.session, secret + "x") is None
    assert service.token_for_secret(db.session, "not-a-token") is None


def test_a_token_keeps_when_it_was_last_used_to_the_minute(ctx: None, make: Factory) -> None:
    """A gateway's token makes many requests a second: its row is written at most once a
    minute, not by every request."""
    user = db.session.get(User, make.user(make.org()).id)
    assert user is not None
    _, secret = service.create_token(db.session, user=user, name="cổng", scopes=["read"])
    db.session.commit()
    start = utcnow()
    used = service.token_for_secret(db.session, secret, start)
    assert used is not None and used.last_used_at == start and db.session.is_modified(used)
    db.session.commit()
    soon = service.token_for_secret(db.session, secret, start + timedelta(seconds=59))
    assert soon is not None and soon.last_used_at == start and not db.session.is_modified(soon)
    later = start + service.USED_TO_THE
    assert (again := service.token_for_secret(db.session, secret, later)) is not None
    assert again.last_used_at == later


def test_revoked_and_expired_tokens_stop_working(ctx: None, make: Factory) -> None:
    user = db.session.get(User, make.user(make.org()).id)
    assert user is not None
    revoked, revoked_secret = service.create_token(db.session, user=user, name="a", scopes=["read"])
    _, expiring_secret = service.create_token(
        db.session, user=user, name="b", scopes=["read"], valid_days=30
    )
    service.revoke_token(db.session, organisation_id=user.organisation_id, token_id=revoked.id)
    db.session.commit()
    assert service.token_for_secret(db.session, revoked_secret) is None
    later = utcnow() + timedelta(days=31)
    assert service.token_for_secret(db.session, expiring_secret, now=later) is None
    assert service.token_for_secret(db.session, expiring_secret) is not None


def test_an_organisation_cannot_revoke_another_organisations_token(
    ctx: None, make: Factory
) -> None:
    owner = db.session.get(User, make.user(make.org()).id)
    other = make.org(kind=OrgKind.RETAILER)
    assert owner is not None
    token, secret = service.create_token(db.session, user=owner, name="x", scopes=["read"])
    db.session.commit()
    with pytest.raises(service.TokenNotFound):
        service.revoke_token(db.session, organisation_id=other.id, token_id=token.id)
    assert service.token_for_secret(db.session, secret) is not None


def test_organisation_listing_filters_by_kind(ctx: None, make: Factory) -> None:
    make.org(kind=OrgKind.PRODUCER)
    verifier = make.org(kind=OrgKind.VERIFIER)
    listed = service.list_organisations(db.session, OrgKind.VERIFIER)
    assert [o.code for o in listed] == [verifier.code]
    assert len(service.list_organisations(db.session)) == 2
    assert db.session.scalar(select(Organisation).where(Organisation.code == verifier.code))
