"""Bulk import and export API: the same all-or-nothing import as the HTX page, for farm-
management software, and exports in the template's columns. Bearer tokens: `write` to
import, `read` to export; producer organisations only."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER, BINARY, TEXT
from registry.db import db
from registry.errors import STATUS_TITLES, problem
from registry.trace import imports
from registry.trace import spreadsheets as sheets
from registry.trace.spreadsheets import CSV_MIME, XLSX_MIME

blp = Blueprint(
    "trace_import_api",
    __name__,
    description="Bulk import and export of fields, seasons and the farm diary (CSV, XLSX)",
)


class ImportQuery(Schema):
    dry_run = fields.Boolean(
        load_default=True,
        metadata={"description": "Check only (the default): nothing is saved."},
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf(sheets.KINDS),
        metadata={
            "description": "What a CSV file holds (also accepted as a multipart field); found "
            "from the headers when absent. Workbooks name their sheets."
        },
    )


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": "An .xlsx workbook or a UTF-8 CSV"})


class RowErrorOut(Schema):
    kind = fields.String(metadata={"description": "fields, seasons or diary"})
    sheet = fields.String(metadata={"description": "Sheet name, or the CSV file name"})
    row = fields.Integer(metadata={"description": "Row number as Excel shows it (header: 1)"})
    column = fields.String(metadata={"description": "Column header as written in the file"})
    message = fields.String()


class ImportReportOut(Schema):
    filename = fields.String()
    format = fields.String(metadata={"description": "xlsx or csv"})
    dry_run = fields.Boolean()
    saved = fields.Boolean(metadata={"description": "True once every row is saved"})
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Records created (or that would be, on a dry run) by kind"},
    )
    rows = fields.Dict(keys=fields.String(), values=fields.Integer())
    row_errors = fields.List(fields.Nested(RowErrorOut), attribute="errors")
    error_count = fields.Integer(metadata={"description": "All errors; at most 200 are listed"})
    ignored_sheets = fields.List(fields.String())
    seconds = fields.Float()


class ImportProblem(ImportReportOut):
    """Problem details (RFC 9457) extended with the import report; a query that is not
    valid gets plain problem details, with `errors` (this schema only documents)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), attribute="query_errors")


@blp.post("/imports")
@blp.doc(security=BEARER)
@blp.arguments(ImportQuery, location="query")
@blp.arguments(ImportFile, location="files")
@blp.response(201, ImportReportOut, description="Every row saved (dry_run=false)")
@blp.alt_response(200, schema=ImportReportOut, description="Dry run: no problem found")
@blp.alt_response(413, schema=ProblemSchema, description="Over 5 MB, or unpacks to over 50 MB")
@blp.alt_response(415, schema=ProblemSchema, description="Not an .xlsx workbook nor UTF-8 CSV")
@blp.alt_response(422, schema=ImportProblem, description="Row errors: nothing was saved")
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def import_records(query: dict[str, Any], files: dict[str, Any]) -> Any:
    """Import fields, seasons and diary entries from a spreadsheet, all rows or none.

    Rows are checked with the same rules as the single-record endpoints and applied fields
    first, then seasons, then the diary. Errors name the sheet, the row as Excel numbers it
    and the column header; messages follow the caller's language (Vietnamese by default)."""
    upload = files["file"]
    kind = query["kind"] or request.form.get("kind") or None
    data = upload.read(sheets.MAX_BYTES + 1)
    report = imports.import_file(
        db.session,
        acting_organisation(),
        principal().user,
        upload.filename or "",
        data,
        kind,
        dry_run=query["dry_run"],
    )
    if not report.ok:
        return _problem(report)
    return report, (201 if report.saved else 200)


def _problem(report: imports.ImportReport) -> Response:
    detail = _("%(count)d problems found in the file: nothing was saved.", count=report.error_count)
    return problem(
        422,
        str(STATUS_TITLES[422]),
        detail,
        slug="invalid-rows",
        extra=ImportReportOut().dump(report),
    )


@blp.get("/exports.xlsx")
@blp.doc(security=BEARER)
@blp.response(200, BINARY, content_type=XLSX_MIME, description="Fields, seasons, diary")
@token_required("read")
@kinds_required(OrgKind.PRODUCER)
def export_workbook() -> Response:
    """The caller's fields, seasons and diary (corrections included) as one workbook in the
    template's columns. It includes member households: it is the cooperative's own copy."""
    data = imports.export_xlsx(db.session, acting_organisation())
    return _attachment(data, XLSX_MIME, "export.xlsx")


@blp.get("/exports/<kind>.csv")
@blp.doc(security=BEARER)
@blp.response(200, TEXT, content_type="text/csv", description="UTF-8 with a BOM, comma-separated")
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
@kinds_required(OrgKind.PRODUCER)
def export_table(kind: str) -> Response:
    """One kind (`fields`, `seasons` or `diary`) of the caller's records as CSV."""
    data = imports.export_csv(db.session, acting_organisation(), kind)
    return _attachment(data, CSV_MIME, f"{kind}.csv")


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
