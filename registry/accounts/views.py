"""Account pages: sign in and out, the organisation's people, API tokens, organisations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from registry.accounts import service
from registry.accounts.access import kinds_required, principal, roles_required
from registry.accounts.forms import (
    KIND_LABELS,
    ROLE_LABELS,
    SCOPE_LABELS,
    LoginForm,
    OrganisationForm,
    TokenForm,
    UserForm,
)
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.errors import DomainError

bp = Blueprint("accounts", __name__)

Page = str | tuple[str, int] | Response


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths, so a login link cannot bounce users elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _form_page(template: str, form: object, **context: object) -> Page:
    """Re-show a form; 422 when it was submitted with errors (field messages in the page)."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def _apply_domain_errors(form: object, exc: DomainError) -> None:
    for field, messages in exc.errors.items():
        getattr(form, field).errors = list(messages)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(db.session, form.email.data or "", form.password.data or "")
        except DomainError as exc:
            form.password.errors = [str(exc.title)]
            return render_template("accounts/login.html", form=form), exc.status
        db.session.commit()
        login_user(user)
        return redirect(safe_next(request.args.get("next"), url_for("accounts.dashboard")))
    return _form_page("accounts/login.html", form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.home"))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    return render_template(
        "accounts/dashboard.html", org=current_user.organisation, kind_labels=KIND_LABELS
    )


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation() -> Page:
    """The signed-in user's own organisation and its people; admins add people here."""
    org = current_user.organisation
    form = UserForm()
    if request.method == "POST":
        if not current_user.has_role(Role.ADMIN):
            return render_template(
                "errors/error.html",
                status=403,
                title=_("You are not allowed to do this."),
                detail=None,
            ), 403
        if form.validate_on_submit():
            try:
                service.create_user(
                    db.session,
                    organisation=org,
                    email=form.email.data or "",
                    name=form.name.data or "",
                    password=form.password.data or "",
                    roles=form.roles.data or [],
                )
            except DomainError as exc:
                _apply_domain_errors(form, exc)
            else:
                db.session.commit()
                flash(_("User added."), "success")
                return redirect(url_for("accounts.organisation"))
    return _form_page(
        "accounts/organisation.html",
        form,
        org=org,
        members=org.users,
        kind_labels=KIND_LABELS,
        role_labels=ROLE_LABELS,
    )


@bp.route("/tokens", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.STAFF)
def tokens() -> Page:
    acting = principal()
    form = TokenForm()
    created_secret = None
    if form.validate_on_submit():
        _, created_secret = service.create_token(
            db.session,
            user=acting.user,
            name=form.name.data or "",
            scopes=form.scopes.data or [],
            valid_days=form.valid_days.data or None,
        )
        db.session.commit()
        form = TokenForm(formdata=None)
    listed = service.organisation_tokens(db.session, acting.organisation_id)
    if created_secret:
        return render_template(
            "accounts/tokens.html",
            form=form,
            tokens=listed,
            created_secret=created_secret,
            scope_labels=SCOPE_LABELS,
        )
    return _form_page(
        "accounts/tokens.html", form, tokens=listed, created_secret=None, scope_labels=SCOPE_LABELS
    )


@bp.post("/tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN, Role.STAFF)
def revoke_token(token_id: int) -> Response:
    service.revoke_token(db.session, organisation_id=principal().organisation_id, token_id=token_id)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))


@bp.route("/organisations", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@kinds_required(OrgKind.AUTHORITY)
def organisations() -> Page:
    """The authority registers the organisations that take part in the programme."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            service.create_organisation(
                db.session,
                code=form.code.data or "",
                name=form.name.data or "",
                kind=form.kind.data or "",
                province=form.province.data or "",
                commune=form.commune.data or "",
                actor=current_user.organisation.code,
            )
        except DomainError as exc:
            _apply_domain_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Organisation registered."), "success")
            return redirect(url_for("accounts.organisations"))
    return _form_page(
        "accounts/organisations.html",
        form,
        orgs=service.list_organisations(db.session),
        kind_labels=KIND_LABELS,
    )
