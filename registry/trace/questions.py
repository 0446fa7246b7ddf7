"""Questions about a season's diary: figures outside the typical ranges of its crop.

The crop catalogue gives each crop's typical yield and N per ha with their sources. A season
whose diary adds up to more N per ha than is typical, or whose harvest per ha falls outside
the typical yields, is questioned: the grower sees the question after saving and on the
season's page, and decides whether a kg or the field's area was mistyped. Nothing is refused
here: an unusual figure may be true, and verification is where it is judged."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from registry.numbers import number
from registry.trace.models import DiaryKind, Season
from registry.trace.service import current_entries

PER_HA = "#,##0"


def nitrogen_kg(season: Season) -> float:
    """kg N in the fertiliser entries of the diary as it stands (synthetic and organic)."""
    return sum(
        float(e.data["kg"]) * float(e.data["n_pct"]) / 100
        for e in current_entries(season)
        if e.kind is DiaryKind.FERTILISER
    )


def of(season: Season) -> list[Any]:
    """The questions to put to the grower about `season`, in the reader's language."""
    crop, area = season.crop_info, season.field.area_ha
    found: list[Any] = []
    n_ha = nitrogen_kg(season) / area
    if n_ha > crop.n_kg_ha.high:
        found.append(
            _l(
                "%(n)s kg N per ha is more than the %(high)s kg N/ha typical of %(crop)s: "
                "check the amounts, the N contents and the field's area.",
                n=number(n_ha, PER_HA),
                high=number(crop.n_kg_ha.high, PER_HA),
                crop=crop.name.lower(),
            )
        )
    if season.harvested_kg is not None:
        yield_ha = season.harvested_kg / area
        # More pickings may follow a crop harvested several times: only too much is known.
        low = crop.yield_kg_ha.low if not crop.several_harvests else 0
        if not low <= yield_ha <= crop.yield_kg_ha.high:
            found.append(
                _l(
                    "A harvest of %(kg)s kg per ha is outside the %(low)s–%(high)s kg/ha "
                    "typical of %(crop)s: check the kg and the field's area.",
                    kg=number(yield_ha, PER_HA),
                    low=number(crop.yield_kg_ha.low, PER_HA),
                    high=number(crop.yield_kg_ha.high, PER_HA),
                    crop=crop.name.lower(),
                )
            )
    return found
