"""The dashboard's figures for one area and period, read in one snapshot of the cells."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from registry.db import Db
from registry.reports import figures
from registry.reports.figures import Area, Emissions, Labels, Part, Registered
from registry.reports.periods import Period, target_pct


@dataclass(frozen=True)
class Dashboard:
    area: Area
    period: Period
    final_pct: float
    revision: int
    built_at: datetime
    emissions: Emissions
    registered: Registered
    labels: Labels
    parts_by: str  # "province", "commune" or "organisation": the level below the area
    parts: list[Part]
    crops: list[Part]  # one a crop (Part.key its catalogue code), in the catalogue's order
    years: dict[int, Emissions]

    @property
    def target_pct(self) -> float:
        """Where the trajectory stands in the period's year."""
        return target_pct(self.period.year, self.final_pct)

    @property
    def on_track(self) -> bool | None:
        found = self.emissions.reduction_pct
        return None if found is None else found >= self.target_pct


def read(
    session: Db, area: Area, period: Period, final_pct: float, revision: int, built_at: datetime
) -> Dashboard:
    """Every figure of the page; `revision` and `built_at` say how fresh the cells are."""
    by_crop = figures.emissions_by_crop(session, area, period)
    return Dashboard(
        area=area,
        period=period,
        final_pct=final_pct,
        revision=revision,
        built_at=built_at,
        emissions=figures.mixed(p.emissions for p in by_crop),
        registered=figures.registered(session, area, period),
        labels=figures.labels(session, area, period),
        parts_by=figures.next_level(area),
        parts=figures.emissions_by(session, area, period, figures.next_level(area)),
        crops=by_crop,
        years=figures.emissions_by_year(session, area),
    )
