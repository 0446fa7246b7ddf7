"""The authority's page for recomputing many seasons' results (registry/verify/recompute.py):
what to recompute, and the recent recomputes with their progress across the workers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from registry import jobs
from registry.accounts.access import acting_organisation, kinds_required, principal, roles_required
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.places import PROVINCES
from registry.validation import localise
from registry.verify import recompute

bp = Blueprint("recompute", __name__)

FIELDS = ("province", "year", "methodology", "everything")


@bp.route("/mrv/recompute", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@kinds_required(OrgKind.AUTHORITY)
def page() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        return _page({}, MultiDict())
    asked: dict[str, Any] = {k: request.form[k] for k in FIELDS if request.form.get(k)}
    try:
        job = recompute.start(db.session, acting_organisation(), principal().user, **asked)
    except recompute.InvalidScope as exc:
        db.session.rollback()
        errors = localise(exc.errors)
        errors["_"] = errors.pop("_schema", [])
        return _page(errors, request.form), 422
    db.session.commit()
    flash(_("Recompute queued as job %(id)d.", id=job.id), "success")
    return redirect(url_for("recompute.page"))


def _page(errors: dict[str, Any], form: MultiDict[str, str]) -> str:
    views = [jobs.view(job) for job in recompute.recent(db.session, principal().organisation_id)]
    return render_template(
        "verify/recompute.html",
        errors=errors,
        form=form,
        provinces=PROVINCES,
        methodologies=recompute.methodologies(),
        views=views,
        following=next((v for v in views if not v.finished), None),
    )
