"""Figures for an area and a period, added up from the cells in the database.

`Area` narrows to a province, a commune, an HTX and a crop; `Period` to a year or a
half-year. Every function is one SELECT … GROUP BY over the cells; the totals of a page
are the sums of its parts because both are sums of the same cells.

Cells are kept by crop (a code of the crop catalogue). Sums of areas, seasons and
emissions add up across crops; what is per kg does not, since a kg of paddy and a kg of
fresh vegetables are different products. So every query groups by crop as well, and
figures over several crops (`mixed`) give no emission figure per kg, and their reduction
below 2020 compares the emissions of the seasons that have a baseline with what the same
harvests would have emitted at their own crop's 2020 intensity (`Pools`): for one crop
that is exactly the reduction of its intensity, the figure a label carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tuple_

from registry import crops
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
class Pools:
    """What the reductions of several crops are worked out from, each crop's seasons with
    a 2020 baseline counted only where that baseline gives its crop an intensity:
    `per_kg` their emissions and `per_kg_baseline` their harvests × their crop's 2020
    kg CO₂e per kg; `per_ha` and `per_ha_baseline` the same per ha of land."""

    per_kg: float = 0.0
    per_kg_baseline: float = 0.0
    per_ha: float = 0.0
    per_ha_baseline: float = 0.0

    def __add__(self, other: Pools) -> Pools:
        return Pools(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Emissions:
    """Sums over seasons; see models.EmissionCell for what each counts. `crop` names the
    crop when the sums are of one crop; `pools` is set when they are of several."""

    seasons: int = 0
    area_ha: float = 0.0
    total_kg_co2e: float = 0.0
    yield_kg: float = 0.0
    removals_kg_co2: float = 0.0
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
    crop: str | None = None
    pools: Pools | None = None

    @property
    def mixed(self) -> bool:
        """Sums of more than one crop: no figure per kg of product."""
        return self.pools is not None

    @property
    def per_ha_kg_co2e(self) -> float | None:
        return _ratio(self.total_kg_co2e, self.area_ha)

    @property
    def per_kg_g_co2e(self) -> float | None:
        """Per kg of the crop's own product (g CO₂e/kg); None over several crops."""
        ratio = None if self.mixed else _ratio(self.total_kg_co2e, self.yield_kg)
        return None if ratio is None else 1000 * ratio

    @property
    def baseline_per_ha_kg_co2e(self) -> float | None:
        return _ratio(self.baseline_kg_co2e, self.baseline_area_ha)

    @property
    def baseline_per_kg_g_co2e(self) -> float | None:
        ratio = None if self.mixed else _ratio(self.baseline_kg_co2e, self.baseline_yield_kg)
        return None if ratio is None else 1000 * ratio

    @property
    def reduction_pct(self) -> float | None:
        """Emission intensity (per kg of the crop's product) of the seasons that have a
        baseline, against their baselines: the headline figure, as on labels. Over
        several crops, each crop against its own 2020 intensity (`Pools`)."""
        if self.pools is not None:
            return _below(self.pools.per_kg, self.pools.per_kg_baseline)
        return _reduction(
            self.compared_kg_co2e,
            self.compared_yield_kg,
            self.baseline_kg_co2e,
            self.baseline_yield_kg,
        )

    @property
    def reduction_per_ha_pct(self) -> float | None:
        if self.pools is not None:
            return _below(self.pools.per_ha, self.pools.per_ha_baseline)
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

    def own_pools(self) -> Pools:
        """The pools of sums of one crop."""
        per_kg = _reduction(*self._intensity("compared_yield_kg", "baseline_yield_kg"))
        per_ha = _reduction(*self._intensity("compared_area_ha", "baseline_area_ha"))
        return Pools(
            *self._pool(per_kg, self.compared_yield_kg, self.baseline_yield_kg),
            *self._pool(per_ha, self.compared_area_ha, self.baseline_area_ha),
        )

    def _intensity(self, per: str, base_per: str) -> tuple[float, float, float, float]:
        return (
            self.compared_kg_co2e,
            getattr(self, per),
            self.baseline_kg_co2e,
            getattr(self, base_per),
        )

    def _pool(self, reduction: float | None, per: float, base_per: float) -> tuple[float, float]:
        if reduction is None:  # no intensity to compare: the crop stays out of the pool
            return 0.0, 0.0
        return self.compared_kg_co2e, per * self.baseline_kg_co2e / base_per

    def as_dict(self) -> dict[str, Any]:
        """Sums and derived figures, for report data and exports."""
        return {
            **{name: getattr(self, name) for name in EMISSION_SUMS},
            "crop": self.crop,
            "per_ha_kg_co2e": self.per_ha_kg_co2e,
            "per_kg_g_co2e": self.per_kg_g_co2e,
            "baseline_per_ha_kg_co2e": self.baseline_per_ha_kg_co2e,
            "baseline_per_kg_g_co2e": self.baseline_per_kg_g_co2e,
            "reduction_pct": self.reduction_pct,
            "reduction_per_ha_pct": self.reduction_per_ha_pct,
        }


def mixed(parts: Iterable[Emissions]) -> Emissions:
    """The figures of the crops `parts` (each of one crop, no crop twice) together."""
    found = list(parts)
    if len({p.crop for p in found}) < len(found) or any(p.crop is None for p in found):
        raise ValueError("mixed() takes the sums of distinct crops")
    if not found:
        return Emissions()
    if len(found) == 1:
        return found[0]
    sums = {name: sum(getattr(p, name) for p in found) for name in EMISSION_SUMS}
    pools = sum((p.own_pools() for p in found), Pools())
    return Emissions(**sums, crop=None, pools=pools)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _reduction(kg: float, per: float, base_kg: float, base_per: float) -> float | None:
    if not (kg and per and base_kg and base_per):
        return None
    return 100 * (1 - (kg / per) / (base_kg / base_per))


def _below(kg: float, baseline_kg: float) -> float | None:
    return 100 * (1 - kg / baseline_kg) if kg and baseline_kg else None


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
    """One row of a breakdown: a commune (`key`) in its `province`, an HTX (`key` its
    code, `label` its name) or a crop (`key` and `label` its catalogue code), with its
    figures."""

    key: str
    label: str
    emissions: Emissions
    province: str | None = None
    crops: tuple[Emissions, ...] = ()  # its figures crop by crop, in the catalogue's order


EMISSION_SUMS = [f.name for f in fields(Emissions) if f.name not in ("crop", "pools")]
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


def _emissions(crop: str | None, row: Any) -> Emissions:
    typed: dict[str, Any] = {
        f.name: (int if f.type in ("int", int) else float)(value)
        for f, value in zip(fields(Emissions), row, strict=False)
    }
    return Emissions(**typed, crop=crop)


def _by_crop(rows: Iterable[Any], keys: int) -> dict[tuple[Any, ...], list[Emissions]]:
    """Rows of (`keys` key columns, crop, sums…) as the figures of each key's crops, in
    the catalogue's order; a crop whose cells were emptied (no season left) is left out,
    its key kept."""
    grouped: dict[tuple[Any, ...], list[Emissions]] = {}
    for row in rows:
        key, crop, sums = tuple(row[:keys]), row[keys], row[keys + 1 :]
        found = grouped.setdefault(key, [])
        if sums[0]:  # seasons
            found.append(_emissions(crop, sums))
    for parts in grouped.values():
        parts.sort(key=lambda e: crop_order(e.crop or ""))
    return grouped


def crop_order(code: str) -> tuple[int, str]:
    """The catalogue's order (rice first, then by kind); a code it lacks comes last."""
    order = list(crops.catalogue())
    return (order.index(code) if code in order else len(order), code)


def emissions_by_crop(session: Db, area: Area, period: Period) -> list[Part]:
    """One part a crop (`key` its catalogue code), in the catalogue's order."""
    query = (
        select(EmissionCell.crop, *_emission_sums())
        .where(*_place(EmissionCell, area), *_within(EmissionCell, period))
        .group_by(EmissionCell.crop)
        .having(func.sum(EmissionCell.seasons) > 0)
    )
    found = [_emissions(crop, rest) for crop, *rest in session.execute(query)]
    return [
        Part(e.crop or "", e.crop or "", e, None, (e,))
        for e in sorted(found, key=lambda e: crop_order(e.crop or ""))
    ]


def emissions(session: Db, area: Area, period: Period) -> Emissions:
    return mixed(p.emissions for p in emissions_by_crop(session, area, period))


def emissions_by(session: Db, area: Area, period: Period, by: str) -> list[Part]:
    """The breakdown by "province", by "commune" (within its province) or by
    "organisation" (HTX), largest area first."""
    keys: tuple[Any, ...]
    if by == "organisation":
        keys = (Organisation.code, Organisation.name)
    elif by == "commune":
        keys = (EmissionCell.province, EmissionCell.commune)
    else:
        keys = (EmissionCell.province, EmissionCell.province)
    query: Select[Any] = select(*keys, EmissionCell.crop, *_emission_sums())
    if by == "organisation":
        query = query.join(Organisation, Organisation.id == EmissionCell.organisation_id)
    query = query.where(*_place(EmissionCell, area), *_within(EmissionCell, period)).group_by(
        *keys, EmissionCell.crop
    )
    found = [
        (key, mixed(parts), tuple(parts))
        for key, parts in _by_crop(session.execute(query), 2).items()
    ]
    found.sort(key=lambda item: (-item[1].area_ha, item[0]))
    if by == "commune":
        return [
            Part(commune, f"{commune}, {province}", figures, province, parts)
            for (province, commune), figures, parts in found
        ]
    return [Part(key, label, figures, None, parts) for (key, label), figures, parts in found]


def next_level(area: Area) -> str:
    """What a page about `area` breaks its figures down by: the level below it."""
    if area.commune is not None or area.organisation_id is not None:
        return "organisation"
    return "commune" if area.province is not None else "province"


def emissions_by_year(session: Db, area: Area) -> dict[int, Emissions]:
    """Every year's figures (for the trajectory), whatever the period."""
    query = (
        select(EmissionCell.year, EmissionCell.crop, *_emission_sums())
        .where(*_place(EmissionCell, area))
        .group_by(EmissionCell.year, EmissionCell.crop)
        .order_by(EmissionCell.year)
    )
    return {year: mixed(parts) for (year,), parts in _by_crop(session.execute(query), 1).items()}


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
