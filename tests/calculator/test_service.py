"""The public calculator's service (issue 23): everyday units become the calculator document
of DESIGN §10b, its figures are those of `registry mrv calc` on that document, and the "what
if" comparisons are the same field changed and computed again."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner

from registry import crops
from registry.calculator import service
from registry.calculator.data import FILE, UnitsError, units
from registry.verify.methodology import DEFAULT_ID, load_methodology

pytestmark = pytest.mark.usefixtures("ctx")

# An extension officer's rice season: 5 sào Bắc Bộ, 11 tạ of paddy, one bag of urea and two
# of NPK 16-16-8, a tonne of straw ploughed in, diesel for the pump and the tractor.
RICE_IN_SAO = {
    "crop": "rice",
    "area": "5",
    "area_unit": "sao",
    "yield": "11",
    "yield_unit": "ta",
    "days": "105",
    "water": "continuous",
    "urea": "1",
    "urea_unit": "bao",
    "npk16168": "2",
    "npk16168_unit": "bao",
    "residue": "incorporated_short",
    "residue_amount": "1",
    "residue_unit": "t",
    "pump_diesel": "6",
    "diesel": "8",
}
# The same season written by hand in the units of §10: 5 × 360 m² = 0.18 ha, 1,100 kg,
# 50 kg urea (23 kg N) + 100 kg NPK 16-16-8 (16 kg N), 1 t straw / 0.18 ha, 14 L diesel.
RICE_DOCUMENT = {
    "crop": "rice",
    "area_ha": 0.18,
    "yield_kg": 1100,
    "cultivation_days": 105,
    "water_regime": "continuous",
    "preseason": "nonflooded_short",
    "synthetic_n_kg": 39,
    "urea_kg": 50,
    "organic": [{"kind": "straw_short", "t_ha": 1 / 0.18}],
    "diesel_l": 14,
}
# Two công Nam Bộ of vegetables: a bag of DAP, manure's N, 400 kg of residues returned (their
# N by the catalogue's residue_n_pct), petrol and a little grid electricity.
VEGETABLE_IN_CONG = {
    "crop": "vegetable",
    "area": "2",
    "area_unit": "cong",
    "yield": "3,5",
    "yield_unit": "t",
    "dap": "1",
    "dap_unit": "bao",
    "n_org": "12",
    "residue": "left",
    "residue_amount": "400",
    "residue_unit": "kg",
    "petrol": "6",
    "kwh": "55",
}


def cli(runner: FlaskCliRunner, document: dict[str, Any]) -> dict[str, Any]:
    printed = runner.invoke(args=["mrv", "calc", "-"], input=json.dumps(document))
    assert printed.exit_code == 0, printed.output
    return dict(json.loads(printed.output))


def same(found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal figures: the same code on the same input, within float rounding of the unit
    conversions (0.18 ha from 5 × 360 / 10,000 may differ in its last bit)."""
    for name in ("ch4_kg", "n2o_kg", "co2_kg", "total_kg_co2e", "per_ha_kg_co2e"):
        assert math.isclose(found[name], expected[name], rel_tol=1e-12), name
    assert found["methodology"] == expected["methodology"] == DEFAULT_ID
    assert found["factors"] == expected["factors"]


def test_a_rice_season_in_sao_and_bao_gives_the_figures_of_registry_mrv_calc(
    runner: FlaskCliRunner,
) -> None:
    outcome = service.calculate(service.read_entry(RICE_IN_SAO))
    same(dict(outcome.result), cli(runner, RICE_DOCUMENT))
    # and the document the page shows for the command is exactly what the command computes
    assert cli(runner, dict(outcome.document)) == json.loads(json.dumps(outcome.result))


def test_a_vegetable_cycle_in_cong_gives_the_figures_of_registry_mrv_calc(
    runner: FlaskCliRunner,
) -> None:
    n_pct = crops.catalogue()["vegetable"].residue_n_pct
    assert n_pct is not None
    document = {
        "crop": "vegetable",
        "area_ha": 0.2,
        "yield_kg": 3500,
        "synthetic_n_kg": 50 * 0.18,
        "organic_n_kg": 12,
        "residue_n_kg": 400 * n_pct / 100,
        "petrol_l": 6,
        "electricity_kwh": 55,
    }
    outcome = service.calculate(service.read_entry(VEGETABLE_IN_CONG))
    same(dict(outcome.result), cli(runner, document))
    assert "water_regime" not in outcome.document


def test_an_orchard_shows_its_uptake_beside_the_emissions_never_netted(
    runner: FlaskCliRunner,
) -> None:
    entry = service.read_entry(
        {
            "crop": "longan",
            "area": "1",
            "yield": "12",
            "yield_unit": "t",
            "tree_age": "6",
            "urea": "2",
            "urea_unit": "bao",
            "residue": "burned",
            "residue_amount": "1.5",
        }
    )
    outcome = service.calculate(entry)
    expected = cli(
        runner,
        {
            "crop": "longan",
            "area_ha": 1,
            "yield_kg": 12000,
            "tree_age_years": 6,
            "synthetic_n_kg": 46,
            "urea_kg": 100,
            "residue_burned_t": 1.5,
            "climate": "tropical_moist",
        },
    )
    same(dict(outcome.result), expected)
    assert outcome.result["removals_kg_co2"] > 0
    assert outcome.result["per_kg_product_g_co2e"] == pytest.approx(
        outcome.result["total_kg_co2e"] * 1000 / 12000
    )


@pytest.mark.parametrize(
    ("area", "unit", "ha"),
    [
        ("1", "ha", 1.0),
        ("1", "sao", 0.036),
        ("10", "cong", 1.0),
        ("360", "m2", 0.036),
        ("2,5", "sao", 0.09),
    ],
)
def test_areas_convert_from_sao_cong_and_m2(area: str, unit: str, ha: float) -> None:
    entry = service.read_entry({"crop": "maize", "area": area, "area_unit": unit, "yield": "1"})
    assert service.to_document(entry)["area_ha"] == pytest.approx(ha)


def test_bags_ta_and_tonnes_convert_to_kg_and_fertiliser_grades_to_n() -> None:
    entry = service.read_entry(
        {
            "crop": "maize",
            "area": "1",
            "yield": "45",
            "yield_unit": "ta",
            "urea": "3",
            "urea_unit": "bao",
            "npk201515": "100",
            "sa": "0.5",
            "sa_unit": "bao",
            "limestone": "2",
            "limestone_unit": "bao",
            "dolomite": "0.3",
            "dolomite_unit": "t",
            "n_syn": "4",
        }
    )
    document = service.to_document(entry)
    assert document["yield_kg"] == pytest.approx(4500)
    assert document["urea_kg"] == pytest.approx(150)  # urea counted as CO2 and as N
    assert document["synthetic_n_kg"] == pytest.approx(150 * 0.46 + 100 * 0.20 + 25 * 0.21 + 4)
    assert document["lime"] == pytest.approx({"limestone_t": 0.1, "dolomite_t": 0.3})
    assert units().mass_units["bao"]["kg"] == 50
    assert units().area_units["sao"]["m2"] == 360 and units().area_units["cong"]["m2"] == 1000


def test_the_comparisons_are_the_same_field_changed(runner: FlaskCliRunner) -> None:
    outcome = service.calculate(service.read_entry(RICE_IN_SAO))
    found = {c.what.code: c for c in outcome.comparisons}
    assert set(found) == {"awd", "residue_removed", "less_n", "electric_pump"}
    base = dict(outcome.document)
    changed = {
        "awd": {**base, "water_regime": "multiple_drainage"},
        "residue_removed": {**base, "organic": []},
        "less_n": {**base, "synthetic_n_kg": 39 * 0.8, "urea_kg": 40},
        "electric_pump": {**base, "diesel_l": 8, "electricity_kwh": 6 * 3.0},
    }
    for code, document in changed.items():
        expected = cli(runner, document)["total_kg_co2e"]
        assert found[code].result["total_kg_co2e"] == pytest.approx(expected, rel=1e-12), code
        delta = expected - outcome.result["total_kg_co2e"]
        assert found[code].change_kg_co2e == pytest.approx(delta, rel=1e-9)
        assert found[code].change_pct == pytest.approx(
            100 * delta / outcome.result["total_kg_co2e"]
        )
    # AWD cuts methane and raises N2O: both shown by the figures
    assert found["awd"].result["ch4_kg"] < outcome.result["ch4_kg"]
    assert found["awd"].result["n2o_kg"] > outcome.result["n2o_kg"]


def test_only_the_comparisons_that_apply_are_offered() -> None:
    vegetable = service.calculate(service.read_entry(VEGETABLE_IN_CONG))
    assert {c.what.code for c in vegetable.comparisons} == {"residue_removed", "less_n"}
    plain = service.calculate(
        service.read_entry(
            {
                "crop": "rice",
                "area": "1",
                "yield": "5000",
                "days": "100",
                "water": "multiple_drainage",
            }
        )
    )
    assert plain.comparisons == ()


def test_the_breakdown_adds_up_to_the_total() -> None:
    for entry in (RICE_IN_SAO, VEGETABLE_IN_CONG):
        outcome = service.calculate(service.read_entry(entry))
        assert sum(r.kg_co2e for r in outcome.rows) == pytest.approx(
            outcome.result["total_kg_co2e"], rel=1e-12
        )
        assert {r.gas for r in outcome.rows} == {"CH₄", "N₂O", "CO₂"}


def test_every_crop_of_the_methodology_is_offered_with_the_fields_its_kind_takes() -> None:
    methodology = load_methodology(DEFAULT_ID)
    assert [c.code for c in service.crop_choices()] == list(methodology.crops)
    for crop in methodology.crops:
        kind = service.kind_of(crop)
        assert service.takes(kind, "water") == (kind == "rice")
        assert service.takes(kind, "tree_age") == (kind == "perennial")
        assert service.takes(kind, "compost") == (kind == "rice")
        assert service.takes(kind, "urea") and service.takes(kind, "pump_diesel")
        assert service.handling(kind)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"area": "-1"}, "area"),
        ({"area": "abc"}, "area"),
        ({"area": "nan"}, "area"),
        ({"area_unit": "mẫu"}, "area_unit"),
        ({"urea": "1e999"}, "urea"),
        ({"urea_unit": "sack"}, "urea_unit"),
        ({"days": "1.5"}, "days"),
        ({"days": "400"}, "days"),
        ({"water": "flooded"}, "water"),
        ({"residue": "left"}, "residue"),  # a vegetable's handling, not rice's
        ({"yield": "0"}, "yield"),  # rice is harvested in its season
        ({"water": ""}, "water"),  # left blank: rice needs its water regime
    ],
)
def test_bad_entries_are_refused_beside_their_field(given: dict[str, str], field: str) -> None:
    entry = {**RICE_IN_SAO, **given}
    with pytest.raises(service.EntryProblems) as refused:
        service.calculate(service.read_entry(entry))
    assert list(refused.value.errors) == [field]
    assert all(isinstance(m, str) and m for m in refused.value.errors[field])


def test_a_units_file_without_sources_is_refused(tmp_path: Path) -> None:
    document = json.loads(FILE.read_text(encoding="utf-8"))
    del document["fertilisers"]["urea"]["source"]
    broken = tmp_path / "units.json"
    broken.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UnitsError, match="urea: has no source"):
        units(broken)
