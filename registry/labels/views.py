"""Label pages: the trust list, a holder's request with the criteria checks, the
authority's queue (issue or refuse) and criteria, a label's page (QR, status changes),
and the verifier page where anyone pastes a label URL."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from registry import crops, jobs
from registry.accounts.access import acting_organisation, kinds_required, principal
from registry.accounts.models import OrgKind
from registry.db import db, utcnow
from registry.errors import DomainError
from registry.keys import keystore
from registry.labels import (
    artwork,
    criteria,
    issuance,
    issue_jobs,
    printing,
    schemas,
    sheets,
    status,
)
from registry.labels.api import issuer
from registry.labels.artwork import LabelArt
from registry.labels.models import Label, LabelRequest, LabelStatus, RequestStatus
from registry.storage import Blob, Missing, store, web
from registry.trace.labels import PRODUCT_LABELS
from registry.trace.service import today_in_vietnam
from registry.validation import localise

bp = Blueprint("labels", __name__)

Page = str | tuple[str, int] | Response
HOLDERS = (OrgKind.PRODUCER, OrgKind.PROCESSOR, OrgKind.RETAILER)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The trust list of label keys (DESIGN.md §5)."""
    response = jsonify(status.trust_list(db.session, keystore().published("label"), utcnow()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.app_template_global("labels_of_batch")
def labels_of_batch(batch_id: int) -> list[Label]:
    """For the batch page (a trace template), without trace knowing labels."""
    return issuance.labels_of_batch(db.session, batch_id)


def _errors(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return localise(messages)
    assert isinstance(exc, DomainError)
    return localise(exc.errors) if exc.errors else {"_": [str(exc.detail or exc.title)]}


# ---------------------------------------------------------------- holders
@bp.post("/batches/<int:batch_id>/labels")
@login_required
@kinds_required(*HOLDERS)
def request_label(batch_id: int) -> Page:
    """Ask for a label on a batch: the request page then shows the criteria checks."""
    try:
        values = schemas.RequestIn().load({"batch": batch_id, **_form("units", "unit_kg")})
        made = issuance.request_label(
            db.session, acting_organisation(), batch_id, values["units"], values["unit_kg"]
        )
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        for messages in _errors(exc).values():
            flash(" ".join(messages), "error")
        return redirect(url_for("batches.batch", batch_id=batch_id))
    db.session.commit()
    return redirect(url_for("labels.request_page", request_id=made.id))


def _form(*names: str) -> dict[str, Any]:
    return {k: request.form[k] for k in names if request.form.get(k, "").strip()}


def _request_for(request_id: int) -> LabelRequest:
    """A request the acting organisation made, or any request for the authority."""
    found = db.session.get(LabelRequest, request_id)
    org = acting_organisation()
    if found is None or (org.kind is not OrgKind.AUTHORITY and found.organisation_id != org.id):
        abort(404)
    return found


@bp.get("/labels/requests/<int:request_id>")
@login_required
def request_page(request_id: int) -> Page:
    return _request_page(_request_for(request_id), {})


def _request_page(found: LabelRequest, errors: dict[str, Any]) -> Page:
    try:
        in_force = criteria.current(db.session)
    except criteria.NoCriteria:
        evaluation = None
    else:
        evaluation = criteria.evaluate(db.session, found.batch, in_force, today_in_vietnam())
    page = render_template(
        "labels/request.html",
        req=found,
        evaluation=evaluation,
        errors=errors,
        issued=_issued(found),
        org=acting_organisation(),
        products=PRODUCT_LABELS,
    )
    return (page, 422) if errors else page


def _issued(found: LabelRequest) -> Label | None:
    return db.session.scalar(
        select(Label).where(Label.request_id == found.id, Label.parent_id.is_(None))
    )


@bp.post("/labels/requests/<int:request_id>/issue")
@login_required
def issue(request_id: int) -> Page:
    """Issue at once, or for a large request queue the job and follow it on its page."""
    found = _request_for(request_id)
    if issue_jobs.in_background(db.session, request_id):
        return _issue_in_background(found)
    try:
        label = issuance.issue(
            db.session, acting_organisation(), request_id, issuer(), today_in_vietnam()
        )
    except DomainError as exc:
        db.session.rollback()
        return _request_page(found, _errors(exc))
    db.session.commit()
    flash(_("Label %(serial)s issued.", serial=label.serial), "success")
    return redirect(url_for("labels.label_page", serial=label.serial))


def _issue_in_background(found: LabelRequest) -> Page:
    try:
        job = issue_jobs.start(
            db.session, acting_organisation(), principal().user, found.id, today_in_vietnam()
        )
    except DomainError as exc:
        db.session.rollback()
        return _request_page(found, _errors(exc))
    db.session.commit()
    return redirect(url_for("labels.issue_job", job_id=job.id), 303)


@bp.get("/labels/issue/<int:job_id>")
@login_required
def issue_job(job_id: int) -> Page:
    """A large request being issued: the page follows the job (with or without script), then
    goes on to the label, or says why it could not be issued."""
    try:
        job = jobs.job_of(db.session, acting_organisation().id, job_id, issue_jobs.KIND)
    except DomainError:
        abort(404)
    label = issue_jobs.label_of(db.session, job)
    if label is not None:
        flash(_("Label %(serial)s issued.", serial=label.serial), "success")
        return redirect(url_for("labels.label_page", serial=label.serial))
    return render_template(
        "labels/issue_job.html",
        job=jobs.view(job),
        req=db.session.get(LabelRequest, job.args["request_id"]),
        products=PRODUCT_LABELS,
    )


@bp.post("/labels/requests/<int:request_id>/refuse")
@login_required
@kinds_required(OrgKind.AUTHORITY)
def refuse(request_id: int) -> Page:
    found = _request_for(request_id)
    try:
        issuance.refuse(
            db.session, acting_organisation(), request_id, request.form.get("reason", "")
        )
    except DomainError as exc:
        db.session.rollback()
        return _request_page(found, _errors(exc))
    db.session.commit()
    flash(_("Request refused."), "success")
    return redirect(url_for("labels.queue"))


# ---------------------------------------------------------------- authority
@bp.get("/labels/queue")
@login_required
@kinds_required(OrgKind.AUTHORITY)
def queue() -> str:
    pending = db.session.scalars(
        select(LabelRequest)
        .where(LabelRequest.status == RequestStatus.PENDING)
        .order_by(LabelRequest.id)
    ).all()
    recent = status.page(db.session, 50, None, with_holders=True)
    return render_template(
        "labels/queue.html",
        pending=pending,
        recent=recent,
        products=PRODUCT_LABELS,
        in_force=_in_force(),
    )


def _in_force() -> Any:
    try:
        return criteria.current(db.session)
    except criteria.NoCriteria:
        return None


@bp.route("/labels/criteria", methods=["GET", "POST"])
@login_required
@kinds_required(OrgKind.AUTHORITY)
def criteria_page() -> Page:
    errors: dict[str, Any] = {}
    if request.method == "POST":
        data = {
            **_form("min_reduction_pct", "validity_days", "note"),
            "crop_rules": _crop_rules_form(),
            "required_schemes": request.form.getlist("required_schemes"),
            "auto_issue": request.form.get("auto_issue") == "y",
        }
        try:
            values = schemas.CriteriaIn().load(data)
            made = criteria.set_criteria(db.session, acting_organisation(), values)
        except (ValidationError, DomainError) as exc:
            db.session.rollback()
            errors = _flat_rule_errors(_errors(exc))
        else:
            db.session.commit()
            flash(_("Criteria version %(v)s is in force.", v=made.version), "success")
            return redirect(url_for("labels.queue"))
    in_force = _in_force()
    page = render_template(
        "labels/criteria.html",
        errors=errors,
        form=request.form,
        in_force=in_force,
        crops=crops.catalogue().values(),
        rule_fields=CROP_RULE_FIELDS,
        rules_open=bool(in_force and in_force.crop_rules)
        or any(k.startswith("rule-") for k in errors),
    )
    return (page, 422) if errors else page


CROP_RULE_FIELDS = ("min_reduction_pct", "max_g_co2e_per_kg")


def _flat_rule_errors(errors: dict[str, Any]) -> dict[str, Any]:
    """Per-crop errors as the form names its inputs: `crop_rules.<crop>.value.<field>`
    (marshmallow's Dict shape) becomes `rule-<crop>-<field>`."""
    nested = errors.pop("crop_rules", None)
    if not isinstance(nested, dict):
        return errors if nested is None else {**errors, "crop_rules": nested}
    for code, found in nested.items():
        for name, messages in (found.get("value") or {}).items():
            errors[f"rule-{code}-{name}"] = messages
    return errors


def _crop_rules_form() -> dict[str, dict[str, str]]:
    """The per-crop rows of the criteria form (`rule-<crop>-<field>`), those filled in."""
    rules: dict[str, dict[str, str]] = {}
    for code in crops.codes():
        for name in CROP_RULE_FIELDS:
            value = request.form.get(f"rule-{code}-{name}", "").strip()
            if value:
                rules.setdefault(code, {})[name] = value
    return rules


# ---------------------------------------------------------------- one label
def _label_for_member(serial: str) -> Label:
    """A label the acting organisation holds, or any label for the authority."""
    label = status.by_serial(db.session, serial)
    org = acting_organisation()
    if org.kind is not OrgKind.AUTHORITY and label.organisation != org.code:
        abort(404)
    return label


@bp.get("/labels/<serial>")
@login_required
def label_page(serial: str) -> Page:
    return _label_page(_label_for_member(serial), {})


def _label_page(label: Label, errors: dict[str, Any]) -> Page:
    state = status.state(label, utcnow(), status.compromised_kids(keystore().published("label")))
    units = db.session.scalar(select(db.func.count(Label.id)).where(Label.parent_id == label.id))
    page = render_template(
        "labels/label.html",
        label=label,
        state=state,
        units=units or 0,
        errors=errors,
        reasons=status.REASONS,
        org=acting_organisation(),
        products=PRODUCT_LABELS,
        batch=label.batch,
        sizes=sheets.SIZES,
    )
    return (page, 422) if errors else page


@bp.post("/labels/<serial>/status")
@login_required
def change_status(serial: str) -> Page:
    label = _label_for_member(serial)
    try:
        values = schemas.StatusChangeIn().load(_form("status", "reason_code", "reason"))
        status.change(
            db.session,
            acting_organisation(),
            serial,
            LabelStatus(values["status"]),
            values["reason_code"],
            values["reason"],
        )
    except (ValidationError, DomainError) as exc:
        db.session.rollback()
        return _label_page(label, _errors(exc))
    db.session.commit()
    flash(_("The label's status is changed and logged."), "success")
    return redirect(url_for("labels.label_page", serial=serial))


@bp.post("/labels/<serial>/print")
@login_required
def print_sheet(serial: str) -> Page:
    """Queue the label's print sheet; its page follows the job."""
    label = _label_for_member(serial)
    size = request.form.get("size", "")
    try:
        job = printing.start(db.session, acting_organisation(), principal().user, label, size)
    except DomainError as exc:
        db.session.rollback()
        return _label_page(label, _errors(exc))
    db.session.commit()
    return redirect(url_for("labels.print_job", job_id=job.id))


def _print_job(job_id: int) -> jobs.Job:
    """A print sheet the acting organisation asked for: 404 for another's."""
    try:
        return jobs.job_of(db.session, acting_organisation().id, job_id, printing.KIND)
    except DomainError:
        abort(404)


@bp.get("/labels/print/<int:job_id>")
@login_required
def print_job(job_id: int) -> Page:
    """The sheet's progress in pages (the page follows the job, with or without script),
    then its download, or why it could not be made."""
    job = _print_job(job_id)
    label = db.session.get(Label, job.args["label_id"])
    return render_template(
        "labels/print.html",
        job=jobs.view(job),
        label=label,
        size=sheets.SIZES[job.args["size"]],
    )


@bp.get("/labels/print/<int:job_id>.pdf")
@login_required
def print_pdf(job_id: int) -> Response:
    job = jobs.view(_print_job(job_id))
    if job.status is not jobs.JobStatus.DONE or job.result is None or job.result_key is None:
        abort(404)
    name = f"nhan-{job.result['serial']}-{job.result['size']}.pdf"
    return web.send(
        partial(_print_sheet, job.result_key), mimetype="application/pdf", download_name=name
    )


def _print_sheet(key: str) -> Blob:
    try:
        return store().open(key)
    except Missing:
        abort(404)


@bp.get("/labels/<serial>/artwork.<any(png, svg):kind>")
@login_required
def artwork_file(serial: str, kind: str) -> Response:
    """The label artwork (40 × 60 mm): mark, product, g CO₂e/kg, reduction, serial, QR."""
    label = _label_for_member(serial)
    art = LabelArt.of(label, printing.product_name(label.product))
    if kind == "png":
        return Response(artwork.artwork_png(art), mimetype="image/png")
    return Response(artwork.artwork_svg(art), mimetype="image/svg+xml")


# ---------------------------------------------------------------- anyone
@bp.route("/labels/verify", methods=["GET", "POST"])
def verify_page() -> Page:
    """Paste a label URL: the registry checks it exactly as an offline verifier would,
    with its published trust list and revocation list."""
    verdict, url = None, request.values.get("url", "").strip()
    if url:
        verdict = status.check_here(db.session, url, current_app.config["REGISTRY_ID"])
    return render_template("labels/verify.html", url=url, verdict=verdict)
