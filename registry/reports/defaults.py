"""Where the report pages open: on the reader's own area (the authority's province, a
commune office's commune) and on the period of what it owes next by the reporting
calendar (`periods.next_deadline`), not on the whole registry and the running half-year.
What a request names wins; the authority reaches the whole registry by naming an empty
province, the filters' "whole registry" choice."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from registry.accounts.models import Organisation
from registry.db import Db
from registry.places import PROVINCES
from registry.reports import periodic, periods, scope
from registry.reports.figures import Area
from registry.reports.models import ReportKind
from registry.reports.periods import Period

AREA_PARAMETERS = frozenset({"province", "commune", "htx"})


@dataclass(frozen=True)
class View:
    area: Area
    period: Period


def home_province(viewer: Organisation) -> str | None:
    """The viewer's own province; None for one that is not a province (a national body),
    whose home is the whole registry."""
    return viewer.province if viewer.province in PROVINCES else None


def default_view(session: Db, viewer: Organisation, today: date) -> View:
    """The area and period a report page opens on when the request names neither."""
    due = periods.next_deadline(viewer.kind.value, today, periodic.delivered(session, viewer.id))
    area = scope.area_for(session, viewer, province=home_province(viewer))
    return View(area, due.period if due else periods.current_period(today))


def chosen_view(
    session: Db,
    viewer: Organisation,
    today: date,
    query: Mapping[str, Any],
    named: Collection[str],
) -> View:
    """The view a request asks for: `query` holds its filters as read (schemas.
    DashboardQuery), `named` the parameters it carried, empty or not. Naming a province,
    commune or HTX, even empty (the whole registry), replaces the default area; a crop
    narrows whichever area it is; a period replaces the default period."""
    default = default_view(session, viewer, today)
    if AREA_PARAMETERS.isdisjoint(named):
        area = replace(default.area, crop=query.get("crop"))
    else:
        area = scope.area_for(
            session,
            viewer,
            province=query.get("province"),
            commune=query.get("commune"),
            htx=query.get("htx"),
            crop=query.get("crop"),
        )
    return View(area, query.get("period") or default.period)


def report_form(view: View) -> dict[str, str]:
    """The report form's choices for a view, the kind following the period (a half-year
    makes a 6-month report)."""
    return {
        "kind": (ReportKind.HALF if view.period.half else ReportKind.ANNUAL).value,
        "period": view.period.key,
        "province": view.area.province or "",
        "commune": view.area.commune or "",
    }
