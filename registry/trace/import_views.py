"""HTX pages for bulk import and export: one form with two buttons, "Check first" (a dry
run: nothing is saved) and "Import" (all rows or none), the blank template, and exports of
the organisation's own records as a workbook or one CSV per kind.

Nothing is kept on the server between a clean check and the import: the same file is sent
again. With JavaScript (static/js/upload-progress.js) the page shows upload progress and
keeps the chosen file after a clean check, so "Import" is one more press; without it the
form posts as usual and the person chooses the file again. A file with problems is kept a
few days (import_checks) so that the clerk can download it back with the problems marked,
made in the background from the file and problems stored, and correct it there."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from registry.accounts.access import acting_organisation, principal
from registry.db import db
from registry.errors import DomainError
from registry.trace import import_checks, imports, service
from registry.trace import spreadsheets as sheets
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

Page = str | tuple[str, int] | Response


@bp.route("/import", methods=["GET", "POST"])
@producer_only
def import_page() -> Page:
    report: imports.ImportReport | None = None
    check: import_checks.Check | None = None
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
                report = imports.import_file(
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
                if report.saved:
                    flash(_saved_message(report), "success")
                    return redirect(url_for("trace_import.import_page"))
                status = 200 if report.ok else 422
                if not report.ok:
                    check = _keep(report, data)
    return render_template(
        "trace/import.html",
        report=report,
        check=check,
        errors_header=import_checks.ERRORS_HEADER,
        errors=errors,
        form=request.form,
        kinds=KIND_LABELS,
        sheet_names=sheets.SHEET_NAMES,
        accept=ACCEPT,
        max_rows=sheets.MAX_ROWS,
    ), status


def _keep(report: imports.ImportReport, data: bytes) -> import_checks.Check:
    """Keep a file with problems, and have its marked copy made in the clerk's language."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    org_id = acting_organisation().id
    return import_checks.start(app, org_id, report, data, str(get_locale() or "vi"))


def _check(token: str) -> import_checks.Check:
    """The acting HTX's own stored file: 404 for another's."""
    try:
        return import_checks.find(current_app.instance_path, acting_organisation().id, token)
    except DomainError:
        abort(404)


@bp.get("/import/checks/<token>")
@producer_only
def check_page(token: str) -> Response:
    """The marked copy's progress: the page refreshes itself (no script needed) until the
    copy is ready, then offers it."""
    check = _check(token)
    import_checks.ensure(current_app._get_current_object(), check)  # type: ignore[attr-defined]
    state = check.state()
    response = make_response(render_template("trace/import_check.html", check=check, state=state))
    if state is import_checks.CopyState.WAITING:
        response.headers["Refresh"] = "2"
    return response


@bp.get("/import/checks/<token>/marked.xlsx")
@producer_only
def marked_copy(token: str) -> Response:
    """The copy with the problems marked; while it is being made, its progress page."""
    check = _check(token)
    if check.state() is not import_checks.CopyState.READY:
        return redirect(url_for("trace_import.check_page", token=token))
    return _download(check.marked.read_bytes(), XLSX_MIME, check.download_name())


def _saved_message(report: imports.ImportReport) -> str:
    return _(
        "Imported %(fields)d fields, %(seasons)d seasons and %(diary)d diary entries.",
        **report.counts,
    )


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
