"""Accounts service: organisations, users, passwords, API tokens.

Functions take the SQLAlchemy session and plain values, raise the domain errors defined
here, and never look at the request. Callers commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from registry.accounts.models import ApiToken, Organisation, OrgKind, Role, User
from registry.db import Db, utcnow
from registry.errors import Conflict, DomainError, Forbidden, NotFound
from registry.ledger import service as ledger

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "ptt_"
SCOPES = ("read", "write", "exchange")  # exchange: national systems pull open data
TOKEN_NAME_MAX = 80
TOKEN_ROLES = frozenset({Role.ADMIN.value, Role.STAFF.value})  # as on the API tokens page

_hasher = PasswordHasher()


class InvalidCredentials(DomainError):
    status = 401
    title = _l("Wrong email or password.")


class TooManyFailedLogins(DomainError):
    status = 429
    title = _l("Too many failed sign-ins. Try again in 15 minutes.")


class WrongPassword(DomainError):
    title = _l("The current password is wrong.")


class TokenNotFound(NotFound):
    title = _l("This API token does not exist.")


class UnknownUser(NotFound):
    title = _l("No user has this email.")


class BadScopes(DomainError):
    title = _l("Give one or more of the scopes read, write and exchange.")


class BadTokenName(DomainError):
    title = _l("A token needs a name of at most 80 characters.")


class TokenNotAllowed(Forbidden):
    title = _l("Only an active admin or staff member can hold API tokens.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_organisation(
    session: Db,
    *,
    code: str,
    name: str,
    kind: OrgKind | str,
    province: str,
    commune: str,
    actor: str = ledger.SYSTEM_ACTOR,
) -> Organisation:
    """Register an organisation (public facts only go to the log)."""
    code = code.strip().upper()
    if session.scalar(select(Organisation.id).where(Organisation.code == code)):
        raise Conflict(
            _l("An organisation with code %(code)s already exists.", code=code),
            errors={"code": [str(_l("Already in use."))]},
        )
    org = Organisation(
        code=code, name=name.strip(), kind=OrgKind(kind), province=province, commune=commune.strip()
    )
    session.add(org)
    session.flush()
    ledger.append(
        session,
        "organisation.registered",
        actor,
        org.code,
        {
            "code": org.code,
            "name": org.name,
            "kind": org.kind.value,
            "province": org.province,
            "commune": org.commune,
        },
    )
    return org


def create_user(
    session: Db,
    *,
    organisation: Organisation,
    email: str,
    name: str,
    password: str,
    roles: Iterable[Role | str] = (Role.STAFF,),
    locale: str | None = None,
) -> User:
    email = email.strip().lower()
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(
            _l("A user with this email already exists."),
            errors={"email": [str(_l("Already in use."))]},
        )
    user = User(
        organisation=organisation,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        roles=sorted({Role(r).value for r in roles}),
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Db, email: str, password: str) -> User:
    """The active user with these credentials; counts failures and locks after too many."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    now = utcnow()
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time as a real check
        raise InvalidCredentials()
    if user.locked_until and user.locked_until > now:
        raise TooManyFailedLogins()
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        session.commit()
        raise InvalidCredentials() from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    return user


def change_password(session: Db, user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword() from None
    user.password_hash = hash_password(new)


def _digest(secret: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is a sound at-rest hash for them."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Db,
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    valid_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the user's organisation and its secret, which is never stored."""
    wanted = set(scopes)
    if not wanted or not wanted <= set(SCOPES):
        raise BadScopes(errors={"scopes": [str(BadScopes.title)]})
    if not 0 < len(name.strip()) <= TOKEN_NAME_MAX:
        raise BadTokenName(errors={"name": [str(BadTokenName.title)]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=valid_days) if valid_days else None
    token = ApiToken(
        organisation_id=user.organisation_id,
        created_by=user,
        name=name.strip(),
        prefix=secret[:12],
        token_hash=_digest(secret),
        scopes=sorted(wanted),
        expires_at=expires,
    )
    session.add(token)
    session.flush()
    return token, secret


def create_token_for(
    session: Db, *, email: str, name: str, scopes: Iterable[str], valid_days: int | None = None
) -> tuple[ApiToken, str]:
    """The operator's way to the token the API tokens page makes (`registry tokens
    create`): for the user with this email, who must be an active admin or staff member,
    as the page requires of whoever makes one there."""
    user = user_by_email(session, email)
    if not (user.active and TOKEN_ROLES & set(user.roles)):
        raise TokenNotAllowed()
    return create_token(session, user=user, name=name, scopes=scopes, valid_days=valid_days)


def organisation_tokens(session: Db, organisation_id: int) -> list[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.organisation_id == organisation_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(query))


def user_by_email(session: Db, email: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise UnknownUser()
    return user


def token_by_id(session: Db, token_id: int) -> ApiToken:
    """Any organisation's token: for the operator's `registry tokens revoke`."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFound()
    return token


def revoke_token(session: Db, *, organisation_id: int, token_id: int) -> ApiToken:
    """Revoke one of the organisation's tokens; another organisation's token is 'not found'."""
    token = session.get(ApiToken, token_id)
    if token is None or token.organisation_id != organisation_id:
        raise TokenNotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


#: `last_used_at` is kept to the minute: a gateway's token makes many requests a second, and
#: writing its row each time would make every one of them wait for a disk flush.
USED_TO_THE = timedelta(minutes=1)


def token_for_secret(session: Db, secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token this bearer secret belongs to, or None; records when it was used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    now = now or utcnow()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= now):
        return None
    if not token.created_by.active:
        return None
    if token.last_used_at is None or token.last_used_at <= now - USED_TO_THE:
        token.last_used_at = now
    return token


def organisation_by_code(session: Db, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code.upper()))
    if org is None:
        raise NotFound(_l("No organisation has code %(code)s.", code=code))
    return org


def list_organisations(session: Db, kind: OrgKind | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.kind, Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
