"""An import's report as the API returns it and as its job keeps it (`Job.result`)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from registry.trace.imports import ImportReport, RowError


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


def summary(report: ImportReport) -> dict[str, Any]:
    """The report as JSON (what the import's job keeps and the API returns)."""
    found: dict[str, Any] = ImportReportOut().dump(report)
    return found


def from_summary(data: dict[str, Any]) -> ImportReport:
    """The report again, from its summary, for the page that shows it."""
    report = ImportReport(data["filename"], data["format"], data["dry_run"], data["saved"])
    report.counts = dict(data["counts"])
    report.rows = dict(data["rows"])
    report.errors = [RowError(**error) for error in data["row_errors"]]
    report.error_count = data["error_count"]
    report.ignored_sheets = list(data["ignored_sheets"])
    report.seconds = data["seconds"]
    return report
