"""The emissions of one field's period (DESIGN §10, §10b): a pure function of the inputs
and a methodology, with no I/O, in plain float arithmetic and unrounded (pages round for
people).

Rice (§10, and the rice of §10b):

    CH4 rice  = EFc × SFw × SFp × SFo × SFs,r × days × area,  SFo = (1 + Σ t_ha × CFOA)^0.59
                                                              (IPCC 2019 Vol 4 ch 5, Eq. 5.1–5.3)
    N2O soils = 44/28 × [ syn × EF1syn + org × EF1org            direct (ch 11, Eq. 11.1)
                          + (syn × FracGASF + org × FracGASM) × EF4   volatilised (Eq. 11.9)
                          + (syn + org) × FracLEACH × EF5 ]            leached (Eq. 11.10)
    CO2 urea  = urea × 0.20 × 44/12                                   (Eq. 11.13)
    burning   = straw_burned_t × 1000 × Cf × EF / 1000 for CH4 and N2O (ch 2, Eq. 2.27)
    total     = CO2 + CH4 × GWP_CH4 + N2O × GWP_N2O

A methodology that names crops (``ipcc2019-t1-crops``) adds, for every crop, lime and farm
energy, and takes annual and perennial crops through the terms of ``crops_calc``; their
removals by trees are reported beside the total, never in the per-kg figure. A §10
methodology (``ipcc2019-t1-rice``) computes as it always did, so its results stay the same.

SFs,r is 1 at Tier 1; it is a parameter so that a Tier 2 file can set it. Inputs are assumed
valid (``calc_schema`` checks documents from outside); N quantities, urea, burned straw and
yield are totals for the period, organic amendments are per hectare. A ``CalcInput`` made in
code without a methodology is a §10 rice season; documents default to ``DEFAULT_ID``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from registry.verify import crops_calc
from registry.verify.methodology import RICE_ID, Factor, Methodology
from registry.verify.terms import CO2_PER_C as CO2_PER_C
from registry.verify.terms import (
    CO2_PER_C_FACTOR,
    N2O_PER_N2O_N_FACTOR,
    Sources,
    Used,
    n2o_terms,
    needed,
)
from registry.verify.terms import N2O_PER_N2O_N as N2O_PER_N2O_N


@dataclass(frozen=True, slots=True)
class OrganicAmendment:
    """An organic amendment incorporated into the soil: ``kind`` (a CFOA key), t/ha."""

    kind: str
    t_ha: float


@dataclass(frozen=True, slots=True)
class Lime:
    """Agricultural lime applied in the period, in tonnes (§10b)."""

    limestone_t: float = 0.0
    dolomite_t: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CalcInput:
    """One field's period as §10 and §10b describe it; ``baseline`` is the period to compare
    with. The rice fields are None for other crops, the orchard fields None for the others."""

    area_ha: float
    yield_kg: float
    cultivation_days: int | None = None
    water_regime: str | None = None
    preseason: str | None = None
    organic: tuple[OrganicAmendment, ...] = ()
    synthetic_n_kg: float = 0.0
    organic_n_kg: float = 0.0
    urea_kg: float = 0.0
    straw_burned_t: float = 0.0
    methodology: str = RICE_ID
    gwp: str = "AR5"
    region: str = "south_east_asia"
    crop: str = "rice"
    lime: Lime = Lime()
    diesel_l: float = 0.0
    petrol_l: float = 0.0
    electricity_kwh: float = 0.0
    residue_n_kg: float = 0.0
    residue_burned_t: float = 0.0
    tree_age_years: int | None = None
    removed_area_ha: float = 0.0
    climate: str | None = None
    baseline: CalcInput | None = None


@dataclass(frozen=True, slots=True)
class CalcResult:
    """The figures of §10 (and §10b's crop, kind and removals when the methodology names
    crops), the intermediate terms in ``breakdown`` and every factor used."""

    ch4_kg: float
    n2o_kg: float
    co2_kg: float
    total_kg_co2e: float
    per_ha_kg_co2e: float
    per_kg_product_g_co2e: float | None  # None when nothing was harvested (§10b)
    breakdown: Mapping[str, float]
    factors: Mapping[str, Factor]
    methodology: str
    version: int
    baseline: CalcResult | None = None
    reduction_pct: float | None = None
    reduction_per_ha_pct: float | None = None
    crop: str | None = None  # §10b only
    crop_kind: str | None = None
    removals_kg_co2: float = 0.0

    def figures(self) -> dict[str, Any]:
        """The period's own figures, with its breakdown and factors."""
        found: dict[str, Any] = {
            "ch4_kg": self.ch4_kg,
            "n2o_kg": self.n2o_kg,
            "co2_kg": self.co2_kg,
            "total_kg_co2e": self.total_kg_co2e,
            "per_ha_kg_co2e": self.per_ha_kg_co2e,
            "per_kg_product_g_co2e": self.per_kg_product_g_co2e,
        }
        if self.crop is not None:
            found["crop"] = self.crop
            found["crop_kind"] = self.crop_kind
            found["removals_kg_co2"] = self.removals_kg_co2
            found["net_kg_co2e"] = self.total_kg_co2e - self.removals_kg_co2
        found["breakdown"] = dict(self.breakdown)
        found["factors"] = {name: f.to_json() for name, f in self.factors.items()}
        return found

    def to_json(self) -> dict[str, Any]:
        """The §10 output as plain JSON values."""
        return {
            **self.figures(),
            "baseline": self.baseline.figures() if self.baseline else None,
            "reduction_pct": self.reduction_pct,
            "reduction_per_ha_pct": self.reduction_per_ha_pct,
            "methodology": self.methodology,
            "version": self.version,
        }


def calculate(inputs: CalcInput, methodology: Methodology) -> CalcResult:
    """The emissions of ``inputs`` (and of its baseline, with the reductions) by ``methodology``."""
    if inputs.methodology != methodology.id:
        raise ValueError(f"inputs name {inputs.methodology}, not {methodology.id}")
    result = _season(inputs, methodology)
    if inputs.baseline is None:
        return result
    base = _season(inputs.baseline, methodology, gwp=inputs.gwp)
    return replace(
        result,
        baseline=base,
        reduction_pct=_reduction(result.per_kg_product_g_co2e, base.per_kg_product_g_co2e),
        reduction_per_ha_pct=_reduction(result.per_ha_kg_co2e, base.per_ha_kg_co2e),
    )


def _reduction(value: float | None, baseline: float | None) -> float | None:
    """100 × (1 − value / baseline); None when either has no figure (nothing harvested), when
    the baseline emitted nothing, or so little (a denormal float) that the ratio overflows:
    no percentage means anything then."""
    if value is None or baseline is None or baseline <= 0:
        return None
    reduction = 100 * (1 - value / baseline)
    return reduction if math.isfinite(reduction) else None


def _season(inputs: CalcInput, m: Methodology, gwp: str | None = None) -> CalcResult:
    use, sources = Used(), Sources()
    if not m.covers_crops:  # §10, frozen: rice alone, as it always was
        _rice(inputs, m, use, sources)
        return _result(inputs, m, use, sources, gwp or inputs.gwp)
    kind = m.kind(inputs.crop)
    if kind is None:
        raise ValueError(f"{m.id} v{m.version} has no crop {inputs.crop}")
    for term in TERMS[kind]:
        term(inputs, m, use, sources)
    result = _result(inputs, m, use, sources, gwp or inputs.gwp)
    return replace(result, crop=inputs.crop, crop_kind=kind, removals_kg_co2=sources.removals_co2)


def _rice(inputs: CalcInput, m: Methodology, use: Used, s: Sources) -> None:
    """CH4 of the flooded field, N2O of its soil, CO2 of urea, burning straw (§10)."""
    water_regime = needed(inputs.water_regime, "water_regime")

    # CH4 from the flooded field (ch 5, Eq. 5.1-5.3)
    ef_c = use("ef_c", m.ef_c(inputs.region))
    sf_w = use("sf_w", m.sf_w(water_regime))
    sf_p = use("sf_p", m.sf_p(needed(inputs.preseason, "preseason")))
    roa_cfoa = sum(
        (a.t_ha * use(f"cfoa.{a.kind}", m.cfoa(a.kind)) for a in inputs.organic), start=0.0
    )
    sf_o = (1 + roa_cfoa) ** use("sf_o_exponent", m.sf_o_exponent)
    sf_s_r = use("sf_s_r", m.sf_s_r)
    ef_i = ef_c * sf_w * sf_p * sf_o * sf_s_r
    ch4_rice = ef_i * needed(inputs.cultivation_days, "cultivation_days") * inputs.area_ha

    # N2O from managed soils (ch 11, Eq. 11.1, 11.9, 11.10)
    syn, org = inputs.synthetic_n_kg, inputs.organic_n_kg
    direct_n = syn * use("ef1_synthetic", m.ef1(water_regime, "synthetic")) + org * use(
        "ef1_organic", m.ef1(water_regime, "organic")
    )
    volatilised_n = (
        syn * use("frac_gasf", m.frac_gasf) + org * use("frac_gasm", m.frac_gasm)
    ) * use("ef4", m.ef4)
    leached_n = (syn + org) * use("frac_leach", m.frac_leach) * use("ef5", m.ef5)
    n2o_per_n = use("n2o_per_n2o_n", N2O_PER_N2O_N_FACTOR)
    n2o_soils = n2o_per_n * (direct_n + volatilised_n + leached_n)

    # CO2 from urea (ch 11, Eq. 11.13)
    co2_urea = inputs.urea_kg * use("urea_ef", m.urea_ef) * use("co2_per_c", CO2_PER_C_FACTOR)

    # CH4 and N2O from burning straw (ch 2, Eq. 2.27): kg dry matter × Cf × g/kg ÷ 1000
    burned_dm_kg = inputs.straw_burned_t * 1000
    combusted_kg = burned_dm_kg * use("burning_cf", m.burning_cf)
    ch4_burning = combusted_kg * use("burning_ef_ch4", m.burning_ef_ch4) / 1000
    n2o_burning = combusted_kg * use("burning_ef_n2o", m.burning_ef_n2o) / 1000

    s.ch4 += ch4_rice + ch4_burning
    s.n2o += n2o_soils + n2o_burning
    s.co2 += co2_urea
    s.breakdown.update(
        {
            "roa_cfoa_sum": roa_cfoa,
            "sf_o": sf_o,
            "ef_i_kg_ch4_per_ha_day": ef_i,
            "ch4_rice_kg": ch4_rice,
            "ch4_burning_kg": ch4_burning,
            **n2o_terms(n2o_per_n, direct_n, volatilised_n, leached_n),
            "n2o_soils_kg": n2o_soils,
            "n2o_burning_kg": n2o_burning,
            "co2_urea_kg": co2_urea,
            "straw_burned_dm_kg": burned_dm_kg,
        }
    )


Term = Callable[[CalcInput, Methodology, Used, Sources], None]

# §10b, by crop kind: the terms that make up a period's emissions, in the order they are
# reported. Rice keeps §10's; every kind then adds lime and energy.
TERMS: dict[str, tuple[Term, ...]] = {
    "rice": (
        _rice,
        crops_calc.lime,
        crops_calc.energy,
        crops_calc.no_biomass,
    ),
    "annual": (
        crops_calc.soils,
        crops_calc.urea,
        crops_calc.residue_burning,
        crops_calc.lime,
        crops_calc.energy,
        crops_calc.no_biomass,
    ),
    "perennial": (
        crops_calc.soils,
        crops_calc.urea,
        crops_calc.residue_burning,
        crops_calc.lime,
        crops_calc.energy,
        crops_calc.biomass,
    ),
}


def _result(inputs: CalcInput, m: Methodology, use: Used, s: Sources, gwp: str) -> CalcResult:
    """The totals of ``s`` weighted by the GWP set, per ha and per kg of product."""
    gwp_ch4 = use("gwp_ch4", m.gwp(gwp, "ch4"))
    gwp_n2o = use("gwp_n2o", m.gwp(gwp, "n2o"))
    ch4_co2e = s.ch4 * gwp_ch4
    n2o_co2e = s.n2o * gwp_n2o
    total = s.co2 + ch4_co2e + n2o_co2e
    breakdown = {
        **s.breakdown,
        "ch4_kg_co2e": ch4_co2e,
        "n2o_kg_co2e": n2o_co2e,
        "co2_kg_co2e": s.co2,
    }
    if m.covers_crops:
        co2, ch4, n2o = s.energy
        breakdown["energy_kg_co2e"] = co2 + ch4 * gwp_ch4 + n2o * gwp_n2o
    return CalcResult(
        ch4_kg=s.ch4,
        n2o_kg=s.n2o,
        co2_kg=s.co2,
        total_kg_co2e=total,
        per_ha_kg_co2e=total / inputs.area_ha,
        per_kg_product_g_co2e=total * 1000 / inputs.yield_kg if inputs.yield_kg else None,
        breakdown=breakdown,
        factors=use.factors,
        methodology=m.id,
        version=m.version,
    )
