"""What each kind of cell sums: one SELECT … GROUP BY per kind, over the whole registry
or over some organisations only (the ones whose records changed), for rollup.py."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from registry.accounts.models import Organisation
from registry.db import Db, in_ha
from registry.labels.models import Label, LabelStatus
from registry.public.models import ScanDay
from registry.reports.periods import BASELINE_YEAR
from registry.trace.models import Certification, Field, Scheme, Season
from registry.verify.bulk import among
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus

AWD = "multiple_drainage"  # alternate wetting and drying (GLOSSARY.md)
VIETNAM_OFFSET = "+7 hours"  # Vietnam keeps UTC+7 all year
VIETNAM_ZONE: ColumnElement[str] = literal_column("'Asia/Ho_Chi_Minh'")
Orgs = Collection[int] | None  # None: every organisation


def _of(session: Db, column: Any, orgs: Orgs) -> ColumnElement[bool]:
    return true() if orgs is None else among(session, column, list(orgs))


def _rounded(value: Any) -> Any:
    return func.round(cast(value, Numeric), 3)


def _if(condition: Any, value: Any = 1) -> Any:
    return case((condition, value), else_=0)


def _date_parts(value: Any, dialect: str) -> tuple[Any, Any]:
    if dialect == "postgresql":
        return cast(extract("year", value), Integer), cast(extract("month", value), Integer)
    return (
        cast(func.strftime("%Y", value), Integer),
        cast(func.strftime("%m", value), Integer),
    )


def _local_parts(moment: Any, dialect: str) -> tuple[Any, Any]:
    """Year and month of a UTC timestamp in Vietnam."""
    if dialect == "postgresql":
        return _date_parts(func.timezone(VIETNAM_ZONE, moment), dialect)
    return (
        cast(func.strftime("%Y", moment, VIETNAM_OFFSET), Integer),
        cast(func.strftime("%m", moment, VIETNAM_OFFSET), Integer),
    )


def _certified(scheme: Scheme, on: Any) -> ColumnElement[bool]:
    return exists().where(
        Certification.field_id == Field.id,
        Certification.scheme == scheme,
        Certification.valid_from <= on,
        Certification.valid_until >= on,
    )


def emission_rows(session: Db, orgs: Orgs = None) -> Select[Any]:
    """Non-baseline seasons with their newest result, by harvest month."""
    dialect = session.get_bind().dialect.name
    newer = aliased(EmissionResult)
    harvested = func.coalesce(Season.harvest_date, Season.sowing_date)
    year, month = _date_parts(harvested, dialect)
    verified = (  # results in the HTXs' approved reports (once, whatever reports hold them)
        select(ReportSeason.result_id)
        .join(MrvReport)
        .where(
            MrvReport.status == ReportStatus.APPROVED,
            _of(session, MrvReport.organisation_id, orgs),
        )
        .distinct()
        .subquery()
    )
    row = (
        select(
            Field.province,
            Field.commune,
            Field.organisation_id,
            Season.crop,
            year.label("year"),
            month.label("month"),
            EmissionResult.area_ha.label("area"),
            EmissionResult.total_kg_co2e.label("total"),
            EmissionResult.yield_kg.label("kg"),
            # §10b: CO2 taken up by an orchard's trees; absent from rice and annual results
            func.coalesce(EmissionResult.result["removals_kg_co2"].as_float(), 0).label("removals"),
            EmissionResult.baseline_total_kg_co2e.is_not(None).label("compared"),
            EmissionResult.baseline_total_kg_co2e.label("base_total"),
            EmissionResult.baseline_yield_kg.label("base_kg"),
            EmissionResult.inputs[("baseline", "area_ha")].as_float().label("base_area"),
            verified.c.result_id.is_not(None).label("verified"),
            (EmissionResult.inputs["water_regime"].as_string() == AWD).label("awd"),
            _certified(Scheme.VIETGAP, harvested).label("vietgap"),
            _certified(Scheme.ORGANIC, harvested).label("organic"),
        )
        .join(Season, EmissionResult.season_id == Season.id)
        .join(Field, Season.field_id == Field.id)
        .outerjoin(verified, verified.c.result_id == EmissionResult.id)
        .where(
            Season.year != BASELINE_YEAR,
            _of(session, Field.organisation_id, orgs),
            ~exists().where(
                newer.season_id == EmissionResult.season_id, newer.id > EmissionResult.id
            ),
        )
        .subquery()
    )
    r = row.c
    return select(
        r.province,
        r.commune,
        r.organisation_id,
        r.crop,
        r.year,
        r.month,
        func.count().label("seasons"),
        _rounded(func.sum(r.area)).label("area_ha"),
        _rounded(func.sum(r.total)).label("total_kg_co2e"),
        _rounded(func.sum(r.kg)).label("yield_kg"),
        _rounded(func.sum(r.removals)).label("removals_kg_co2"),
        func.sum(_if(r.compared)).label("compared_seasons"),
        _rounded(func.sum(_if(r.compared, r.area))).label("compared_area_ha"),
        _rounded(func.sum(_if(r.compared, r.total))).label("compared_kg_co2e"),
        _rounded(func.sum(_if(r.compared, r.kg))).label("compared_yield_kg"),
        _rounded(func.sum(_if(r.compared, func.coalesce(r.base_area, r.area)))).label(
            "baseline_area_ha"
        ),
        _rounded(func.sum(_if(r.compared, r.base_total))).label("baseline_kg_co2e"),
        _rounded(func.sum(_if(r.compared, r.base_kg))).label("baseline_yield_kg"),
        func.sum(_if(r.verified)).label("verified_seasons"),
        _rounded(func.sum(_if(r.verified, r.area))).label("verified_area_ha"),
        _rounded(func.sum(_if(r.awd, r.area))).label("awd_area_ha"),
        _rounded(func.sum(_if(r.vietgap, r.area))).label("vietgap_area_ha"),
        _rounded(func.sum(_if(r.organic, r.area))).label("organic_area_ha"),
        _rounded(func.sum(_if(or_(r.vietgap, r.organic), r.area))).label("certified_area_ha"),
    ).group_by(r.province, r.commune, r.organisation_id, r.crop, r.year, r.month)


def label_rows(session: Db, orgs: Orgs = None) -> Select[Any]:
    """Labels by issue month (a batch's label counts once, its package labels apart) and
    the openings of their pages by the month of the scan."""
    dialect = session.get_bind().dialect.name
    year, month = _local_parts(Label.issued_at, dialect)
    scan_year, scan_month = _date_parts(ScanDay.day, dialect)
    place = (
        Organisation.province,
        Label.commune,
        Organisation.id.label("organisation_id"),
        Label.crop,
    )
    holder = Organisation.code == Label.organisation
    issued = (
        select(
            *place,
            year.label("year"),
            month.label("month"),
            case((Label.parent_id.is_(None), "batch"), else_="unit").label("kind"),
            Label.status,
            literal_column("0").label("scans"),
            Label.removals_kg_co2_per_kg.label("removals"),
        )
        .join(Organisation, holder)
        .where(_of(session, Organisation.id, orgs))
    )
    scanned = (
        select(
            *place, scan_year, scan_month, literal_column("'scan'"), null(), ScanDay.count, null()
        )
        .join(Label, Label.id == ScanDay.label_id)
        .join(Organisation, holder)
        .where(_of(session, Organisation.id, orgs))
    )
    r = union_all(issued, scanned).subquery().c
    batch = r.kind == "batch"
    shown = and_(batch, r.removals.is_not(None))
    return select(
        r.province,
        r.commune,
        r.organisation_id,
        r.crop,
        r.year,
        r.month,
        func.sum(_if(batch)).label("issued"),
        func.sum(_if(and_(batch, r.status == LabelStatus.VALID))).label("valid"),
        func.sum(_if(and_(batch, r.status == LabelStatus.SUSPENDED))).label("suspended"),
        func.sum(_if(and_(batch, r.status == LabelStatus.REVOKED))).label("revoked"),
        func.sum(_if(r.kind == "unit")).label("unit_labels"),
        func.sum(r.scans).label("scans"),
        func.sum(_if(shown)).label("removals_labels"),
        _rounded(func.coalesce(func.sum(_if(shown, r.removals)), 0)).label(
            "removals_kg_co2_per_kg_sum"
        ),
    ).group_by(r.province, r.commune, r.organisation_id, r.crop, r.year, r.month)


def field_rows(session: Db, orgs: Orgs = None) -> Select[Any]:
    year, month = _local_parts(Field.created_at, session.get_bind().dialect.name)
    row = (
        select(
            Field.province,
            Field.commune,
            Field.organisation_id,
            year.label("year"),
            month.label("month"),
            Field.area_m2,
        )
        .where(_of(session, Field.organisation_id, orgs))
        .subquery()
    )
    r = row.c
    return select(
        r.province,
        r.commune,
        r.organisation_id,
        r.year,
        r.month,
        func.count().label("fields"),
        _rounded(in_ha(func.sum(r.area_m2))).label("area_ha"),
    ).group_by(r.province, r.commune, r.organisation_id, r.year, r.month)
