"""Declared ties (conflicts of interest) on pages: a verifier declares its own ties to a
cooperative, the authority declares them for any verifier, and the verification queue
marks the reports the viewing verifier may not decide. The rules live in
`registry.verify.ties`; registered under the `verifier` blueprint (`verifier.ties.*`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from registry.accounts.access import acting_organisation, kinds_required, principal, roles_required
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.errors import DomainError
from registry.validation import localise
from registry.verify import ties

bp = Blueprint("ties", __name__)

Page = str | tuple[str, int] | Response
DECLARERS = (Role.ADMIN, Role.STAFF)


def _page(errors: dict[str, Any], form: Any) -> str:
    """The verifier's own ties, or every verifier's for the authority, and the form."""
    org = acting_organisation()
    authority = org.kind is OrgKind.AUTHORITY
    verifiers = ties.organisations(db.session, OrgKind.VERIFIER) if authority else []
    producers = ties.organisations(db.session, OrgKind.PRODUCER)
    return render_template(
        "verifier/ties.html",
        org=org,
        authority=authority,
        declared=ties.ties_of(db.session, None if authority else org.id),
        kinds=ties.KINDS,
        verifier_names={v.code: v.name for v in verifiers},
        producer_names={p.code: f"{p.name} ({p.commune}, {p.province})" for p in producers},
        can_act=any(principal().user.has_role(r) for r in DECLARERS),
        max_note=ties.MAX_NOTE,
        errors=errors,
        form=form,
    )


def _declare(verifier_code: str) -> Page:
    """Declare the tie the form names; field errors beside the fields, nothing written."""
    form = request.form
    try:
        tie = ties.declare_by_codes(
            db.session,
            verifier_code,
            form.get("producer", ""),
            form.get("kind", ""),
            by=acting_organisation(),
            note=form.get("note", ""),
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(localise(exc.errors) or {"_": [str(exc.detail or exc.title)]}, form), (
            exc.status
        )
    names = {"verifier": tie.verifier.name, "producer": tie.producer.name}
    db.session.commit()
    flash(_("Tie of %(verifier)s with %(producer)s declared and logged.", **names), "success")
    return redirect(request.path)


@bp.get("/verifier/ties")
@login_required
@kinds_required(OrgKind.VERIFIER)
def own() -> str:
    """The verifier's declared ties."""
    return _page({}, MultiDict())


@bp.post("/verifier/ties")
@roles_required(*DECLARERS)
@kinds_required(OrgKind.VERIFIER)
def declare_own() -> Page:
    """The verifier declares a tie of its own."""
    return _declare(acting_organisation().code)


@bp.get("/verifiers/ties")
@login_required
@kinds_required(OrgKind.AUTHORITY)
def every() -> str:
    """Every verifier's declared ties, for the authority."""
    return _page({}, MultiDict())


@bp.post("/verifiers/ties")
@roles_required(*DECLARERS)
@kinds_required(OrgKind.AUTHORITY)
def declare_for() -> Page:
    """The authority declares a tie for a verifier."""
    return _declare(request.form.get("verifier", ""))


@bp.app_template_global()
def declared_tie_producers() -> set[int]:
    """Ids of the producers the signed-in verifier has declared a tie with (none for other
    kinds): the queue marks their reports."""
    if not current_user.is_authenticated:
        return set()
    org = current_user.organisation
    if org.kind is not OrgKind.VERIFIER:
        return set()
    return ties.tied_producers(db.session, org.id)
