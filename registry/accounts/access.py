"""Access control that every view and endpoint uses.

A request acts for exactly one organisation: the signed-in user's, or the one that owns the
bearer token. Private records are looked up through `own()`, which answers 404 (not 403) for
another organisation's record so that its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, current_app, g, request
from flask_login import current_user, login_required
from werkzeug.datastructures import WWWAuthenticate

from registry.accounts import service
from registry.accounts.models import Organisation, OrgKind, Role, User
from registry.db import db

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Principal:
    """Who is acting: the organisation, its kind, and the acting user."""

    organisation_id: int
    kind: OrgKind
    user: User
    scopes: frozenset[str] | None = None  # None: a signed-in person, not limited by scopes
    token_id: int | None = None  # the API token acting, if any


def principal() -> Principal:
    """The principal of this request; 401 when nobody is authenticated."""
    found: Principal | None = g.get("principal")
    if found is not None:
        return found
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()
        return Principal(user.organisation_id, user.organisation.kind, user)
    abort(401)


def acting_organisation() -> Organisation:
    """The acting organisation's record (the principal carries only its id)."""
    org = db.session.get(Organisation, principal().organisation_id)
    if org is None:
        abort(401)
    return org


def own(organisation_id: int) -> None:
    """404 unless the record belongs to the acting organisation."""
    if organisation_id != principal().organisation_id:
        abort(404)


def commune_of(viewer: Organisation) -> tuple[str, str] | None:
    """(province, commune) for a commune office, which reads the records of its own commune
    and of no other; None for every other kind, whose reach its kind decides (the authority
    reads everywhere, an HTX, a mill or a verifier reads its own records)."""
    if viewer.kind is OrgKind.COMMUNE_OFFICE:
        return viewer.province, viewer.commune
    return None


def _check_roles(roles: tuple[Role, ...]) -> None:
    user = principal().user
    if roles and not any(user.has_role(r) for r in roles):
        abort(403)


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A page for signed-in users holding one of `roles` in their organisation."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            _check_roles(roles)
            return view(*args, **kwargs)

        return login_required(wrapper)

    return decorate


def kinds_required(*kinds: OrgKind) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A page or endpoint only organisations of these kinds may use."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            _check_kinds(kinds)
            return view(*args, **kwargs)

        wrapper.org_kinds = kinds  # type: ignore[attr-defined]  # read by check_access_first
        return wrapper

    return decorate


def _check_kinds(kinds: tuple[OrgKind, ...]) -> None:
    if principal().kind not in kinds:
        abort(403)


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def token_required(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """An API endpoint for a bearer token holding `scope` (401 without one, 403 without scope)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            _check_token(scope)
            return view(*args, **kwargs)

        wrapper.token_scope = scope  # type: ignore[attr-defined]  # read by check_access_first
        return wrapper

    return decorate


def _check_token(scope: str) -> None:
    """Authenticate the bearer token once a request and check that it holds `scope`."""
    acting: Principal | None = g.get("principal")
    if acting is None:
        secret = _bearer_secret()
        token = service.token_for_secret(db.session, secret) if secret else None
        if token is None:
            abort(401, www_authenticate=WWWAuthenticate("bearer", {"realm": "registry"}))
        acting = Principal(
            token.organisation_id,
            token.organisation.kind,
            token.created_by,
            frozenset(token.scopes),
            token.id,
        )
        g.principal = acting
        if db.session.is_modified(token):
            db.session.commit()  # keep last_used_at even if the endpoint only reads
    if scope not in (acting.scopes or ()):
        abort(403)


def check_access_first() -> None:
    """Check the token and the organisation's kind before the endpoint runs (a `before_request`
    hook). flask-smorest's decorators read the query and the body outside ours, so without
    this a request with no token would get 422 field errors instead of a 401, and an
    organisation of the wrong kind would learn which fields it got wrong before its 403.
    The decorators still check, for any view this hook does not see."""
    g.pop("principal", None)  # it belongs to one request (tests send many in one app context)
    view = current_app.view_functions.get(request.endpoint or "")
    scope: str | None = getattr(view, "token_scope", None)
    if scope is None:
        return  # pages sign in with a session; their decorators redirect to the sign-in page
    _check_token(scope)
    kinds: tuple[OrgKind, ...] | None = getattr(view, "org_kinds", None)
    if kinds:
        _check_kinds(kinds)
