"""The terms of DESIGN §10b that rice v1 did not have: N2O of non-flooded soils, residue
burning of annual and perennial crops, lime, farm energy, and the biomass carbon of
orchards. Each adds its gases and terms to a ``Sources``; the calculator sums them.

    N2O soils  = 44/28 × [ syn × EF1syn + (org + res) × EF1other       (Table 11.1, wet)
                           + (syn × FracGASF + org × FracGASM) × EF4
                           + (syn + org + res) × FracLEACH × EF5 ]      (Table 11.3)
    burning    = residue_burned_t × 1000 × Cf × EF / 1000               (ch 2, Eq. 2.27)
    CO2 lime   = (limestone_t × 0.12 + dolomite_t × 0.13) × 1000 × 44/12     (Eq. 11.12)
    fuel       = L × kg/L × NCV / 10⁶ = TJ; × kg CO2, CH4, N2O per TJ  (Vol 2 Tables 1.2, 3.3.1)
    power      = kWh × grid emission factor (kg CO2/kWh)
    removals   = (area − removed) × G × 1000 × 44/12 while age < cycle, else 0   (Table 5.1)
    tree loss  = removed × min(G × age, L) × 1000 × 44/12, counted in CO2

A factor is recorded only where it is used: a season without diesel shows no diesel
factors. Inputs are assumed valid (``calc_schema`` checks them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry.verify.methodology import DEFAULT_CLIMATE, FUELS, Methodology
from registry.verify.terms import (
    CO2_PER_C_FACTOR,
    N2O_PER_N2O_N_FACTOR,
    Sources,
    Used,
    n2o_terms,
    needed,
)

if TYPE_CHECKING:
    from registry.verify.calculator import CalcInput

KG_PER_GG = 1_000_000


def soils(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """Direct and indirect N2O from N applied to a non-flooded soil in a wet climate."""
    syn, org, res = inputs.synthetic_n_kg, inputs.organic_n_kg, inputs.residue_n_kg
    direct_n = syn * use("ef1_synthetic", m.ef1_nonrice("synthetic")) + (org + res) * use(
        "ef1_other", m.ef1_nonrice("other")
    )
    volatilised_n = (
        syn * use("frac_gasf", m.frac_gasf) + org * use("frac_gasm", m.frac_gasm)
    ) * use("ef4", m.ef4)
    leached_n = (syn + org + res) * use("frac_leach", m.frac_leach) * use("ef5", m.ef5)
    n2o_per_n = use("n2o_per_n2o_n", N2O_PER_N2O_N_FACTOR)
    n2o_soils = n2o_per_n * (direct_n + volatilised_n + leached_n)
    s.n2o += n2o_soils
    s.breakdown.update(
        {
            **n2o_terms(n2o_per_n, direct_n, volatilised_n, leached_n),
            "n2o_soils_kg": n2o_soils,
        }
    )


def urea(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """CO2 from urea (Eq. 11.13), as for rice."""
    co2_urea = inputs.urea_kg * use("urea_ef", m.urea_ef) * use("co2_per_c", CO2_PER_C_FACTOR)
    s.co2 += co2_urea
    s.breakdown["co2_urea_kg"] = co2_urea


def residue_burning(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """CH4 and N2O from crop residues burned in the field (maize Cf in version 1)."""
    burned_dm_kg = inputs.residue_burned_t * 1000
    combusted_kg = burned_dm_kg * use("burning_cf", m.residue_burning_cf)
    ch4 = combusted_kg * use("burning_ef_ch4", m.burning_ef_ch4) / 1000
    n2o = combusted_kg * use("burning_ef_n2o", m.burning_ef_n2o) / 1000
    s.ch4 += ch4
    s.n2o += n2o
    s.breakdown.update(
        {"ch4_burning_kg": ch4, "n2o_burning_kg": n2o, "residue_burned_dm_kg": burned_dm_kg}
    )


def lime(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """CO2 from limestone and dolomite (Eq. 11.12)."""
    carbon_t = 0.0
    for kind, tonnes in (
        ("limestone", inputs.lime.limestone_t),
        ("dolomite", inputs.lime.dolomite_t),
    ):
        if tonnes:
            carbon_t += tonnes * use(f"lime_ef_{kind}", m.lime_ef(kind))
    co2_lime = carbon_t * 1000 * use("co2_per_c", CO2_PER_C_FACTOR) if carbon_t else 0.0
    s.co2 += co2_lime
    s.breakdown["co2_lime_kg"] = co2_lime


def energy(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """CO2, CH4 and N2O of the diesel and petrol burned, CO2 of the grid power used."""
    co2 = ch4 = n2o = 0.0
    for fuel, litres in zip(FUELS, (inputs.diesel_l, inputs.petrol_l), strict=True):
        tj = _terajoules(fuel, litres, m, use) if litres else 0.0
        s.breakdown[f"{fuel}_tj"] = tj
        if tj:
            co2 += tj * use(f"{fuel}_ef_co2", m.fuel(fuel, "ef_co2"))
            ch4 += tj * use(f"{fuel}_ef_ch4", m.fuel(fuel, "ef_ch4"))
            n2o += tj * use(f"{fuel}_ef_n2o", m.fuel(fuel, "ef_n2o"))
    kwh = inputs.electricity_kwh
    power = kwh * use("grid_ef", m.grid_ef) if kwh else 0.0
    s.co2 += co2 + power
    s.ch4 += ch4
    s.n2o += n2o
    s.energy = (co2 + power, ch4, n2o)
    s.breakdown.update(
        {
            "co2_fuel_kg": co2,
            "ch4_fuel_kg": ch4,
            "n2o_fuel_kg": n2o,
            "co2_electricity_kg": power,
        }
    )


def _terajoules(fuel: str, litres: float, m: Methodology, use: Used) -> float:
    density = use(f"{fuel}_density", m.fuel(fuel, "density"))
    ncv = use(f"{fuel}_ncv", m.fuel(fuel, "ncv"))
    return litres * density * ncv / KG_PER_GG


def biomass(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """Tier 1 biomass carbon of an orchard: the uptake while its trees grow (reported
    beside the emissions), the loss when trees are cut (an emission of CO2)."""
    climate = inputs.climate or DEFAULT_CLIMATE
    g = use("perennial_g", m.perennial(climate, "g"))
    cycle = use("perennial_cycle", m.perennial(climate, "cycle"))
    stock_at_maturity = use("perennial_l", m.perennial(climate, "l"))
    co2_per_c = use("co2_per_c", CO2_PER_C_FACTOR)
    age = needed(inputs.tree_age_years, "tree_age_years")
    standing_ha = inputs.area_ha - inputs.removed_area_ha
    growing = age < cycle
    s.removals_co2 = standing_ha * g * 1000 * co2_per_c if growing else 0.0
    lost_t_c_ha = min(g * age, stock_at_maturity)
    loss = inputs.removed_area_ha * lost_t_c_ha * 1000 * co2_per_c
    s.co2 += loss
    s.breakdown.update(
        {
            "standing_area_ha": standing_ha,
            "biomass_carbon_lost_t_c_per_ha": lost_t_c_ha,
            "co2_biomass_loss_kg": loss,
        }
    )


def no_biomass(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """Annual crops and rice: no biomass carbon change (Tier 1 assumes none)."""
    s.breakdown["co2_biomass_loss_kg"] = 0.0
