"""Methodology files: the shipped one says what the shared IPCC reference says, every value
cites its source, and new versions or methodologies are files, not code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from registry.verify.calculator import (
    CO2_PER_C,
    N2O_PER_N2O_N,
    CalcInput,
    calculate,
)
from registry.verify.methodology import (
    FOLDER,
    GWP_SETS,
    ORGANIC_KINDS,
    PRESEASONS,
    REGIONS,
    REQUIRED,
    WATER_REGIMES,
    MethodologyError,
    UnknownMethodology,
    available,
    clear_cache,
    load_methodology,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
REFERENCE = json.loads((SHARED / "data" / "ipcc" / "rice-tier1-2019.json").read_text())
SHIPPED = FOLDER / "ipcc2019-t1-rice-v1.json"
M = load_methodology("ipcc2019-t1-rice", 1)
SEASON = CalcInput(
    area_ha=1.0,
    cultivation_days=100,
    water_regime="continuous",
    preseason="nonflooded_short",
    synthetic_n_kg=100.0,
    yield_kg=6_000.0,
)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """A methodology folder holding a copy of the shipped file."""
    (tmp_path / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    yield tmp_path
    clear_cache()


def shipped() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def write(folder: Path, name: str, document: dict[str, Any]) -> None:
    (folder / name).write_text(json.dumps(document), encoding="utf-8")


# ------------------------------------------------------------- the shipped file
def test_numbers_equal_the_shared_reference() -> None:
    ref = REFERENCE
    assert (M.id, M.version) == (ref["methodology"], ref["version"])
    for region in REGIONS:
        assert M.ef_c(region).value == ref["ef_c_kg_ch4_per_ha_day"][region]
    for regime in WATER_REGIMES:
        assert M.sf_w(regime).value == ref["sf_water_regime"][regime]
        for source in ("synthetic", "organic"):
            expected = ref["n2o"]["ef1_by_water_regime"][regime][source]
            assert M.ef1(regime, source).value == expected
    for preseason in PRESEASONS:
        assert M.sf_p(preseason).value == ref["sf_preseason"][preseason]
    for kind in ORGANIC_KINDS:
        assert M.cfoa(kind).value == ref["cfoa"][kind]
    assert "^0.59" in ref["cfoa"]["source"] and M.sf_o_exponent.value == 0.59
    n2o = ref["n2o"]
    assert M.frac_gasf.value == n2o["frac_gasf"]
    assert M.frac_gasm.value == n2o["frac_gasm"]
    assert M.ef4.value == n2o["ef4"]
    assert M.frac_leach.value == n2o["frac_leach"]
    assert M.ef5.value == n2o["ef5"]
    assert M.urea_ef.value == ref["urea"]["ef_t_c_per_t_urea"]
    assert M.burning_cf.value == ref["burning"]["cf_rice_residue"]
    assert M.burning_ef_ch4.value == ref["burning"]["ch4_g_per_kg_dm"]
    assert M.burning_ef_n2o.value == ref["burning"]["n2o_g_per_kg_dm"]
    for gwp_set in GWP_SETS:
        for gas in ("ch4", "n2o"):
            assert M.gwp(gwp_set, gas).value == ref["gwp100"][gwp_set][gas]
    assert N2O_PER_N2O_N == float(Fraction(n2o["n2o_n_to_n2o"]))
    assert CO2_PER_C == float(Fraction(ref["urea"]["c_to_co2"]))
    assert M.sf_s_r.value == 1.0  # §10: soil-type and cultivar scaling factors 1


def test_vocabularies_are_the_reference_ones() -> None:
    assert set(REGIONS) == set(REFERENCE["ef_c_kg_ch4_per_ha_day"]) - {"source"}
    assert set(WATER_REGIMES) == set(REFERENCE["sf_water_regime"]) - {"source"}
    assert set(WATER_REGIMES) == set(REFERENCE["n2o"]["ef1_by_water_regime"])
    assert set(PRESEASONS) == set(REFERENCE["sf_preseason"]) - {"source"}
    assert set(ORGANIC_KINDS) == set(REFERENCE["cfoa"]) - {"source"}
    assert set(GWP_SETS) == set(REFERENCE["gwp100"]) - {"source"}


@pytest.mark.parametrize(
    ("prefix", "table"),
    [
        ("ef_c.", "Table 5.11"),
        ("sf_w.", "Table 5.12"),
        ("sf_p.", "Table 5.13"),
        ("cfoa.", "Table 5.14"),
        ("sf_o_exponent", "Eq. 5.3"),
        ("ef1.", "Table 11.1"),
        ("frac_", "Table 11.3"),
        ("ef4", "Table 11.3"),
        ("ef5", "Table 11.3"),
        ("urea_ef", "Eq. 11.13"),
        ("burning_cf", "Table 2.6"),
        ("burning_ef_", "Table 2.5"),
        ("gwp.AR5.", "AR5 WG1 ch 8 Table 8.7"),
        ("gwp.AR6.", "AR6 WG1 ch 7 Table 7.15"),
    ],
)
def test_each_value_cites_its_table(prefix: str, table: str) -> None:
    cited = [f for key, f in M.parameters.items() if key.startswith(prefix)]
    assert cited
    for factor in cited:
        assert table in factor.source, factor.key


def test_every_parameter_has_a_unit_and_a_source() -> None:
    assert set(REQUIRED) <= set(M.parameters)
    for key, factor in M.parameters.items():
        assert factor.key == key
        assert factor.source.strip(), key
        assert factor.unit.strip(), key
    assert M.title.strip() and M.source.strip()


def test_ar6_ch4_is_the_non_fossil_value() -> None:
    assert M.gwp("AR6", "ch4").value == 27.0
    assert "non-fossil" in M.gwp("AR6", "ch4").source


# ------------------------------------------------------------- loading
def test_available_lists_the_shipped_methodology() -> None:
    assert ("ipcc2019-t1-rice", 1) in available()


def test_latest_version_when_none_is_asked_for() -> None:
    latest = max(v for i, v in available() if i == "ipcc2019-t1-rice")
    assert load_methodology("ipcc2019-t1-rice").version == latest


def test_files_are_read_once() -> None:
    assert load_methodology("ipcc2019-t1-rice", 1) is load_methodology("ipcc2019-t1-rice", 1)


def test_unknown_id_is_a_clear_not_found() -> None:
    with pytest.raises(UnknownMethodology, match="no methodology nope") as caught:
        load_methodology("nope")
    assert caught.value.status == 404


def test_unknown_version_is_a_clear_not_found() -> None:
    with pytest.raises(UnknownMethodology, match="no version 99 of methodology ipcc2019-t1-rice"):
        load_methodology("ipcc2019-t1-rice", 99)


def test_accessors_name_a_missing_key() -> None:
    with pytest.raises(KeyError, match=r"sf_w\.swamp"):
        M.sf_w("swamp")


def test_a_second_version_is_picked_up_without_code_change(folder: Path) -> None:
    document = shipped()
    document["version"] = 2
    document["parameters"]["ef_c"]["south_east_asia"]["value"] = 1.30
    write(folder, "ipcc2019-t1-rice-v2.json", document)
    assert available(folder) == [("ipcc2019-t1-rice", 1), ("ipcc2019-t1-rice", 2)]
    latest = load_methodology("ipcc2019-t1-rice", folder=folder)
    assert latest.version == 2
    assert latest.ef_c("south_east_asia").value == 1.30
    first = load_methodology("ipcc2019-t1-rice", 1, folder=folder)
    assert first.ef_c("south_east_asia").value == 1.22
    ch4 = calculate(SEASON, latest).to_json()["ch4_kg"]
    assert ch4 == pytest.approx(1.30 * 1.00 * 1.00 * 1.0 * 100 * 1.0, rel=1e-9)
    assert calculate(SEASON, latest).to_json()["version"] == 2


def test_a_country_specific_tier2_methodology_is_a_new_file(folder: Path) -> None:
    document = shipped()
    document.update(id="vn-t2-rice", title="Vietnam Tier 2 (test)", source="a national study")
    document["parameters"]["ef_c"]["south_east_asia"] = {
        "value": 2.0,
        "unit": "kg CH4/ha/day",
        "source": "a measured Mekong Delta factor (test)",
    }
    write(folder, "vn-t2-rice-v1.json", document)
    vn = load_methodology("vn-t2-rice", folder=folder)
    result = calculate(replace(SEASON, methodology="vn-t2-rice"), vn).to_json()
    assert result["ch4_kg"] == pytest.approx(2.0 * 100 * 1.0, rel=1e-9)
    assert result["methodology"] == "vn-t2-rice"
    assert result["factors"]["ef_c"]["source"] == "a measured Mekong Delta factor (test)"


def _broken(change: Any) -> dict[str, Any]:
    document = shipped()
    change(document)
    return document


@pytest.mark.parametrize(
    ("name", "document", "message"),
    [
        ("ipcc2019-t1-rice-v2.json", _broken(lambda d: None), "holds ipcc2019-t1-rice version 1"),
        ("rice.json", _broken(lambda d: None), "named"),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["sf_w"].pop("upland")),
            "missing parameters sf_w.upland",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["gwp"].pop("AR6")),
            "gwp.AR6.ch4",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["ef4"].update(source=" ")),
            "ef4 must give its source",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["ef5"].pop("unit")),
            "ef5 must give its unit",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["ef5"].update(value=-0.1)),
            "ef5 must have a finite, non-negative number",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["ef5"].update(value="0.011")),
            "ef5 must have",
        ),
        (
            "ipcc2019-t1-rice-v1.json",
            _broken(lambda d: d["parameters"]["ef5"].update(value=True)),
            "ef5 must have",
        ),
        ("ipcc2019-t1-rice-v1.json", _broken(lambda d: d.update(version="1")), "version"),
        ("ipcc2019-t1-rice-v1.json", _broken(lambda d: d.pop("title")), "'title'"),
    ],
)
def test_malformed_files_are_refused_when_read(
    tmp_path: Path, name: str, document: dict[str, Any], message: str
) -> None:
    write(tmp_path, name, document)
    try:
        with pytest.raises(MethodologyError, match=message):
            available(tmp_path)
    finally:
        clear_cache()
