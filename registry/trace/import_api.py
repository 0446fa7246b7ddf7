"""Bulk import and export API: the same all-or-nothing import as the HTX page, for farm-
management software, and exports in the template's columns. Bearer tokens: `write` to
import, `read` to export and to follow the import's job; producer organisations only.

An import is accepted at once (202) and run as a background job (import_jobs): the answer
is the job, and `Location` names `/api/v1/jobs/{id}`, whose `result` is the report. An
upload takes an `Idempotency-Key` (registry/idempotency/): a retry with the key gets the first
202 and its job again, never a second import."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from registry import jobs
from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER, BINARY, TEXT
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import idempotent
from registry.jobs.schemas import JobOut
from registry.trace import import_jobs, imports
from registry.trace import spreadsheets as sheets
from registry.trace.schemas import one_of
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
        validate=one_of(sheets.KINDS),
        metadata={
            "description": "What a CSV file holds (also accepted as a multipart field); found "
            "from the headers when absent. Workbooks name their sheets."
        },
    )


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": "An .xlsx workbook or a UTF-8 CSV"})


@blp.post("/imports")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(ImportQuery, location="query")
@blp.arguments(ImportFile, location="files")
@blp.response(
    202,
    JobOut,
    description="Accepted: the job that checks (dry_run) or imports the rows. Follow it at "
    "`Location` (`/api/v1/jobs/{id}`, read scope) until `status` is `done`: its `result` is "
    "the import report (ImportReport), with `saved` true once every row is saved and "
    "`row_errors` when rows have problems (nothing is then saved).",
    headers={"Location": {"description": "The job's URL", "schema": {"type": "string"}}},
)
@blp.alt_response(413, schema=ProblemSchema, description="Over 5 MB, or unpacks to over 50 MB")
@blp.alt_response(415, schema=ProblemSchema, description="Not an .xlsx workbook nor UTF-8 CSV")
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def import_records(query: dict[str, Any], files: dict[str, Any]) -> Any:
    """Import fields, seasons and diary entries from a spreadsheet, all rows or none.

    The file is accepted at once and its rows are checked (and, with `dry_run=false`,
    saved) by a background job. Rows are checked with the same rules as the single-record
    endpoints and applied fields first, then seasons, then the diary. Errors name the sheet,
    the row as Excel numbers it and the column header; messages follow the caller's
    language (Vietnamese by default). With an `Idempotency-Key`, a retry of the upload gets
    this first answer and its job, and starts no second one."""
    upload = files["file"]
    kind = query["kind"] or request.form.get("kind") or None
    data = upload.read(sheets.MAX_BYTES + 1)
    job = import_jobs.start(
        db.session,
        acting_organisation(),
        principal().user,
        upload.filename or "",
        data,
        kind,
        dry_run=query["dry_run"],
    )
    location = url_for("jobs_api.job_status", job_id=job.id)
    return jobs.view(job), 202, {"Location": location}


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
