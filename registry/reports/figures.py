"""Figures for an area and a period, added up from the cells in the database.

`Area` narrows to a province, a commune, an HTX and a crop; `Period` to a year or a
half-year. Every function is one SELECT … GROUP BY over the cells; the totals of a page
are the sums of its parts because both are sums of the same cells."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_

from registry.accounts.models import Organisation
from registry.db import Db
from registry.reports.models import EmissionCell, FieldCell, LabelCell
from registry.reports.periods import Period


@dataclass(frozen=True)
class Area:
    """Where: all the registry, or one province, commune (within its province) or HTX."""

    province: str | None = None
    commune: str | None = None
    organisation_id: int | None = None
    crop: str | None = None


@dataclass(frozen=True)
class Emissions:
    """Sums over seasons; see models.EmissionCell for what each counts."""

    seasons: int = 0
    area_ha: float = 0.0
    total_kg_co2e: float = 0.0
    yield_kg: float = 0.0
    compared_seasons: int = 0
    compared_area_ha: float = 0.0
    compared_kg_co2e: float = 0.0
    compared_yield_kg: float = 0.0
    baseline_area_ha: float = 0.0
    baseline_kg_co2e: float = 0.0
    baseline_yield_kg: float = 0.0
    verified_seasons: int = 0
    verified_area_ha: float = 0.0
    awd_area_ha: float = 0.0
    vietgap_area_ha: float = 0.0
    organic_area_ha: float = 0.0
    certified_area_ha: float = 0.0

    @property
    def per_ha_kg_co2e(self) -> float | None:
        return _ratio(self.total_kg_co2e, self.area_ha)

    @property
    def per_kg_g_co2e(self) -> float | None:
        ratio = _ratio(self.total_kg_co2e, self.yield_kg)
        return None if ratio is None else 1000 * ratio

    @property
    def baseline_per_ha_kg_co2e(self) -> float | None:
        return _ratio(self.baseline_kg_co2e, self.baseline_area_ha)

    @property
    def baseline_per_kg_g_co2e(self) -> float | None:
        ratio = _ratio(self.baseline_kg_co2e, self.baseline_yield_kg)
        return None if ratio is None else 1000 * ratio

    @property
    def reduction_pct(self) -> float | None:
        """Emission intensity (per kg of paddy) of the seasons that have a baseline,
        against their baselines: the headline figure, as on labels."""
        return _reduction(
            self.compared_kg_co2e,
            self.compared_yield_kg,
            self.baseline_kg_co2e,
            self.baseline_yield_kg,
        )

    @property
    def reduction_per_ha_pct(self) -> float | None:
        return _reduction(
            self.compared_kg_co2e,
            self.compared_area_ha,
            self.baseline_kg_co2e,
            self.baseline_area_ha,
        )

    def share(self, area_ha: float) -> float | None:
        """Percentage of the seasons' area."""
        ratio = _ratio(area_ha, self.area_ha)
        return None if ratio is None else 100 * ratio

    def as_dict(self) -> dict[str, Any]:
        """Sums and derived figures, for report data and exports."""
        return {
            **{f.name: getattr(self, f.name) for f in fields(self)},
            "per_ha_kg_co2e": self.per_ha_kg_co2e,
            "per_kg_g_co2e": self.per_kg_g_co2e,
            "baseline_per_ha_kg_co2e": self.baseline_per_ha_kg_co2e,
            "baseline_per_kg_g_co2e": self.baseline_per_kg_g_co2e,
            "reduction_pct": self.reduction_pct,
            "reduction_per_ha_pct": self.reduction_per_ha_pct,
        }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _reduction(kg: float, per: float, base_kg: float, base_per: float) -> float | None:
    if not (kg and per and base_kg and base_per):
        return None
    return 100 * (1 - (kg / per) / (base_kg / base_per))


@dataclass(frozen=True)
class Labels:
    issued: int = 0
    valid: int = 0
    suspended: int = 0
    revoked: int = 0
    unit_labels: int = 0
    scans: int = 0


@dataclass(frozen=True)
class Registered:
    fields: int = 0
    area_ha: float = 0.0


@dataclass(frozen=True)
class Part:
    """One row of a breakdown: a commune (`key`) in its `province`, or an HTX (`key` its
    code, `label` its name), with its figures."""

    key: str
    label: str
    emissions: Emissions
    province: str | None = None


EMISSION_SUMS = [f.name for f in fields(Emissions)]
LABEL_SUMS = [f.name for f in fields(Labels)]


def _place(model: Any, area: Area) -> list[ColumnElement[bool]]:
    found = []
    if area.province is not None:
        found.append(model.province == area.province)
    if area.commune is not None:
        found.append(model.commune == area.commune)
    if area.organisation_id is not None:
        found.append(model.organisation_id == area.organisation_id)
    if area.crop is not None and model is EmissionCell:
        found.append(EmissionCell.crop == area.crop)
    return found


def _within(model: Any, period: Period) -> list[ColumnElement[bool]]:
    first, last = period.months
    return [model.year == period.year, model.month.between(first, last)]


def _emission_sums() -> list[Any]:
    return [func.coalesce(func.sum(getattr(EmissionCell, name)), 0) for name in EMISSION_SUMS]


def _emissions(row: Any) -> Emissions:
    typed: dict[str, Any] = {
        f.name: (int if f.type in ("int", int) else float)(value)
        for f, value in zip(fields(Emissions), row, strict=True)
    }
    return Emissions(**typed)


def emissions(session: Db, area: Area, period: Period) -> Emissions:
    query = select(*_emission_sums()).where(
        *_place(EmissionCell, area), *_within(EmissionCell, period)
    )
    return _emissions(session.execute(query).one())


def emissions_by(session: Db, area: Area, period: Period, by: str) -> list[Part]:
    """The breakdown by "province", by "commune" (within its province) or by
    "organisation" (HTX), largest area first."""
    query: Select[Any]
    if by == "organisation":
        query = (
            select(Organisation.code, Organisation.name, *_emission_sums())
            .join(Organisation, Organisation.id == EmissionCell.organisation_id)
            .group_by(Organisation.code, Organisation.name)
        )
    elif by == "commune":
        query = select(EmissionCell.province, EmissionCell.commune, *_emission_sums()).group_by(
            EmissionCell.province, EmissionCell.commune
        )
    else:
        query = select(EmissionCell.province, EmissionCell.province, *_emission_sums()).group_by(
            EmissionCell.province
        )
    query = query.where(*_place(EmissionCell, area), *_within(EmissionCell, period))
    rows = session.execute(
        query.order_by(func.sum(EmissionCell.area_ha).desc(), *query.selected_columns[:2])
    )
    if by == "commune":
        return [
            Part(commune, f"{commune}, {province}", _emissions(rest), province)
            for province, commune, *rest in rows
        ]
    return [Part(key, label, _emissions(rest)) for key, label, *rest in rows]


def next_level(area: Area) -> str:
    """What a page about `area` breaks its figures down by: the level below it."""
    if area.commune is not None or area.organisation_id is not None:
        return "organisation"
    return "commune" if area.province is not None else "province"


def emissions_by_year(session: Db, area: Area) -> dict[int, Emissions]:
    """Every year's figures (for the trajectory), whatever the period."""
    query = (
        select(EmissionCell.year, *_emission_sums())
        .where(*_place(EmissionCell, area))
        .group_by(EmissionCell.year)
        .order_by(EmissionCell.year)
    )
    return {year: _emissions(rest) for year, *rest in session.execute(query)}


def labels(session: Db, area: Area, period: Period) -> Labels:
    sums = [func.coalesce(func.sum(getattr(LabelCell, name)), 0) for name in LABEL_SUMS]
    query = select(*sums).where(*_place(LabelCell, area), *_within(LabelCell, period))
    return Labels(*(int(v) for v in session.execute(query).one()))


def registered(session: Db, area: Area, period: Period) -> Registered:
    """Fields registered by the end of the period."""
    last = (period.year, period.months[1])
    query = select(
        func.coalesce(func.sum(FieldCell.fields), 0),
        func.coalesce(func.sum(FieldCell.area_ha), 0.0),
    ).where(*_place(FieldCell, area), tuple_(FieldCell.year, FieldCell.month) <= last)
    count, area_ha = session.execute(query).one()
    return Registered(int(count), float(area_ha))


def places(session: Db) -> list[tuple[str, str]]:
    """Every (province, commune) that has any field, for the report form."""
    query = (
        select(FieldCell.province, FieldCell.commune)
        .distinct()
        .order_by(FieldCell.province, FieldCell.commune)
    )
    return [(province, commune) for province, commune in session.execute(query)]


def provinces(session: Db) -> list[str]:
    """Provinces that have any field, for the filters."""
    query = select(FieldCell.province).distinct().order_by(FieldCell.province)
    return list(session.scalars(query))


def communes(session: Db, province: str) -> list[str]:
    """The province's communes that have any field, for the filters."""
    query = (
        select(FieldCell.commune)
        .where(FieldCell.province == province)
        .distinct()
        .order_by(FieldCell.commune)
    )
    return list(session.scalars(query))


def cooperatives(session: Db, area: Area) -> list[Organisation]:
    """The HTX with fields in the area, for the filters."""
    inside = select(FieldCell.organisation_id).where(
        *_place(FieldCell, Area(area.province, area.commune))
    )
    return list(
        session.scalars(
            select(Organisation).where(Organisation.id.in_(inside)).order_by(Organisation.code)
        )
    )
