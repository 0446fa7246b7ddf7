"""A vegetable cycle's and an orchard's diary become the §10b calculator input, each input
traced to the entries it came from, and their results are computed with
ipcc2019-t1-crops (issue 19)."""

from __future__ import annotations

import dataclasses

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from registry import crops
from registry.db import db
from registry.trace.models import Season
from registry.verify import results
from registry.verify.calc_schema import calc_from_json
from registry.verify.inputs import derive
from tests.trace.test_crop_diary import grower, open_season, record  # noqa: F401


def season(code: str) -> Season:
    found = db.session.scalar(select(Season).where(Season.code == code))
    assert found is not None
    return found


def test_a_vegetable_cycle_gives_lime_fuel_power_and_its_harvests(grower: FlaskClient) -> None:
    open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    code = "HD-01-2026-C1"
    for kind, data in [
        ("fertiliser", {"product": "Urê Phú Mỹ", "kg": "40", "urea": "y"}),
        ("fertiliser", {"product": "Phân chuồng", "kg": "500", "n_pct": "1", "organic": "y"}),
        ("irrigation", {"system": "sprinkler", "source": "electricity", "amount": "35"}),
        ("energy", {"source": "petrol", "amount": "6", "purpose": "land_preparation"}),
        ("lime", {"lime_type": "dolomite", "tonnes": "0.25"}),
        ("residue", {"practice": "burned", "tonnes": "0.3"}),
        ("harvest", {"date": "2026-10-05", "kg": "4200"}),
        ("harvest", {"date": "2026-10-12", "kg": "3100"}),
    ]:
        assert record(grower, code, kind, **{"date": "2026-09-10", **data}).status_code == 302
    found = derive(season(code))
    assert found.ok, found.problems
    assert found.inputs == {
        "crop": "vegetable",
        "yield_kg": 7300.0,  # two pickings summed
        "residue_burned_t": 0.3,
        "residue_n_kg": 0.0,  # burned: none left in the soil
        "synthetic_n_kg": 40 * 46 / 100,  # urea: 46 % N
        "organic_n_kg": 5.0,
        "urea_kg": 40.0,
        "lime": {"limestone_t": 0.0, "dolomite_t": 0.25},
        "diesel_l": 0.0,
        "petrol_l": 6.0,
        "electricity_kwh": 35.0,
        "area_ha": 0.5,
    }
    assert len(found.sources["yield_kg"]) == 2 and len(found.sources["electricity_kwh"]) == 1
    stored = results.compute(db.session, season(code)).result
    assert stored is not None and stored.methodology == "ipcc2019-t1-crops"
    assert stored.result == calc_from_json(stored.inputs)
    assert stored.result["breakdown"]["co2_lime_kg"] > 0 and stored.result["crop_kind"] == "annual"


def test_an_orchard_year_gives_tree_age_and_the_area_cut_and_may_bear_nothing(
    grower: FlaskClient,
) -> None:
    open_season(grower, "fruit_tree", year="2026", sowing_date="2026-01-01",
                planting_year="2016", tree_count="120")  # fmt: skip
    code = "HD-01-2026-N"
    for kind, data in [
        ("planting", {"trees": "120", "planting_year": "2016"}),
        ("trees", {"change": "cut", "trees": "12"}),  # a count alone: 12/120 of 0.5 ha
        ("trees", {"change": "replanted", "trees": "5"}),
        ("fertiliser", {"product": "NPK 16-16-8", "kg": "100", "n_pct": "16"}),
    ]:
        assert record(grower, code, kind, **{"date": "2026-02-10", **data}).status_code == 302
    found = derive(season(code))
    assert found.ok, found.problems
    assert found.inputs["tree_age_years"] == 10
    assert found.inputs["removed_area_ha"] == 0.5 * 12 / 120
    assert found.inputs["yield_kg"] == 0.0 and found.inputs["synthetic_n_kg"] == 16.0
    stored = results.compute(db.session, season(code)).result
    assert stored is not None and stored.result["per_kg_product_g_co2e"] is None
    factors = stored.result["factors"]
    assert factors["perennial_cycle"]["value"] <= 10  # past the cycle: no more uptake
    assert stored.result["removals_kg_co2"] == 0
    assert stored.result["breakdown"]["co2_biomass_loss_kg"] > 0  # the trees cut


def test_an_annual_cycle_without_a_harvest_is_not_finished(grower: FlaskClient) -> None:
    open_season(grower, "maize", year="2026", sowing_date="2026-03-01")
    found = derive(season("HD-01-2026-C1"))
    assert not found.ok and "Hãy ghi thu hoạch" in str(found.problems[0])


def test_residues_left_or_worked_in_give_their_nitrogen(grower: FlaskClient) -> None:
    """N = dry tonnes x the N content the grower measured, else the catalogue's usual value
    for the crop; composted residues count later, as the compost spread (fertiliser)."""
    open_season(grower, "maize", year="2026", sowing_date="2026-03-01")
    code = "HD-01-2026-C1"
    usual = crops.get("maize").residue_n_pct
    assert usual is not None  # maize stover has a cited N content
    for data in [
        {"practice": "incorporated", "tonnes": "2", "n_pct": "0.9"},  # measured: 18 kg N
        {"practice": "left", "tonnes": "1.5"},  # the usual content
        {"practice": "composted", "tonnes": "4"},  # not yet in the soil
        {"practice": "burned", "tonnes": "0.5"},
        {"practice": "removed", "tonnes": "3"},
    ]:
        assert record(grower, code, "residue", date="2026-06-20", **data).status_code == 302
    assert record(grower, code, "harvest", date="2026-06-15", kg="2400").status_code == 302
    found = derive(season(code))
    assert found.ok, found.problems
    assert found.inputs["residue_n_kg"] == pytest.approx(2000 * 0.009 + 1500 * usual / 100)
    assert found.inputs["residue_burned_t"] == 0.5
    assert len(found.sources["residue_n_kg"]) == 2


def test_a_crop_without_a_usual_residue_n_asks_the_grower(
    grower: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_season(grower, "vegetable", year="2026", sowing_date="2026-09-01")
    code = "HD-01-2026-C1"
    real = crops.get
    without = dataclasses.replace(real("vegetable"), residue_n_pct=None)  # a crop never cited
    monkeypatch.setattr(crops, "get", lambda c: without if c == "vegetable" else real(c))
    assert (
        record(grower, code, "residue", date="2026-09-20", practice="left", tonnes="1").status_code
        == 302
    )
    assert record(grower, code, "harvest", date="2026-10-15", kg="9000").status_code == 302
    found = derive(season(code))
    assert not found.ok
    assert "hàm lượng đạm" in str(found.problems[0]) and "20/09/2026" in str(found.problems[0])


def test_a_residue_n_content_out_of_range_is_refused_on_the_field(grower: FlaskClient) -> None:
    open_season(grower, "maize", year="2026", sowing_date="2026-03-01")
    page = record(grower, "HD-01-2026-C1", "residue", date="2026-06-20", practice="left",
                  tonnes="1", n_pct="46")  # fmt: skip
    assert page.status_code == 422
    assert "n_pct" in page.get_data(as_text=True)
