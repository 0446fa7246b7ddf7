"""Progress to 2035: verified reductions by HTX, commune or province against the target
trajectory, within an area (scope.area_for decides which the viewer may see).

Only verified seasons count toward progress: a season whose newest result is in an MRV
report a verifier approved (results.verified). A figure the authority reports or the
public reads must not move with diaries nobody has checked; the dashboard shows the
share of verified seasons beside its figures for the same reason. An HTX also sees its own
seasons not verified yet, apart and marked, as work in hand: they never enter the rows."""

from __future__ import annotations

from dataclasses import dataclass

from registry.db import Db
from registry.reports.figures import Area
from registry.reports.periods import target_pct
from registry.verify import results
from registry.verify.results import Aggregate


@dataclass(frozen=True)
class Progress:
    by: str  # "organisation", "commune" or "province"
    year: int | None  # the seasons of that year, or of every year
    target_year: int  # the year whose point of the trajectory the rows are held to
    target_pct: float
    final_pct: float
    verified: list[Aggregate]
    pending: list[Aggregate]  # the HTX's own seasons not verified yet (empty for others)

    def on_track(self, row: Aggregate) -> bool:
        return row.reduction_pct is not None and row.reduction_pct >= self.target_pct


def read(
    session: Db,
    area: Area,
    by: str,
    year: int | None,
    this_year: int,
    final_pct: float,
    with_pending: bool,
) -> Progress:
    """The rows of `area`; a year's seasons against that year's point of the trajectory,
    every year's against this year's."""
    target_year = year or this_year

    def rows(verified_only: bool) -> list[Aggregate]:
        return results.aggregate(
            session,
            by,
            year,
            area.organisation_id,
            province=area.province,
            commune=area.commune,
            crop=area.crop,
            verified_only=verified_only,
        )

    return Progress(
        by=by,
        year=year,
        target_year=target_year,
        target_pct=target_pct(target_year, final_pct),
        final_pct=final_pct,
        verified=rows(True),
        pending=rows(False) if with_pending else [],
    )
