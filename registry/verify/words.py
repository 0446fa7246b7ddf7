"""What the MRV explanation calls each input, value and factor in the reader's words.

The calculator and the methodology files speak in codes (``yield_kg``, ``sf_w.upland``) that
auditors need; people need names, units and a phrase. The names live here as lazy gettext
strings rather than in the methodology JSON files so that `make extract` finds them and a
new methodology version (same parameter names, new values) needs no new translations.
The codes stay on the page as secondary detail."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from registry import crops
from registry.trace.labels import OPTION_LABELS

#: Input name -> (what it is, its unit or "").
INPUTS: dict[str, tuple[Any, str]] = {
    "area_ha": (_l("Field area"), "ha"),
    "cultivation_days": (_l("Cultivation period"), _l("days")),
    "yield_kg": (_l("Harvested paddy"), "kg"),
    "water_regime": (_l("Water regime"), ""),
    "preseason": (_l("Water before the season"), ""),
    "region": (_l("Region of the emission factor"), ""),
    "organic": (_l("Organic amendments"), "t/ha"),
    "synthetic_n_kg": (_l("Nitrogen from synthetic fertiliser"), "kg N"),
    "organic_n_kg": (_l("Nitrogen from organic fertiliser"), "kg N"),
    "urea_kg": (_l("Urea applied"), "kg"),
    "straw_burned_t": (_l("Straw burned"), "t"),
    "crop": (_l("Crop"), ""),
    "lime": (_l("Lime applied"), "t"),
    "limestone_t": (_l("Limestone"), "t"),
    "dolomite_t": (_l("Dolomite"), "t"),
    "diesel_l": (_l("Diesel"), "L"),
    "petrol_l": (_l("Petrol"), "L"),
    "electricity_kwh": (_l("Electricity from the grid"), "kWh"),
    "residue_n_kg": (_l("Nitrogen in crop residues left on the field"), "kg N"),
    "residue_burned_t": (_l("Crop residues burned"), "t"),
    "tree_age_years": (_l("Age of the trees at the start of the year"), _l("years")),
    "removed_area_ha": (_l("Area of trees cut and not replaced"), "ha"),
    "climate": (_l("Climate zone"), ""),
}

#: Coded input values (water regimes, pre-season water) in words.
VALUES: dict[str, Any] = {
    "continuous": _l("flooded throughout"),
    "single_drainage": _l("drained once"),
    "multiple_drainage": _l("drained several times (alternate wetting and drying)"),
    "rainfed_regular": _l("rain-fed, regularly flooded"),
    "rainfed_drought": _l("rain-fed, drought-prone"),
    "deep_water": _l("deep water"),
    "upland": _l("upland, never flooded"),
    "nonflooded_short": _l("not flooded for less than 180 days before"),
    "nonflooded_long": _l("not flooded for more than 180 days before"),
    "flooded_long": _l("flooded for more than 30 days before"),
    "nonflooded_over_year": _l("not flooded for over a year before"),
    "south_east_asia": _l("South-East Asia"),
    "global": _l("global default"),
    "tropical_moist": _l("tropical, moist"),
    "tropical_wet": _l("tropical, wet"),
    "tropical_dry": _l("tropical, dry"),
}

#: Factor name as the calculator records it (the part before any dot) -> its meaning.
FACTORS: dict[str, Any] = {
    "ef_c": _l("Daily methane from a continuously flooded field"),
    "sf_w": _l("Scaling for the water regime"),
    "sf_p": _l("Scaling for the water before the season"),
    "cfoa": _l("Conversion factor for the organic amendment"),
    "sf_o_exponent": _l("Exponent of the organic amendment scaling"),
    "sf_s_r": _l("Scaling for soil type and rice cultivar"),
    "ef1_synthetic": _l("Share of synthetic nitrogen lost as N₂O"),
    "ef1_organic": _l("Share of organic nitrogen lost as N₂O"),
    "frac_gasf": _l("Share of synthetic nitrogen that volatilises"),
    "frac_gasm": _l("Share of organic nitrogen that volatilises"),
    "ef4": _l("N₂O from volatilised nitrogen"),
    "frac_leach": _l("Share of nitrogen leached"),
    "ef5": _l("N₂O from leached nitrogen"),
    "n2o_per_n2o_n": _l("N₂O per N₂O-nitrogen (44/28)"),
    "urea_ef": _l("Carbon in urea"),
    "co2_per_c": _l("CO₂ per carbon (44/12)"),
    "burning_cf": _l("Share of straw or crop residues that burns"),
    "burning_ef_ch4": _l("Methane from burning straw or crop residues"),
    "burning_ef_n2o": _l("N₂O from burning straw or crop residues"),
    "gwp_ch4": _l("Warming power of methane against CO₂ (100 years)"),
    "gwp_n2o": _l("Warming power of N₂O against CO₂ (100 years)"),
    "ef1_other": _l("Share of organic and residue nitrogen lost as N₂O"),
    "lime_ef_limestone": _l("Carbon in limestone"),
    "lime_ef_dolomite": _l("Carbon in dolomite"),
    "diesel_density": _l("Density of diesel"),
    "diesel_ncv": _l("Energy in diesel"),
    "diesel_ef_co2": _l("CO₂ from burning diesel"),
    "diesel_ef_ch4": _l("Methane from burning diesel"),
    "diesel_ef_n2o": _l("N₂O from burning diesel"),
    "petrol_density": _l("Density of petrol"),
    "petrol_ncv": _l("Energy in petrol"),
    "petrol_ef_co2": _l("CO₂ from burning petrol"),
    "petrol_ef_ch4": _l("Methane from burning petrol"),
    "petrol_ef_n2o": _l("N₂O from burning petrol"),
    "grid_ef": _l("CO₂ per kWh of Vietnam's grid"),
    "perennial_g": _l("Carbon the trees take up each year"),
    "perennial_cycle": _l("Years the trees grow before they are mature"),
    "perennial_l": _l("Carbon in mature trees"),
}


def input_name(name: str, crop: str | None = None) -> str:
    """The input's name in words, the code itself when it has none yet; the harvest is
    named by the crop's harvested product (paddy, fresh vegetables, fresh longan…)."""
    if name == "yield_kg" and crop in crops.codes():
        return str(_l("Harvested %(product)s", product=crops.get(crop).product))
    return str(INPUTS.get(name, (name, ""))[0])


def input_unit(name: str) -> str:
    return str(INPUTS.get(name, (name, ""))[1])


def value_words(value: str) -> str:
    """A coded value in words: a water regime, a diary option, or a crop by its name."""
    if value not in VALUES and value not in OPTION_LABELS and value in crops.codes():
        return crops.get(value).name
    return str(VALUES.get(value, OPTION_LABELS.get(value, value)))


def factor_meaning(key: str) -> str:
    """Meaning of a factor by its calculator key; ``cfoa.straw_short`` reads as ``cfoa``."""
    return str(FACTORS.get(key, FACTORS.get(key.split(".")[0], key)))


def entry_words(entry: Any, kinds: dict[Any, Any]) -> str:
    """A diary entry's kind, or for water what was done: flooding or drainage."""
    event = (entry.data or {}).get("event")
    return str(OPTION_LABELS[event]) if event in OPTION_LABELS else str(kinds[entry.kind])
