"""Account pages: sign in and out, the organisation's people, API tokens, organisations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
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
    PasswordForm,
    TokenForm,
    UserForm,
)
from registry.accounts.models import Organisation, OrgKind, Role
from registry.db import db
from registry.errors import DomainError
from registry.limits import SIGN_IN, limiter, limits_off
from registry.reminders import service as reminders
from registry.reports.labels_text import deadline_title
from registry.trace.service import today_in_vietnam

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
@limiter.limit(SIGN_IN, methods=["POST"], exempt_when=limits_off)
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
    """The organisation, and the reporting calendar's open reminders (a daily job records
    them, registry/reminders)."""
    org = current_user.organisation
    return render_template(
        "accounts/dashboard.html",
        org=org,
        kind_labels=KIND_LABELS,
        reminders=reminders.open_for(db.session, org, today_in_vietnam()),
        deadline_title=deadline_title,
    )


def _people_page(org: Organisation, can_add: bool, here: str) -> Page:
    """An organisation's people, with a form to add one when `can_add`."""
    form = UserForm()
    if request.method == "POST":
        if not can_add:
            abort(403)
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
                return redirect(here)
    return _form_page(
        "accounts/organisation.html",
        form,
        org=org,
        members=org.users,
        can_add=can_add,
        kind_labels=KIND_LABELS,
        role_labels=ROLE_LABELS,
    )


@bp.route("/organisation", methods=["GET", "POST"])
@login_required
def organisation() -> Page:
    """The signed-in user's own organisation and its people; its admins add people here."""
    return _people_page(
        current_user.organisation,
        current_user.has_role(Role.ADMIN),
        url_for("accounts.organisation"),
    )


@bp.route("/organisations/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@kinds_required(OrgKind.AUTHORITY)
def organisation_detail(code: str) -> Page:
    """The authority onboards an organisation: it adds the organisation's first people."""
    org = service.organisation_by_code(db.session, code)
    return _people_page(org, True, url_for("accounts.organisation_detail", code=org.code))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Page:
    """The signed-in person's own account: change the password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                db.session,
                current_user._get_current_object(),
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except DomainError as exc:
            form.current_password.errors = [str(exc.title)]
        else:
            db.session.commit()
            flash(_("Password changed."), "success")
            return redirect(url_for("accounts.account"))
    return _form_page("accounts/account.html", form)


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
