"""§10b properties over generated documents: orchards' removals are never negative and stop
once the trees pass their cycle; rice without energy or lime gives the same figures under
`ipcc2019-t1-crops` as under the frozen `ipcc2019-t1-rice`; `quick_load` loads §10b documents
exactly as the schema does, or leaves them to it."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.verify.calc_schema import calc_from_json, load_input, quick_load
from registry.verify.methodology import (
    CLIMATES,
    ORGANIC_KINDS,
    PRESEASONS,
    WATER_REGIMES,
    load_methodology,
)

CROPS = load_methodology("ipcc2019-t1-crops", 1)
CYCLE = {zone: CROPS.perennial(zone, "cycle").value for zone in CLIMATES}


@st.composite
def orchards(draw: st.DrawFn) -> dict[str, Any]:
    area = draw(st.floats(0.01, 500))
    document: dict[str, Any] = {
        "crop": draw(st.sampled_from(["fruit_tree", "longan", "pomelo"])),
        "area_ha": area,
        "tree_age_years": draw(st.integers(0, 150)),
        "removed_area_ha": draw(st.sampled_from([0.0, area, area / 3]) | st.floats(0, area)),
        "synthetic_n_kg": draw(st.floats(0, 1e4)),
        "yield_kg": draw(st.sampled_from([0.0, 1.0]) | st.floats(0.001, 1e6)),
    }
    if draw(st.booleans()):
        document["climate"] = draw(st.sampled_from(CLIMATES))
    return document


@given(orchards())
def test_removals_are_never_negative_and_stop_once_the_trees_pass_the_cycle(
    document: dict[str, Any],
) -> None:
    out = calc_from_json(document)
    cycle = CYCLE[document.get("climate", "tropical_moist")]
    assert out["removals_kg_co2"] >= 0
    assert out["breakdown"]["co2_biomass_loss_kg"] >= 0
    if document["tree_age_years"] >= cycle:
        assert out["removals_kg_co2"] == 0
    elif document["removed_area_ha"] < document["area_ha"]:
        assert out["removals_kg_co2"] > 0
    assert out["net_kg_co2e"] == out["total_kg_co2e"] - out["removals_kg_co2"]
    if document["yield_kg"] == 0:
        assert out["per_kg_product_g_co2e"] is None


RICE = {
    "area_ha": st.floats(0.01, 50),
    "cultivation_days": st.integers(1, 365),
    "water_regime": st.sampled_from(WATER_REGIMES),
    "preseason": st.sampled_from(PRESEASONS),
    "yield_kg": st.floats(1, 1e5),
    "organic": st.lists(
        st.fixed_dictionaries({"kind": st.sampled_from(ORGANIC_KINDS), "t_ha": st.floats(0, 30)}),
        max_size=3,
    ),
    "synthetic_n_kg": st.floats(0, 1e3),
    "organic_n_kg": st.floats(0, 1e3),
    "urea_kg": st.floats(0, 1e3),
    "straw_burned_t": st.floats(0, 20),
}
FIGURES = (
    "ch4_kg",
    "n2o_kg",
    "co2_kg",
    "total_kg_co2e",
    "per_ha_kg_co2e",
    "per_kg_product_g_co2e",
)


@given(
    st.fixed_dictionaries(RICE),
    st.none() | st.fixed_dictionaries(RICE),
    st.sampled_from(["AR5", "AR6"]),
    st.sampled_from(["south_east_asia", "global"]),
)
def test_rice_without_energy_or_lime_has_the_same_figures_under_both(
    season: dict[str, Any], baseline: dict[str, Any] | None, gwp: str, region: str
) -> None:
    document = {**season, "gwp": gwp, "region": region}
    if baseline is not None:
        document["baseline"] = baseline
    frozen = calc_from_json({**document, "methodology": "ipcc2019-t1-rice"})
    crops = calc_from_json({**document, "methodology": "ipcc2019-t1-crops"})
    for name in FIGURES:
        assert crops[name] == frozen[name], name  # bit for bit
    assert crops["reduction_pct"] == frozen["reduction_pct"]
    assert crops["reduction_per_ha_pct"] == frozen["reduction_per_ha_pct"]
    if baseline is not None:
        for name in FIGURES:
            assert crops["baseline"][name] == frozen["baseline"][name], name
    assert frozen["factors"].keys() == crops["factors"].keys()  # nothing more was used
    assert "crop" not in frozen and crops["crop"] == "rice" and crops["removals_kg_co2"] == 0


# ----------------------------------------------------- quick_load and the schema agree on §10b
ODD = st.sampled_from(["1.5", True, None, math.nan, -1, 0, 0.5, 2.5, 200, 10**400, [], {}])
ANY_CROP = {
    "crop": st.sampled_from(["vegetable", "maize", "flower", "fruit_tree", "longan", "rice", "x"]),
    "area_ha": st.floats(0.01, 50),
    "yield_kg": st.sampled_from([0.0, 1000.0]),
}
OPTIONAL = {
    "synthetic_n_kg": st.floats(0, 1e3),
    "residue_n_kg": st.floats(0, 1e3),
    "residue_burned_t": st.floats(0, 10),
    "lime": st.fixed_dictionaries({}, optional={"limestone_t": st.floats(0, 5)}),
    "diesel_l": st.floats(0, 100),
    "petrol_l": st.integers(0, 100),
    "electricity_kwh": st.floats(0, 1e4),
    "tree_age_years": st.integers(0, 150),
    "removed_area_ha": st.floats(0, 60),
    "climate": st.sampled_from([*CLIMATES, "polar"]),
    "cultivation_days": st.integers(1, 365),
    "water_regime": st.sampled_from(WATER_REGIMES),
    "preseason": st.sampled_from(PRESEASONS),
    "methodology": st.sampled_from(["ipcc2019-t1-crops", "ipcc2019-t1-rice", "other"]),
}


@st.composite
def crop_documents(draw: st.DrawFn, with_baseline: bool = True) -> dict[str, Any]:
    document = draw(st.fixed_dictionaries(ANY_CROP, optional=OPTIONAL))
    if with_baseline and draw(st.booleans()):
        document["baseline"] = draw(crop_documents(with_baseline=False))
    if draw(st.booleans()):
        document[draw(st.sampled_from(sorted(document)))] = draw(ODD)
    return document


@settings(max_examples=300)
@given(crop_documents())
def test_quick_load_gives_what_the_schema_loads_or_nothing(document: dict[str, Any]) -> None:
    quick = quick_load(document)
    if quick is not None:
        assert quick == load_input(document)


def test_quick_load_takes_plain_crop_documents() -> None:
    orchard = {
        "crop": "longan",
        "area_ha": 1.0,
        "tree_age_years": 4,
        "lime": {"dolomite_t": 0.3},
        "yield_kg": 0,
        "baseline": {"area_ha": 1.0, "tree_age_years": 0, "yield_kg": 0},
    }
    quick = quick_load(orchard)
    assert quick is not None and quick == load_input(orchard)
    assert quick.baseline is not None and quick.baseline.crop == "longan"
    assert quick_load({**orchard, "water_regime": "upland"}) is None  # the schema explains
