"""HTX pages for bulk import and export: one form with two buttons, "Check first" (a dry
run: nothing is saved) and "Import" (all rows or none), the blank template, and exports of
the organisation's own records as a workbook or one CSV per kind.

Nothing is kept on the server between the check and the import: the same file is sent
again. With JavaScript (static/js/upload-progress.js) the page shows upload progress and
keeps the chosen file after a clean check, so "Import" is one more press; without it the
form posts as usual and the person chooses the file again."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from registry.accounts.access import acting_organisation, principal
from registry.db import db
from registry.errors import DomainError
from registry.trace import imports, service
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
    return render_template(
        "trace/import.html",
        report=report,
        errors=errors,
        form=request.form,
        kinds=KIND_LABELS,
        sheet_names=sheets.SHEET_NAMES,
        accept=ACCEPT,
        max_rows=sheets.MAX_ROWS,
    ), status


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
