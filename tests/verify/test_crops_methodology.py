"""The shipped `ipcc2019-t1-crops` version 1 file: §10b's factors with their units and
sources, rice's factors exactly those of `ipcc2019-t1-rice` version 1, the crops it names,
flags where a value was not read in its primary table; and the checks on such files."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry.verify.methodology import (
    CROPS_REQUIRED,
    DEFAULT_ID,
    FOLDER,
    REQUIRED,
    MethodologyError,
    load_methodology,
    parse,
)

CROPS = load_methodology("ipcc2019-t1-crops", 1)
RICE = load_methodology("ipcc2019-t1-rice", 1)
SHIPPED = FOLDER / "ipcc2019-t1-crops-v1.json"


def test_the_crops_methodology_is_the_default_and_names_its_crops() -> None:
    assert DEFAULT_ID == "ipcc2019-t1-crops" and load_methodology(DEFAULT_ID) == CROPS
    assert CROPS.covers_crops and not RICE.covers_crops
    assert {code: CROPS.kind(code) for code in ("rice", "vegetable", "maize", "flower")} == {
        "rice": "rice",
        "vegetable": "annual",
        "maize": "annual",
        "flower": "annual",
    }
    assert CROPS.kind("fruit_tree") == "perennial" and CROPS.kind("longan") == "perennial"
    assert RICE.crops == {"rice": "rice"} and RICE.kind("maize") is None


def test_rice_factors_are_those_of_the_frozen_rice_methodology() -> None:
    for key, factor in RICE.parameters.items():
        assert CROPS.parameters[key] == factor, key


@pytest.mark.parametrize(
    ("key", "value", "unit", "cited"),
    [
        ("ef1_nonrice.synthetic", 0.016, "kg N2O-N/kg N", "Table 11.1"),
        ("ef1_nonrice.other", 0.006, "kg N2O-N/kg N", "Table 11.1"),
        ("lime_ef.limestone", 0.12, "t C/t limestone (CaCO3)", "Eq. 11.12"),
        ("lime_ef.dolomite", 0.13, "t C/t dolomite (CaMg(CO3)2)", "Eq. 11.12"),
        ("residue_burning_cf", 0.8, "1", "Table 2.6"),
        ("fuel.diesel.density", 0.84, "kg/L", "density"),
        ("fuel.diesel.ncv", 43.0, "TJ/Gg", "Vol 2 ch 1 Table 1.2"),
        ("fuel.diesel.ef_co2", 74_100, "kg CO2/TJ", "Table 3.3.1"),
        ("fuel.diesel.ef_ch4", 4.15, "kg CH4/TJ", "Table 3.3.1"),
        ("fuel.diesel.ef_n2o", 28.6, "kg N2O/TJ", "Table 3.3.1"),
        ("fuel.petrol.density", 0.74, "kg/L", "density"),
        ("fuel.petrol.ncv", 44.3, "TJ/Gg", "Vol 2 ch 1 Table 1.2"),
        ("fuel.petrol.ef_co2", 69_300, "kg CO2/TJ", "4-stroke"),
        ("fuel.petrol.ef_ch4", 80, "kg CH4/TJ", "4-stroke"),
        ("fuel.petrol.ef_n2o", 2, "kg N2O/TJ", "4-stroke"),
        ("grid_ef", 0.6592, "kg CO2/kWh", "2023, 0.6592 t CO2/MWh, Công văn số 1726/BĐKH-PTCBT"),
        ("perennial.tropical_moist.g", 2.6, "t C/ha/yr", "2006 Guidelines Vol 4 ch 5 Table 5.1"),
        ("perennial.tropical_moist.cycle", 8, "yr", "Table 5.1"),
        ("perennial.tropical_moist.l", 21, "t C/ha", "Table 5.1"),
        ("perennial.tropical_wet.g", 10.0, "t C/ha/yr", "tropical, wet"),
        ("perennial.tropical_wet.cycle", 5, "yr", "tropical, wet"),
        ("perennial.tropical_wet.l", 50, "t C/ha", "tropical, wet"),
        ("perennial.tropical_dry.g", 1.8, "t C/ha/yr", "tropical, dry"),
        ("perennial.tropical_dry.cycle", 5, "yr", "tropical, dry"),
        ("perennial.tropical_dry.l", 9.0, "t C/ha", "tropical, dry"),
    ],
)
def test_each_section_10b_factor_has_its_value_unit_and_source(
    key: str, value: float, unit: str, cited: str
) -> None:
    factor = CROPS.parameters[key]
    assert (factor.value, factor.unit) == (value, unit)
    assert cited in factor.source


def test_diesel_energy_per_litre_is_section_10b_s() -> None:
    tj = CROPS.fuel("diesel", "density").value * CROPS.fuel("diesel", "ncv").value / 1e6
    assert tj == pytest.approx(3.612e-5, rel=1e-12)


def test_values_not_read_in_their_primary_table_are_flagged() -> None:
    flagged = {key for key, f in CROPS.parameters.items() if f.secondary_source}
    assert "grid_ef" in flagged
    assert {f"perennial.tropical_moist.{n}" for n in ("g", "cycle", "l")} <= flagged
    assert {"fuel.diesel.density", "fuel.petrol.density"} <= flagged
    assert {f"fuel.{f}.{g}" for f in ("diesel", "petrol") for g in ("ef_ch4", "ef_n2o")} <= flagged
    assert not any(f.secondary_source for f in RICE.parameters.values())
    assert "secondary_source" in CROPS.grid_ef.to_json()
    assert "secondary_source" not in RICE.urea_ef.to_json()


def document() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def broken(change: Any) -> dict[str, Any]:
    found = document()
    change(found)
    return found


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (broken(lambda d: d["crops"].update(durian="tree")), "kind"),
        (broken(lambda d: d["crops"].update({"Bad Code": "annual"})), "'Bad Code'"),
        (broken(lambda d: d.update(crops={})), "'crops'"),
        (broken(lambda d: d["parameters"].pop("grid_ef")), "grid_ef"),
        (broken(lambda d: d["parameters"]["perennial"].pop("tropical_dry")), "tropical_dry"),
        (
            broken(lambda d: d["parameters"]["grid_ef"].update(secondary_source=" ")),
            "secondary_source",
        ),
    ],
)
def test_a_broken_crops_file_is_refused(found: dict[str, Any], message: str) -> None:
    with pytest.raises(MethodologyError, match=message):
        parse(found, SHIPPED.name)


def test_a_file_naming_crops_needs_the_section_10b_parameters_too() -> None:
    assert set(REQUIRED) | set(CROPS_REQUIRED) <= set(CROPS.parameters)
    rice_with_crops = json.loads((FOLDER / "ipcc2019-t1-rice-v1.json").read_text())
    rice_with_crops["crops"] = {"rice": "rice"}
    with pytest.raises(MethodologyError, match="missing parameters"):
        parse(rice_with_crops, "ipcc2019-t1-rice-v1.json")
