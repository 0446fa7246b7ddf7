"""DESIGN §10b, `ipcc2019-t1-crops` version 1: every crop, energy and lime, orchards with
their removals. Each expected figure is worked out here by hand from the factors as §10b
writes them, not by calling the calculator, and each vector goes through the CLI
(`registry mrv calc`) and the API, which must print the same result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner

# §10b factors, written out (Table 11.1 wet climate, Table 11.3, Eq. 11.12, Eq. 11.13,
# Tables 2.5/2.6, 2006 Vol 2 Tables 1.2 and 3.3.1, the 2023 grid factor, Table 5.1 moist)
EF1_SYN, EF1_OTHER = 0.016, 0.006
FRAC_GASF, FRAC_GASM, EF4, FRAC_LEACH, EF5 = 0.11, 0.21, 0.014, 0.24, 0.011
N2O_PER_N, CO2_PER_C = 44 / 28, 44 / 12
UREA_C = 0.20
CF, CH4_G_PER_KG, N2O_G_PER_KG = 0.80, 2.7, 0.07
LIMESTONE_C, DOLOMITE_C = 0.12, 0.13
DIESEL_TJ_PER_L = 0.84 * 43.0 / 1e6  # 3.612e-5 TJ/L
DIESEL_CO2, DIESEL_CH4, DIESEL_N2O = 74_100, 4.15, 28.6  # kg/TJ
PETROL_TJ_PER_L = 0.74 * 44.3 / 1e6
PETROL_CO2, PETROL_CH4, PETROL_N2O = 69_300, 80, 2
GRID_KG_PER_KWH = 0.6592
G, CYCLE, L = 2.6, 8, 21  # tropical moist: t C/ha/yr, years, t C/ha
GWP_CH4, GWP_N2O = 28, 265  # AR5
REL = 1e-12


def cli(runner: FlaskCliRunner, document: Any) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(args=["mrv", "calc", "-"], input=json.dumps(document))
    return result.exit_code, json.loads(result.output)


# ------------------------------------------------------------------- the hand-worked vectors
VEGETABLE = {  # a cabbage cycle in Hà Đông: NPK, manure, leaves left, a petrol tiller
    "crop": "vegetable",
    "area_ha": 0.4,
    "synthetic_n_kg": 48,
    "organic_n_kg": 30,
    "residue_n_kg": 6,
    "urea_kg": 60,
    "petrol_l": 15,
    "yield_kg": 9000,
}
petrol_tj = 15 * PETROL_TJ_PER_L
VEGETABLE_OUT = {
    "ch4_kg": petrol_tj * PETROL_CH4,
    "n2o_kg": N2O_PER_N
    * (
        48 * EF1_SYN
        + (30 + 6) * EF1_OTHER
        + (48 * FRAC_GASF + 30 * FRAC_GASM) * EF4
        + (48 + 30 + 6) * FRAC_LEACH * EF5
    )
    + petrol_tj * PETROL_N2O,
    "co2_kg": 60 * UREA_C * CO2_PER_C + petrol_tj * PETROL_CO2,
    "removals_kg_co2": 0.0,
    "co2_lime_kg": 0.0,
    "energy_kg_co2e": petrol_tj * (PETROL_CO2 + PETROL_CH4 * GWP_CH4 + PETROL_N2O * GWP_N2O),
    "co2_biomass_loss_kg": 0.0,
    "check_total": 649.06330,  # worked on paper: 78.0769 + 0.03934 × 28 + 2.15051 × 265
}

MAIZE = {  # Cần Thơ maize: urea, residues, lime, 3 t of stalks burned, diesel for the tractor
    "crop": "maize",
    "area_ha": 1.0,
    "synthetic_n_kg": 150,
    "urea_kg": 200,
    "residue_n_kg": 25,
    "lime": {"limestone_t": 0.5, "dolomite_t": 0.2},
    "residue_burned_t": 3,
    "diesel_l": 40,
    "yield_kg": 6000,
}
diesel_tj = 40 * DIESEL_TJ_PER_L
combusted = 3 * 1000 * CF
MAIZE_OUT = {
    "ch4_kg": combusted * CH4_G_PER_KG / 1000 + diesel_tj * DIESEL_CH4,
    "n2o_kg": N2O_PER_N
    * (150 * EF1_SYN + 25 * EF1_OTHER + 150 * FRAC_GASF * EF4 + (150 + 25) * FRAC_LEACH * EF5)
    + combusted * N2O_G_PER_KG / 1000
    + diesel_tj * DIESEL_N2O,
    "co2_kg": 200 * UREA_C * CO2_PER_C
    + (0.5 * LIMESTONE_C + 0.2 * DOLOMITE_C) * 1000 * CO2_PER_C
    + diesel_tj * DIESEL_CO2,
    "removals_kg_co2": 0.0,
    "co2_lime_kg": (0.5 * 0.12 + 0.2 * 0.13) * 1000 * 44 / 12,  # 315.33 kg
    "energy_kg_co2e": diesel_tj * (DIESEL_CO2 + DIESEL_CH4 * GWP_CH4 + DIESEL_N2O * GWP_N2O),
    "co2_biomass_loss_kg": 0.0,
    "check_total": 2156.61556,
}

FLOWER = {  # Hà Đông flowers under lights and a grid-powered pump
    "crop": "flower",
    "area_ha": 0.3,
    "synthetic_n_kg": 40,
    "organic_n_kg": 15,
    "electricity_kwh": 1200,
    "yield_kg": 2500,
}
FLOWER_OUT = {
    "ch4_kg": 0.0,
    "n2o_kg": N2O_PER_N
    * (
        40 * EF1_SYN
        + 15 * EF1_OTHER
        + (40 * FRAC_GASF + 15 * FRAC_GASM) * EF4
        + (40 + 15) * FRAC_LEACH * EF5
    ),
    "co2_kg": 1200 * GRID_KG_PER_KWH,  # 791.04 kg
    "removals_kg_co2": 0.0,
    "co2_lime_kg": 0.0,
    "energy_kg_co2e": 1200 * GRID_KG_PER_KWH,
    "co2_biomass_loss_kg": 0.0,
    "check_total": 1199.51479,
}

YOUNG_ORCHARD = {  # Đồ Sơn longan planted two years ago: manure, no harvest yet
    "crop": "longan",
    "area_ha": 1.2,
    "tree_age_years": 2,
    "synthetic_n_kg": 30,
    "organic_n_kg": 50,
    "yield_kg": 0,
}
YOUNG_ORCHARD_OUT = {
    "ch4_kg": 0.0,
    "n2o_kg": N2O_PER_N
    * (
        30 * EF1_SYN
        + 50 * EF1_OTHER
        + (30 * FRAC_GASF + 50 * FRAC_GASM) * EF4
        + (30 + 50) * FRAC_LEACH * EF5
    ),
    "co2_kg": 0.0,
    "removals_kg_co2": 1.2 * G * 1000 * CO2_PER_C,  # 11,440 kg: 2 years < 8-year cycle
    "co2_lime_kg": 0.0,
    "energy_kg_co2e": 0.0,
    "co2_biomass_loss_kg": 0.0,
    "check_total": None,  # per kg: nothing harvested
}

MATURE_ORCHARD = {  # a 12-year-old orchard, half a hectare of old trees cut, lime, diesel
    "crop": "fruit_tree",
    "area_ha": 2.0,
    "tree_age_years": 12,
    "removed_area_ha": 0.5,
    "synthetic_n_kg": 100,
    "lime": {"limestone_t": 1.0},
    "diesel_l": 25,
    "yield_kg": 15000,
}
orchard_diesel_tj = 25 * DIESEL_TJ_PER_L
MATURE_ORCHARD_OUT = {
    "ch4_kg": orchard_diesel_tj * DIESEL_CH4,
    "n2o_kg": N2O_PER_N * (100 * EF1_SYN + 100 * FRAC_GASF * EF4 + 100 * FRAC_LEACH * EF5)
    + orchard_diesel_tj * DIESEL_N2O,
    "co2_kg": 1.0 * LIMESTONE_C * 1000 * CO2_PER_C
    + orchard_diesel_tj * DIESEL_CO2
    + 0.5 * min(G * 12, L) * 1000 * CO2_PER_C,  # the loss: 0.5 ha × 21 t C/ha = 38,500 kg
    "removals_kg_co2": 0.0,  # 12 years ≥ the 8-year cycle: no more uptake
    "co2_lime_kg": 1.0 * LIMESTONE_C * 1000 * CO2_PER_C,
    "energy_kg_co2e": orchard_diesel_tj
    * (DIESEL_CO2 + DIESEL_CH4 * GWP_CH4 + DIESEL_N2O * GWP_N2O),
    "co2_biomass_loss_kg": 38_500.0,
    "check_total": None,
}

RICE_PUMPED = {  # the AWD season of §10 with diesel for land preparation and a grid pump
    "area_ha": 1.5,
    "cultivation_days": 95,
    "water_regime": "multiple_drainage",
    "preseason": "nonflooded_short",
    "synthetic_n_kg": 150,
    "urea_kg": 200,
    "diesel_l": 30,
    "electricity_kwh": 400,
    "yield_kg": 6500,
}
rice_diesel_tj = 30 * DIESEL_TJ_PER_L
RICE_PUMPED_OUT = {
    # EFc 1.22 × SFw 0.55 × SFp 1 × SFo 1 × 95 days × 1.5 ha, plus the diesel's CH4
    "ch4_kg": 1.22 * 0.55 * 95 * 1.5 + rice_diesel_tj * DIESEL_CH4,
    # EF1 0.005 for drained fields (Table 11.1 EF1FR), as §10
    "n2o_kg": N2O_PER_N * (150 * 0.005 + 150 * FRAC_GASF * EF4 + 150 * FRAC_LEACH * EF5)
    + rice_diesel_tj * DIESEL_N2O,
    "co2_kg": 200 * UREA_C * CO2_PER_C + rice_diesel_tj * DIESEL_CO2 + 400 * GRID_KG_PER_KWH,
    "removals_kg_co2": 0.0,
    "co2_lime_kg": 0.0,
    "energy_kg_co2e": rice_diesel_tj * (DIESEL_CO2 + DIESEL_CH4 * GWP_CH4 + DIESEL_N2O * GWP_N2O)
    + 400 * GRID_KG_PER_KWH,
    "co2_biomass_loss_kg": 0.0,
    "check_total": None,
}

VECTORS = {
    "vegetable cycle": (VEGETABLE, VEGETABLE_OUT, "annual"),
    "maize with lime and burning": (MAIZE, MAIZE_OUT, "annual"),
    "flowers on grid power": (FLOWER, FLOWER_OUT, "annual"),
    "young orchard, no harvest": (YOUNG_ORCHARD, YOUNG_ORCHARD_OUT, "perennial"),
    "mature orchard, trees cut": (MATURE_ORCHARD, MATURE_ORCHARD_OUT, "perennial"),
    "rice with diesel and pumping": (RICE_PUMPED, RICE_PUMPED_OUT, "rice"),
}


def assert_vector(out: dict[str, Any], document: dict[str, Any], want: dict[str, Any]) -> None:
    total = want["co2_kg"] + want["ch4_kg"] * GWP_CH4 + want["n2o_kg"] * GWP_N2O
    for name in ("ch4_kg", "n2o_kg", "co2_kg", "removals_kg_co2"):
        assert out[name] == pytest.approx(want[name], rel=REL, abs=1e-12), name
    for name in ("co2_lime_kg", "energy_kg_co2e", "co2_biomass_loss_kg"):
        assert out["breakdown"][name] == pytest.approx(want[name], rel=REL, abs=1e-12), name
    assert out["total_kg_co2e"] == pytest.approx(total, rel=REL)
    assert out["per_ha_kg_co2e"] == pytest.approx(total / document["area_ha"], rel=REL)
    assert out["net_kg_co2e"] == pytest.approx(total - want["removals_kg_co2"], rel=REL)
    if document["yield_kg"]:
        per_kg = total * 1000 / document["yield_kg"]
        assert out["per_kg_product_g_co2e"] == pytest.approx(per_kg, rel=REL)
    else:
        assert out["per_kg_product_g_co2e"] is None
    if want["check_total"] is not None:
        assert out["total_kg_co2e"] == pytest.approx(want["check_total"], abs=1e-4)


@pytest.mark.parametrize("name", list(VECTORS))
def test_each_crop_kind_by_hand_through_the_cli_and_the_api(
    name: str, runner: FlaskCliRunner, client: FlaskClient
) -> None:
    document, want, kind = VECTORS[name]
    status, printed = cli(runner, document)
    assert status == 0, printed
    assert_vector(printed, document, want)
    assert (printed["crop"], printed["crop_kind"]) == (document.get("crop", "rice"), kind)
    assert (printed["methodology"], printed["version"]) == ("ipcc2019-t1-crops", 1)
    response = client.post("/api/v1/mrv/calc", json=document)
    assert response.status_code == 200
    assert response.json == printed  # the same code, the same numbers


def test_factors_are_reported_where_used_with_their_sources(runner: FlaskCliRunner) -> None:
    factors = cli(runner, RICE_PUMPED)[1]["factors"]
    assert factors["grid_ef"]["value"] == GRID_KG_PER_KWH
    assert "Biến đổi khí hậu" in factors["grid_ef"]["source"]
    assert "secondary_source" in factors["grid_ef"]  # the announcement itself was not read
    assert "Table 3.3.1" in factors["diesel_ef_co2"]["source"]
    assert "Table 1.2" in factors["diesel_ncv"]["source"]
    assert not any(name.startswith("petrol_") for name in factors)  # no petrol used
    orchard = cli(runner, MATURE_ORCHARD)[1]["factors"]
    for name, value in (("perennial_g", G), ("perennial_cycle", CYCLE), ("perennial_l", L)):
        assert orchard[name]["value"] == value
        assert "Table 5.1" in orchard[name]["source"]
        assert "tropical, moist" in orchard[name]["source"]
    assert orchard["lime_ef_limestone"]["value"] == LIMESTONE_C
    assert "Eq. 11.12" in orchard["lime_ef_limestone"]["source"]
    assert "lime_ef_dolomite" not in orchard
    wet = cli(runner, {**MATURE_ORCHARD, "climate": "tropical_wet", "tree_age_years": 3})[1]
    assert wet["factors"]["perennial_g"]["value"] == 10.0
    assert wet["removals_kg_co2"] == pytest.approx(1.5 * 10.0 * 1000 * CO2_PER_C, rel=REL)
    maize = cli(runner, MAIZE)[1]["factors"]
    assert maize["ef1_synthetic"]["value"] == EF1_SYN and maize["ef1_other"]["value"] == EF1_OTHER
    assert "maize" in maize["burning_cf"]["source"] and "Table 2.6" in maize["burning_cf"]["source"]


def test_a_young_orchard_cut_loses_what_it_had_grown(runner: FlaskCliRunner) -> None:
    """Trees cut at 5 years lose G × 5 = 13 t C/ha, less than L: min(G × age, L)."""
    young_cut = {**MATURE_ORCHARD, "tree_age_years": 5, "removed_area_ha": 2.0}
    out = cli(runner, young_cut)[1]
    assert out["breakdown"]["co2_biomass_loss_kg"] == pytest.approx(
        2.0 * 2.6 * 5 * 1000 * 44 / 12, rel=REL
    )
    assert out["removals_kg_co2"] == 0.0  # every tree cut: none left to grow


def test_a_baseline_is_the_same_crop_in_2020(runner: FlaskCliRunner) -> None:
    baseline = {**VEGETABLE, "synthetic_n_kg": 96, "petrol_l": 30, "yield_kg": 8000}
    del baseline["crop"]  # the season's crop, as its methodology and GWP set
    out = cli(runner, {**VEGETABLE, "baseline": baseline})[1]
    base = out["baseline"]
    assert base["crop"] == "vegetable" and base["crop_kind"] == "annual"
    assert out["reduction_pct"] == pytest.approx(
        100 * (1 - out["per_kg_product_g_co2e"] / base["per_kg_product_g_co2e"]), rel=REL
    )
    assert out["reduction_pct"] > 0
    orchard = cli(runner, {**YOUNG_ORCHARD, "baseline": {**YOUNG_ORCHARD, "tree_age_years": 0}})
    assert orchard[0] == 0
    assert orchard[1]["reduction_pct"] is None  # no harvest, no figure per kg
    assert orchard[1]["reduction_per_ha_pct"] is not None


# ------------------------------------------------------------------- bad inputs, field errors
RICE_ONLY_ON_MAIZE = "Only for rice."
BAD = [
    ({**VEGETABLE, "crop": "durian"}, {"crop"}),
    ({**VEGETABLE, "crop": ""}, {"crop"}),
    ({**VEGETABLE, "water_regime": "continuous"}, {"water_regime"}),
    ({**MAIZE, "cultivation_days": 100}, {"cultivation_days"}),
    ({**MAIZE, "preseason": "nonflooded_short"}, {"preseason"}),
    ({**FLOWER, "organic": []}, {"organic"}),
    ({**FLOWER, "straw_burned_t": 1}, {"straw_burned_t"}),
    (
        {**YOUNG_ORCHARD, "water_regime": "upland", "cultivation_days": 200},
        {"water_regime", "cultivation_days"},
    ),
    ({**MAIZE, "tree_age_years": 3}, {"tree_age_years"}),
    ({**VEGETABLE, "removed_area_ha": 0.1}, {"removed_area_ha"}),
    ({**RICE_PUMPED, "climate": "tropical_moist"}, {"climate"}),
    ({**RICE_PUMPED, "residue_burned_t": 2}, {"residue_burned_t"}),
    ({**RICE_PUMPED, "residue_n_kg": 2}, {"residue_n_kg"}),
    ({**VEGETABLE, "diesel_l": -1}, {"diesel_l"}),
    ({**VEGETABLE, "petrol_l": -0.5}, {"petrol_l"}),
    ({**FLOWER, "electricity_kwh": -5}, {"electricity_kwh"}),
    ({**MAIZE, "lime": {"limestone_t": -1}}, {"lime"}),
    ({**MAIZE, "lime": {"chalk_t": 1}}, {"lime"}),
    ({**MAIZE, "residue_n_kg": -3}, {"residue_n_kg"}),
    ({**MAIZE, "residue_burned_t": -3}, {"residue_burned_t"}),
    ({**MATURE_ORCHARD, "removed_area_ha": 2.5}, {"removed_area_ha"}),
    ({**MATURE_ORCHARD, "removed_area_ha": -0.1}, {"removed_area_ha"}),
    ({k: v for k, v in YOUNG_ORCHARD.items() if k != "tree_age_years"}, {"tree_age_years"}),
    ({**YOUNG_ORCHARD, "tree_age_years": 151}, {"tree_age_years"}),
    ({**YOUNG_ORCHARD, "tree_age_years": -1}, {"tree_age_years"}),
    ({**YOUNG_ORCHARD, "tree_age_years": 2.5}, {"tree_age_years"}),
    ({**YOUNG_ORCHARD, "tree_age_years": None}, {"tree_age_years"}),
    ({**YOUNG_ORCHARD, "climate": "temperate"}, {"climate"}),
    ({**YOUNG_ORCHARD, "yield_kg": -1}, {"yield_kg"}),
    ({**VEGETABLE, "yield_kg": 0}, {"yield_kg"}),
    ({**RICE_PUMPED, "yield_kg": 0}, {"yield_kg"}),
    ({k: v for k, v in RICE_PUMPED.items() if k != "water_regime"}, {"water_regime"}),
    ({**RICE_PUMPED, "methodology": "ipcc2019-t1-rice"}, {"diesel_l", "electricity_kwh"}),
    ({**VEGETABLE, "methodology": "ipcc2019-t1-rice"}, {"crop"}),
    ({**VEGETABLE, "baseline": {**VEGETABLE, "crop": "maize"}}, {"baseline"}),
    ({**VEGETABLE, "baseline": {**VEGETABLE, "tree_age_years": 4}}, {"baseline"}),
]


@pytest.mark.parametrize(("document", "fields"), BAD)
def test_every_bad_input_exits_2_with_field_errors(
    document: dict[str, Any], fields: set[str], runner: FlaskCliRunner, client: FlaskClient
) -> None:
    result = runner.invoke(args=["mrv", "calc", "-"], input=json.dumps(document))
    assert result.exit_code == 2
    printed = json.loads(result.output)
    assert set(printed) == {"errors"}
    assert set(printed["errors"]) == fields
    response = client.post("/api/v1/mrv/calc", json=document)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == fields


def test_refusals_say_why(runner: FlaskCliRunner) -> None:
    errors = cli(runner, {**MAIZE, "cultivation_days": 100, "tree_age_years": 3})[1]["errors"]
    assert errors == {
        "cultivation_days": [RICE_ONLY_ON_MAIZE],
        "tree_age_years": ["Only for perennial crops (orchards)."],
    }
    unknown = cli(runner, {**VEGETABLE, "crop": "durian"})[1]["errors"]
    assert unknown == {
        "crop": ["Unknown crop. Known: flower, fruit_tree, longan, maize, pomelo, rice, vegetable."]
    }
    cut = cli(runner, {**MATURE_ORCHARD, "removed_area_ha": 2.5})[1]["errors"]
    assert cut == {"removed_area_ha": ["Must be at most the field's area (area_ha)."]}
    missing = {k: v for k, v in YOUNG_ORCHARD.items() if k != "tree_age_years"}
    assert cli(runner, missing)[1]["errors"] == {
        "tree_age_years": ["Missing data for required field."]
    }
    assert cli(runner, {**VEGETABLE, "yield_kg": 0})[1]["errors"] == {
        "yield_kg": ["Must be more than 0 and at most 100000000."]
    }
    frozen = cli(runner, {**RICE_PUMPED, "methodology": "ipcc2019-t1-rice"})[1]["errors"]
    assert frozen["diesel_l"] == [
        "Methodology ipcc2019-t1-rice does not take this field; methodology ipcc2019-t1-crops does."
    ]
