"""HTX pages for bulk import and export: one form with two buttons, "Check first" (a dry
run: nothing is saved) and "Import" (all rows or none), the blank template, and exports of
the organisation's own records as a workbook or one CSV per kind.

The upload is stored at once and checked or imported by a background job (import_jobs):
the clerk lands on the job's page, which follows the rows done and ends with the report.
After a clean check the page offers "Import" for the same stored file, so nothing is sent
twice. A file with problems is kept a few days (import_checks) so that the clerk can
download it back with the problems marked, made by another job, and correct it there."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from registry import jobs
from registry.accounts.access import acting_organisation, principal
from registry.db import db
from registry.errors import DomainError
from registry.idempotency.http import idempotent
from registry.trace import import_checks, import_jobs, imports, service
from registry.trace import spreadsheets as sheets
from registry.trace.import_schemas import from_summary
from registry.trace.views import producer_only
from registry.validation import localise

bp = Blueprint("trace_import", __name__)

XLSX_MIME, CSV_MIME = sheets.XLSX_MIME, sheets.CSV_MIME
ACCEPT = f".xlsx,.csv,text/csv,{XLSX_MIME}"
KIND_LABELS = {
    "fields": _l("Fields"),
    "seasons": _l("Seasons"),
    "diary": _l("Farm diary"),
}

STATUS_LABELS = {
    "queued": _l("waiting"),
    "running": _l("reading the rows"),
    "done": _l("done"),
    "failed": _l("could not be finished"),
}

Page = str | tuple[str, int] | Response


@bp.route("/import", methods=["GET", "POST"])
@producer_only
@idempotent
def import_page() -> Page:
    """The upload form. Its script (static/js/upload-progress.js) sends the form with an
    `Idempotency-Key`, kept until the file, the kind or the button changes: a form sent again
    after a lost answer or a second press gets the first answer (the first job's page) and
    starts no second job. `@idempotent` commits the job with that answer."""
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        kind = request.form.get("kind") or None
        dry_run = request.form.get("action") != "import"
        if upload is None or not upload.filename:
            errors, status = {"file": [_("Choose a CSV or XLSX file.")]}, 422
        else:
            data = upload.read(sheets.MAX_BYTES + 1)
            try:
                job = import_jobs.start(
                    db.session,
                    acting_organisation(),
                    principal().user,
                    upload.filename,
                    data,
                    kind,
                    dry_run,
                )
            except DomainError as exc:
                db.session.rollback()
                errors = localise(exc.errors) or {"file": [str(exc.title)]}
                status = exc.status
            else:
                return redirect(url_for("trace_import.import_job", job_id=job.id), 303)
    return render_template(
        "trace/import.html",
        errors=errors,
        form=request.form,
        kinds=KIND_LABELS,
        sheet_names=sheets.SHEET_NAMES,
        accept=ACCEPT,
        max_rows=sheets.MAX_ROWS,
        recent=import_jobs.recent(db.session, acting_organisation().id),
        status_labels=STATUS_LABELS,
    ), status


def _import_job(job_id: int) -> jobs.Job:
    """The acting HTX's own import job: 404 for another's."""
    try:
        return jobs.job_of(db.session, acting_organisation().id, job_id, import_jobs.KIND)
    except DomainError:
        abort(404)


@bp.get("/import/jobs/<int:job_id>")
@producer_only
def import_job(job_id: int) -> Page:
    """A check or an import: its progress while the rows are read (the page follows it, with
    or without script), then its report."""
    job = jobs.view(_import_job(job_id))
    result = job.result if job.status is jobs.JobStatus.DONE else None
    check = None
    if result and result.get("check"):
        check = import_checks.of(job.organisation_id, result["check"])
    args = _import_job(job_id).args
    return render_template(
        "trace/import_job.html",
        job=job,
        filename=args.get("filename", ""),
        dry_run=args.get("dry_run", True),
        report=from_summary(result) if result else None,
        check=check,
        errors_header=import_checks.ERRORS_HEADER,
    )


@bp.post("/import/jobs/<int:job_id>/import")
@producer_only
def import_checked(job_id: int) -> Page:
    """Import the file of a clean check, as stored."""
    checked = _import_job(job_id)
    try:
        job = import_jobs.import_checked(
            db.session, acting_organisation(), principal().user, checked
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.title), "error")
        return redirect(url_for("trace_import.import_page"))
    db.session.commit()
    return redirect(url_for("trace_import.import_job", job_id=job.id), 303)


def _check(token: str) -> import_checks.Check:
    """The acting HTX's own stored file: 404 for another's."""
    try:
        return import_checks.find(acting_organisation().id, token)
    except DomainError:
        abort(404)


@bp.get("/import/checks/<token>")
@producer_only
def check_page(token: str) -> Response:
    """The marked copy's progress: the page refreshes itself (no script needed) until the
    copy is ready, then offers it."""
    check = _check(token)
    state = check.state(db.session)
    response = make_response(render_template("trace/import_check.html", check=check, state=state))
    if state is import_checks.CopyState.WAITING:
        response.headers["Refresh"] = "2"
    return response


@bp.get("/import/checks/<token>/marked.xlsx")
@producer_only
def marked_copy(token: str) -> Response:
    """The copy with the problems marked; while it is being made, its progress page."""
    check = _check(token)
    if check.state(db.session) is not import_checks.CopyState.READY:
        return redirect(url_for("trace_import.check_page", token=token))
    return _download(check.store.get(check.marked), XLSX_MIME, check.download_name())


@bp.get("/import/template.xlsx")
@producer_only
def template() -> Response:
    return _download(imports.template_xlsx(), XLSX_MIME, "mau-nhap-lieu-phat-thai-thap.xlsx")


@bp.get("/export.xlsx")
@producer_only
def export_xlsx() -> Response:
    org = acting_organisation()
    name = f"{org.code}-{service.today_in_vietnam().isoformat()}.xlsx"
    return _download(imports.export_xlsx(db.session, org), XLSX_MIME, name)


@bp.get("/export/<kind>.csv")
@producer_only
def export_csv(kind: str) -> Response:
    if kind not in sheets.KINDS:
        abort(404)
    org = acting_organisation()
    name = f"{org.code}-{kind}-{service.today_in_vietnam().isoformat()}.csv"
    return _download(imports.export_csv(db.session, org, kind), CSV_MIME, name)


def _download(data: bytes, mimetype: str, name: str) -> Response:
    """An attachment that no cache keeps: exports hold member households."""
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
