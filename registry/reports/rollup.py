"""Rebuilding the cells of sums (models.py) from the registry's records.

Each kind of cell is one INSERT … SELECT … GROUP BY in the database over the whole
registry, merged into the table by its natural key: a cell whose sums changed takes the
new revision, a cell that no longer has any record is emptied. Values are rounded to
three decimals (grams, kilograms, 10 m²) so that the same records always give the same
cells and an unchanged cell keeps its revision.

A rebuild reads every season's newest result, so it takes seconds at a million seasons
(bench/reports_bench.py); `refresh` therefore rebuilds only when something changed (the
transparency log grew, or a result was computed: results are the only records not
logged) and, for pages, at most every `max_age`. Reports and confirmations ask for
`max_age=0`: they always show the records as they are. Label scan counters are not
logged, so they are as of the last rebuild that something else caused. Callers of
`refresh` commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    Table,
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
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from registry.accounts.models import Organisation
from registry.db import Db, utcnow
from registry.labels.models import Label, LabelStatus
from registry.ledger import service as ledger
from registry.public.models import ScanDay
from registry.reports.models import EmissionCell, FieldCell, LabelCell, RollupState
from registry.reports.periods import BASELINE_YEAR
from registry.trace.models import Certification, Field, Scheme, Season
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus

PLACE = ("province", "commune", "organisation_id")
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
AWD = "multiple_drainage"  # alternate wetting and drying (GLOSSARY.md)
VIETNAM_OFFSET = "+7 hours"  # Vietnam keeps UTC+7 all year
VIETNAM_ZONE: ColumnElement[str] = literal_column("'Asia/Ho_Chi_Minh'")


def fingerprint(session: Db) -> str:
    """What the cells are built from, in two cheap reads: the log's size (every change of
    state is logged) and the newest emission result (results are not)."""
    newest = session.scalar(select(func.max(EmissionResult.id))) or 0
    return f"{ledger.size(session)}:{newest}"


def refresh(session: Db, max_age: timedelta) -> RollupState:
    """The cells' state, rebuilt first if the records changed since the last rebuild and
    that rebuild is older than `max_age`. Concurrent callers rebuild once: the state row
    is locked and checked again before rebuilding."""
    seen = fingerprint(session)
    state = session.get(RollupState, 1)
    if state is not None and not _due(state, seen, max_age):
        return state
    if state is None:
        session.execute(
            _insert(session, RollupState)
            .values(id=1, revision=0, fingerprint="", built_at=NEVER)
            .on_conflict_do_nothing()
        )
    state = session.scalars(
        select(RollupState)
        .where(RollupState.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if _due(state, seen, max_age):
        rebuild(session, state, seen)
    return state


@dataclass(frozen=True)
class Freshness:
    revision: int
    built_at: datetime


def snapshot(session: Db, max_age: timedelta) -> Freshness:
    """`refresh`, commit (so that other requests find the rebuild), then start a
    transaction in which every read sees the same cells: on PostgreSQL a REPEATABLE READ
    one, so that a rebuild committed between two reads of a page cannot make its total
    differ from the sum of its parts (SQLite writes one at a time anyway)."""
    state = refresh(session, max_age)
    found = Freshness(state.revision, state.built_at)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return found


def _due(state: RollupState, seen: str, max_age: timedelta) -> bool:
    return state.fingerprint != seen and utcnow() - state.built_at >= max_age


def rebuild(session: Db, state: RollupState, seen: str) -> None:
    revision = state.revision + 1
    dialect = session.get_bind().dialect.name
    _merge(session, EmissionCell, ("crop",), _emission_rows(dialect), revision)
    _merge(session, LabelCell, (), _label_rows(dialect), revision)
    _merge(session, FieldCell, (), _field_rows(dialect), revision)
    state.revision, state.fingerprint, state.built_at = revision, seen, utcnow()


def _insert(session: Db, model: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _merge(
    session: Db, model: Any, extra_keys: tuple[str, ...], rows: Select[Any], revision: int
) -> None:
    """Upsert `rows` (keys, then sums) into the model's table by natural key."""
    table: Table = model.__table__
    keys = (*PLACE, *extra_keys, "year", "month")
    sums = [str(c.key) for c in rows.selected_columns if c.key not in keys]
    statement = _insert(session, model).from_select(
        [*keys, *sums, "revision", "built"],
        # WHERE true: SQLite would read ON CONFLICT as a join's ON without it
        select(
            *rows.subquery().c, literal_column(str(revision)), literal_column(str(revision))
        ).where(true()),
    )
    new = statement.excluded
    changed = or_(*(table.c[name].is_distinct_from(new[name]) for name in sums))
    session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={
                **{name: new[name] for name in sums},
                "revision": case((changed, revision), else_=table.c.revision),
                "built": revision,
            },
        )
    )
    session.execute(
        update(table)
        .where(table.c.built < revision, or_(*(table.c[name] != 0 for name in sums)))
        .values({**dict.fromkeys(sums, 0), "revision": revision})
    )


# ---------------------------------------------------------------- what each cell sums
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


def _certified(schemes: tuple[Scheme, ...], on: Any) -> ColumnElement[bool]:
    return exists().where(
        Certification.field_id == Field.id,
        Certification.scheme.in_(schemes),
        Certification.valid_from <= on,
        Certification.valid_until >= on,
    )


def _emission_rows(dialect: str) -> Select[Any]:
    """Non-baseline seasons with their newest result, by harvest month."""
    newer = aliased(EmissionResult)
    harvested = func.coalesce(Season.harvest_date, Season.sowing_date)
    year, month = _date_parts(harvested, dialect)
    compared = EmissionResult.baseline_total_kg_co2e.is_not(None)
    verified = exists().where(
        ReportSeason.result_id == EmissionResult.id,
        ReportSeason.report_id == MrvReport.id,
        MrvReport.status == ReportStatus.APPROVED,
    )
    water = EmissionResult.inputs["water_regime"].as_string()
    baseline_area = EmissionResult.inputs[("baseline", "area_ha")].as_float()
    area = EmissionResult.area_ha
    row = (
        select(
            Field.province,
            Field.commune,
            Field.organisation_id,
            Season.crop,
            year.label("year"),
            month.label("month"),
            area.label("area"),
            EmissionResult.total_kg_co2e.label("total"),
            EmissionResult.yield_kg.label("kg"),
            compared.label("compared"),
            EmissionResult.baseline_total_kg_co2e.label("base_total"),
            EmissionResult.baseline_yield_kg.label("base_kg"),
            baseline_area.label("base_area"),
            verified.label("verified"),
            (water == AWD).label("awd"),
            _certified((Scheme.VIETGAP,), harvested).label("vietgap"),
            _certified((Scheme.ORGANIC,), harvested).label("organic"),
            _certified((Scheme.VIETGAP, Scheme.ORGANIC), harvested).label("certified"),
        )
        .join(Season, EmissionResult.season_id == Season.id)
        .join(Field, Season.field_id == Field.id)
        .where(
            Season.year != BASELINE_YEAR,
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
        _rounded(func.sum(_if(r.certified, r.area))).label("certified_area_ha"),
    ).group_by(r.province, r.commune, r.organisation_id, r.crop, r.year, r.month)


def _label_rows(dialect: str) -> Select[Any]:
    """Labels by issue month (a batch's label counts once, its package labels apart) and
    the openings of their pages by the month of the scan."""
    year, month = _local_parts(Label.issued_at, dialect)
    scan_year, scan_month = _date_parts(ScanDay.day, dialect)
    place = (Organisation.province, Label.commune, Organisation.id.label("organisation_id"))
    holder = Organisation.code == Label.organisation
    issued = select(
        *place,
        year.label("year"),
        month.label("month"),
        case((Label.parent_id.is_(None), "batch"), else_="unit").label("kind"),
        Label.status,
        literal_column("0").label("scans"),
    ).join(Organisation, holder)
    scanned = (
        select(
            *place,
            scan_year,
            scan_month,
            literal_column("'scan'"),
            null(),
            ScanDay.count,
        )
        .join(Label, Label.id == ScanDay.label_id)
        .join(Organisation, holder)
    )
    r = union_all(issued, scanned).subquery().c
    batch = r.kind == "batch"
    return select(
        r.province,
        r.commune,
        r.organisation_id,
        r.year,
        r.month,
        func.sum(_if(batch)).label("issued"),
        func.sum(_if(and_(batch, r.status == LabelStatus.VALID))).label("valid"),
        func.sum(_if(and_(batch, r.status == LabelStatus.SUSPENDED))).label("suspended"),
        func.sum(_if(and_(batch, r.status == LabelStatus.REVOKED))).label("revoked"),
        func.sum(_if(r.kind == "unit")).label("unit_labels"),
        func.sum(r.scans).label("scans"),
    ).group_by(r.province, r.commune, r.organisation_id, r.year, r.month)


def _field_rows(dialect: str) -> Select[Any]:
    year, month = _local_parts(Field.created_at, dialect)
    row = select(
        Field.province,
        Field.commune,
        Field.organisation_id,
        year.label("year"),
        month.label("month"),
        Field.area_ha,
    ).subquery()
    r = row.c
    return select(
        r.province,
        r.commune,
        r.organisation_id,
        r.year,
        r.month,
        func.count().label("fields"),
        _rounded(func.sum(r.area_ha)).label("area_ha"),
    ).group_by(r.province, r.commune, r.organisation_id, r.year, r.month)
