"""MRV API: the calculator (the same code as `registry mrv calc` and the pages), each
season's current result, and MRV reports for farm-management systems."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from registry.accounts.access import acting_organisation, kinds_required, principal, token_required
from registry.accounts.models import OrgKind
from registry.accounts.schemas import ProblemSchema
from registry.api import BEARER
from registry.db import db
from registry.idempotency.http import PARAMETER as IDEMPOTENCY_KEY
from registry.idempotency.http import idempotent
from registry.trace import service as trace
from registry.verify import reports, results
from registry.verify.calc_schema import CalcInputSchema, calc_from_input
from registry.verify.calculator import CalcInput
from registry.verify.models import MrvReport

blp = Blueprint("verify_api", __name__, description="MRV: emissions and reports")


class CalcOut(Schema):
    """The calculator's result (DESIGN.md §10, §10b), numbers unrounded. The crop fields come
    with a methodology that names crops (``ipcc2019-t1-crops``), not with §10's rice one."""

    ch4_kg = fields.Float()
    n2o_kg = fields.Float()
    co2_kg = fields.Float()
    total_kg_co2e = fields.Float()
    per_ha_kg_co2e = fields.Float()
    per_kg_product_g_co2e = fields.Float(
        allow_none=True, metadata={"description": "emissions only; null when nothing harvested"}
    )
    crop = fields.String()
    crop_kind = fields.String(metadata={"description": "rice, annual or perennial"})
    removals_kg_co2 = fields.Float(
        metadata={"description": "CO2 taken up by growing trees, beside the total, never in it"}
    )
    net_kg_co2e = fields.Float(metadata={"description": "total_kg_co2e - removals_kg_co2"})
    baseline = fields.Dict(allow_none=True)
    reduction_pct = fields.Float(allow_none=True)
    reduction_per_ha_pct = fields.Float(allow_none=True)
    breakdown = fields.Dict(metadata={"description": "every term of the formulas"})
    factors = fields.Dict(metadata={"description": "each factor used, with its source"})
    methodology = fields.String()
    version = fields.Integer()


class ResultOut(Schema):
    season = fields.String(attribute="season.code")
    methodology = fields.String()
    version = fields.Integer()
    inputs = fields.Dict()
    sources = fields.Dict(metadata={"description": "diary entry ids that fed each input"})
    result = fields.Dict(metadata={"description": "the calculator's result JSON"})
    computed_at = fields.DateTime()


class ReportIn(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    seasons = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class ReportOut(Schema):
    id = fields.Integer()
    status = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    seasons = fields.Function(lambda r: sorted(rs.season.code for rs in r.seasons))
    digest = fields.String(allow_none=True)
    log_index = fields.Integer(allow_none=True)
    content = fields.Dict(allow_none=True)


@blp.post("/mrv/calc")
@blp.arguments(CalcInputSchema)
@blp.response(200, CalcOut)
@blp.alt_response(422, schema=ProblemSchema)
def calc(inputs: CalcInput) -> dict[str, Any]:
    """Compute one field's period, any crop (DESIGN.md §10, §10b): public, nothing stored."""
    return calc_from_input(inputs)


@blp.get("/seasons/<code>/result")
@blp.doc(security=BEARER)
@blp.response(200, ResultOut)
@blp.alt_response(422, schema=ProblemSchema, description="the diary is incomplete")
@token_required("read")
def season_result(code: str) -> Any:
    """The season's current result, or the list of what its diary still lacks."""
    season = trace.season_by_code(db.session, principal().organisation_id, code)
    outcome = results.compute(db.session, season)
    db.session.commit()
    if outcome.result is None:
        raise reports.ReportNotReady(errors={"diary": outcome.derivation.problems})
    return outcome.result


@blp.get("/mrv/reports")
@blp.doc(security=BEARER)
@blp.response(200, ReportOut(many=True))
@token_required("read")
def list_reports() -> list[MrvReport]:
    return reports.reports_of(db.session, principal().organisation_id)


@blp.post("/mrv/reports")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.arguments(ReportIn)
@blp.response(201, ReportOut)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def create_report(values: dict[str, Any]) -> MrvReport:
    """A draft report of harvested seasons with results."""
    report = reports.create_report(
        db.session,
        acting_organisation(),
        principal().user,
        values["period_start"],
        values["period_end"],
        values["seasons"],
    )
    return report


@blp.post("/mrv/reports/<int:report_id>/submit")
@idempotent
@blp.doc(parameters=[IDEMPOTENCY_KEY])
@blp.alt_response(409, schema=ProblemSchema)
@blp.doc(security=BEARER)
@blp.response(200, ReportOut)
@token_required("write")
@kinds_required(OrgKind.PRODUCER)
def submit_report(report_id: int) -> MrvReport:
    """Freeze, digest and log the report; it then waits for a verifier."""
    return reports.submit(db.session, acting_organisation(), report_id)
