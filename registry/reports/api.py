"""Reports API: the dashboard's figures for the authority's and commune offices' systems,
the open data pulled incrementally by the national MRV and traceability systems (bearer
token with the `exchange` scope), and commune confirmations (public, like approvals)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import Response, current_app, url_for
from flask_smorest import Blueprint

from registry import jobs
from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER, BINARY
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import idempotent
from registry.jobs.schemas import JobOut
from registry.reports import (
    builds,
    confirmations,
    dashboard,
    files,
    opendata,
    periodic,
    periods,
    rollup,
    scope,
)
from registry.reports.models import CommuneConfirmation, GeneratedReport
from registry.reports.schemas import (
    ConfirmationOut,
    DashboardOut,
    DashboardQuery,
    EmissionExchangePage,
    ExchangeQuery,
    LabelExchangePage,
    PeriodicReportIn,
    PeriodicReportOut,
)
from registry.reports.views import schema_url, send_report_file
from registry.trace.service import today_in_vietnam

blp = Blueprint("reports_api", __name__, description="Reports, open data and national exchange")

EXCHANGE_SCOPE = "exchange"


def _max_age() -> timedelta:
    return timedelta(seconds=current_app.config["REPORTS_MAX_AGE_SECONDS"])


@blp.get("/reports/dashboard")
@blp.doc(security=BEARER)
@blp.arguments(DashboardQuery, location="query")
@blp.response(200, DashboardOut)
@blp.alt_response(403, schema=ProblemSchema)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("read")
@kinds_required(*scope.READERS)
def dashboard_figures(query: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's figures: the authority's for any area, a commune office's for its
    commune only (another commune is a 403)."""
    area = scope.area_for(
        db.session,
        acting_organisation(),
        province=query["province"],
        commune=query["commune"],
        htx=query["htx"],
        crop=query["crop"],
    )
    period = query["period"] or periods.current_period(today_in_vietnam())
    fresh = rollup.snapshot(db.session, _max_age())
    board = dashboard.read(
        db.session,
        area,
        period,
        float(current_app.config["REDUCTION_TARGET_PCT"]),
        fresh.revision,
        fresh.built_at,
    )
    return {
        "period": period.key,
        "area": asdict(area),
        "revision": board.revision,
        "built_at": board.built_at,
        "target_pct": board.target_pct,
        "final_pct": board.final_pct,
        "emissions": board.emissions.as_dict(),
        "registered": asdict(board.registered),
        "labels": asdict(board.labels),
        "parts_by": board.parts_by,
        "parts": [
            {"key": p.key, "name": p.label, "province": p.province, **p.emissions.as_dict()}
            for p in board.parts
        ],
        "crops": [p.emissions.as_dict() for p in board.crops],
        "trajectory": [
            {
                "year": year,
                "reduction_pct": found.reduction_pct,
                "target_pct": periods.target_pct(year, board.final_pct),
            }
            for year, found in board.years.items()
        ],
    }


@blp.post("/reports/periodic")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(PeriodicReportIn)
@blp.response(
    202,
    JobOut,
    description="Accepted: the job that generates the report and builds its PDF and XLSX. "
    "Follow it at `Location` (`/api/v1/jobs/{id}`, read scope) until `status` is `done`: its "
    "`result` names the report (`report`, its id), its `digest` and `log_index`, and the "
    "SHA-256 and size of each file.",
    headers={"Location": {"description": "The job's URL", "schema": {"type": "string"}}},
)
@blp.alt_response(403, schema=ProblemSchema)
@blp.alt_response(422, schema=ProblemSchema)
@token_required("write")
@kinds_required(*scope.READERS)
def generate_report(values: dict[str, Any]) -> Any:
    """Generate a 6-month (`half`, period `2026-H1`) or annual (`annual`, `2026`) report of
    a province or a commune: the authority's of any, a commune office's of its own commune.
    Its data are frozen, digested and logged, and its files built, by a background job."""
    viewer = acting_organisation()
    area = scope.area_for(
        db.session, viewer, province=values["province"], commune=values["commune"]
    )
    job = builds.start(
        db.session,
        viewer,
        principal().user,
        values["kind"],
        values["period"],
        area,
        float(current_app.config["REDUCTION_TARGET_PCT"]),
    )
    return jobs.view(job), 202, {"Location": url_for("jobs_api.job_status", job_id=job.id)}


@blp.get("/reports/periodic/<int:report_id>")
@blp.doc(security=BEARER)
@blp.response(200, PeriodicReportOut)
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
@kinds_required(*scope.READERS)
def periodic_report(report_id: int) -> GeneratedReport:
    """A generated report with its frozen data: the SHA-256 of the data's RFC 8785 (JCS)
    encoding is `digest`, which the log entry `log_index` holds."""
    return periodic.report_for(db.session, acting_organisation(), report_id)


@blp.get("/reports/periodic/<int:report_id>.pdf")
@blp.doc(security=BEARER)
@blp.response(200, BINARY, content_type=files.FORMATS["pdf"], description="The PDF")
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
@kinds_required(*scope.READERS)
def periodic_report_pdf(report_id: int) -> Response:
    """The report as PDF, in Vietnamese, with its SHA-256 as ETag."""
    return send_report_file(
        periodic.report_for(db.session, acting_organisation(), report_id), "pdf"
    )


@blp.get("/reports/periodic/<int:report_id>.xlsx")
@blp.doc(security=BEARER)
@blp.response(200, BINARY, content_type=files.FORMATS["xlsx"], description="The workbook")
@blp.alt_response(404, schema=ProblemSchema)
@token_required("read")
@kinds_required(*scope.READERS)
def periodic_report_xlsx(report_id: int) -> Response:
    """The report as an XLSX workbook, in Vietnamese, with its SHA-256 as ETag."""
    return send_report_file(
        periodic.report_for(db.session, acting_organisation(), report_id), "xlsx"
    )


def _page(name: str, query: dict[str, Any]) -> dict[str, Any]:
    revision = rollup.snapshot(db.session, _max_age()).revision
    dataset = opendata.DATASETS[name]
    page = opendata.changed(db.session, dataset, query["since"], query["cursor"], query["limit"])
    return {
        "dataset": name,
        "version": dataset.version,
        "schema": schema_url(dataset),
        "revision": revision,
        "items": page.items,
        "next": page.next,
    }


@blp.get("/exchange/emissions")
@blp.doc(security=BEARER)
@blp.arguments(ExchangeQuery, location="query")
@blp.response(200, EmissionExchangePage)
@blp.alt_response(401, schema=ProblemSchema)
@blp.alt_response(403, schema=ProblemSchema)
@token_required(EXCHANGE_SCOPE)
def exchange_emissions(query: dict[str, Any]) -> dict[str, Any]:
    """Emission rows changed after revision `since`, a page at a time: follow `next` until
    it is null, then keep `revision` for the next pull (docs/open-data.md)."""
    return _page("emissions", query)


@blp.get("/exchange/labels")
@blp.doc(security=BEARER)
@blp.arguments(ExchangeQuery, location="query")
@blp.response(200, LabelExchangePage)
@blp.alt_response(401, schema=ProblemSchema)
@blp.alt_response(403, schema=ProblemSchema)
@token_required(EXCHANGE_SCOPE)
def exchange_labels(query: dict[str, Any]) -> dict[str, Any]:
    """Label rows changed after revision `since`, as for emissions."""
    return _page("labels", query)


@blp.get("/confirmations/<int:confirmation_id>")
@blp.response(200, ConfirmationOut)
@blp.alt_response(404, schema=ProblemSchema)
def confirmation(confirmation_id: int) -> CommuneConfirmation:
    """A commune's signed confirmation: check `signature` over the JCS of `statement`
    with the transparency-log key (/log/key) whose id is `kid`."""
    return confirmations.confirmation(db.session, confirmation_id)
