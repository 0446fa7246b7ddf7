"""Reports API: the dashboard's figures for the authority's and commune offices' systems,
the open data pulled incrementally by the national MRV and traceability systems (bearer
token with the `exchange` scope), and commune confirmations (public, like approvals)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from registry.accounts.access import acting_organisation, kinds_required, token_required
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER
from registry.db import db
from registry.reports import confirmations, dashboard, opendata, periods, rollup, scope
from registry.reports.models import CommuneConfirmation
from registry.reports.schemas import (
    ConfirmationOut,
    DashboardOut,
    DashboardQuery,
    EmissionExchangePage,
    ExchangeQuery,
    LabelExchangePage,
)
from registry.reports.views import schema_url
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
