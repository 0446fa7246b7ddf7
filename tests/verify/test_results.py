"""From the diary to results: inputs, provenance, baseline, storage and aggregates."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from registry.db import db
from registry.trace import service
from registry.trace.schemas import DiaryEntryIn, SeasonIn
from registry.verify import results
from registry.verify.calc_schema import calc_from_json, load_input, quick_load
from registry.verify.inputs import derive
from registry.verify.methodology import ORGANIC_KINDS, PRESEASONS, WATER_REGIMES
from registry.verify.models import EmissionResult
from tests.verify.conftest import Farm


def test_inputs_come_from_the_diary_with_their_sources(farm: Farm) -> None:
    _, _, base, awd = farm
    own = derive(awd)
    assert own.ok, own.problems
    assert own.inputs["water_regime"] == "multiple_drainage"
    assert own.inputs["cultivation_days"] == 94 and own.inputs["yield_kg"] == 6600
    assert own.inputs["urea_kg"] == 165 and own.inputs["synthetic_n_kg"] == pytest.approx(75.9)
    assert own.inputs["organic"] == [] and own.inputs["straw_burned_t"] == 0
    assert len(own.sources["water_regime"]) == 3
    baseline = derive(base)
    assert baseline.inputs["water_regime"] == "continuous"
    assert baseline.inputs["organic"] == [{"kind": "straw_short", "t_ha": 3.0}]
    assert baseline.inputs["straw_burned_t"] == 5.6


def test_an_incomplete_diary_gives_what_to_fix_not_a_number(farm: Farm) -> None:
    org, user, _, _ = farm
    fresh = service.open_season(
        db.session,
        org,
        SeasonIn().load(
            {"field": "DS-01", "season_type": "he_thu", "year": 2026, "sowing_date": "2026-04-15"}
        ),
    )
    service.record_entry(
        db.session,
        org,
        user,
        DiaryEntryIn().load(
            {"season": fresh.code, "kind": "note", "date": "2026-04-16", "data": {"text": "gieo"}}
        ),
    )
    outcome = results.compute(db.session, fresh)
    assert outcome.result is None and len(outcome.derivation.problems) == 2  # harvest, water


def test_the_result_against_the_2020_baseline_shows_a_reduction(farm: Farm) -> None:
    _, _, base, awd = farm
    outcome = results.compute(db.session, awd)
    assert outcome.baseline is not None and outcome.baseline.id == base.id
    stored = outcome.result
    assert stored is not None and stored.reduction_pct is not None and stored.reduction_pct > 30
    assert stored.result == calc_from_json(stored.inputs, version=stored.version)  # bit for bit
    assert stored.inputs["baseline"]["water_regime"] == "continuous"


def test_a_new_result_is_kept_only_when_the_inputs_change(farm: Farm) -> None:
    org, user, _, awd = farm
    first = results.compute(db.session, awd).result
    again = results.compute(db.session, awd).result
    assert first is not None and again is not None and first.id == again.id
    service.record_entry(
        db.session,
        org,
        user,
        DiaryEntryIn().load(
            {
                "season": awd.code,
                "kind": "fertiliser",
                "date": "2026-01-10",
                "data": {"product": "NPK 20-20-15", "n_pct": 20, "kg": 100},
            }
        ),
    )
    changed = results.compute(db.session, awd).result
    assert changed is not None and changed.id != first.id
    assert changed.total_kg_co2e > first.total_kg_co2e
    assert db.session.scalar(select(func.count()).select_from(EmissionResult)) == 2
    db.session.commit()
    (row,) = results.aggregate(db.session, "province")  # counts the newest result only
    assert row.seasons == 1 and row.total_kg_co2e == pytest.approx(changed.total_kg_co2e)


def test_aggregates_equal_the_sum_of_their_seasons(farm: Farm) -> None:
    _, _, base, awd = farm
    results.compute(db.session, base)
    season = results.compute(db.session, awd).result
    db.session.commit()
    assert season is not None
    for by in ("organisation", "commune", "province"):
        (row,) = results.aggregate(db.session, by)
        assert row.seasons == 1 and row.total_kg_co2e == pytest.approx(season.total_kg_co2e)
        assert row.reduction_pct == pytest.approx(season.reduction_pct)
    assert results.aggregate(db.session, "province", year=2025) == []


def test_computing_many_seasons_at_once_gives_the_same_results(farm: Farm) -> None:
    _, _, base, awd = farm
    assert results.compute_many(db.session, [base.id, awd.id]) == 2
    db.session.commit()
    assert results.compute_many(db.session, [base.id, awd.id]) == 0  # nothing changed
    one = results.latest_result(db.session, awd.id)
    assert one is not None and results.compute(db.session, awd).result is one
    assert one.reduction_pct is not None and one.reduction_pct > 30


# ------------------------------------------------------------ the schema without marshmallow
ODD_VALUES = st.sampled_from(
    ["1.5", True, None, math.nan, math.inf, -1, 0, 0.5, 90.0, 90.5, 10**400, 1e300, [], {}]
)
PLAIN = {
    "area_ha": st.floats(0.01, 50),
    "cultivation_days": st.integers(1, 365),
    "water_regime": st.sampled_from(WATER_REGIMES),
    "preseason": st.sampled_from(PRESEASONS),
    "yield_kg": st.floats(1, 1e6),
    "organic": st.lists(
        st.fixed_dictionaries({"kind": st.sampled_from(ORGANIC_KINDS), "t_ha": st.floats(0, 100)}),
        max_size=3,
    ),
    "synthetic_n_kg": st.floats(0, 1e4) | st.integers(0, 10**4),
    "straw_burned_t": st.floats(0, 100),
}
OPTIONAL = {
    "methodology": st.sampled_from(["ipcc2019-t1-rice", "other", ""]),
    "gwp": st.sampled_from(["AR5", "AR6", "AR4"]),
    "region": st.sampled_from(["global", "south_east_asia"]),
    "urea_kg": st.floats(0, 1e4),
}


@st.composite
def documents(draw: st.DrawFn, with_baseline: bool = True) -> dict[str, Any]:
    """§10 documents, mostly valid, some with one field dropped, added or odd."""
    document = draw(st.fixed_dictionaries(PLAIN, optional=OPTIONAL))
    if with_baseline and draw(st.booleans()):
        document["baseline"] = draw(documents(with_baseline=False))
    change = draw(st.sampled_from(["none", "none", "drop", "add", "odd"]))
    name = draw(st.sampled_from(sorted(document)))
    if change == "drop":
        del document[name]
    elif change == "add":
        document["extra"] = 1
    elif change == "odd":
        document[name] = draw(ODD_VALUES)
    return document


@given(documents())
def test_quick_load_gives_what_the_schema_loads_or_nothing(document: dict[str, Any]) -> None:
    quick = quick_load(document)
    if quick is not None:
        assert quick == load_input(document)


def test_quick_load_takes_the_documents_seasons_give(farm: Farm) -> None:
    awd = farm[3]
    document = results.compute(db.session, awd).result.inputs  # type: ignore[union-attr]
    assert document["baseline"]["water_regime"] == "continuous"
    assert quick_load(document) == load_input(document)
    assert quick_load({**document, "yield_kg": 0}) is None  # the schema explains instead
