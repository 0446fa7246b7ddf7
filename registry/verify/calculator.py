"""The emissions of one rice field-season (DESIGN §10): a pure function of the inputs and a
methodology, with no I/O, in plain float arithmetic and unrounded (pages round for people).

    CH4 rice  = EFc × SFw × SFp × SFo × SFs,r × days × area,  SFo = (1 + Σ t_ha × CFOA)^0.59
                                                              (IPCC 2019 Vol 4 ch 5, Eq. 5.1–5.3)
    N2O soils = 44/28 × [ syn × EF1syn + org × EF1org            direct (ch 11, Eq. 11.1)
                          + (syn × FracGASF + org × FracGASM) × EF4   volatilised (Eq. 11.9)
                          + (syn + org) × FracLEACH × EF5 ]            leached (Eq. 11.10)
    CO2 urea  = urea × 0.20 × 44/12                                   (Eq. 11.13)
    burning   = straw_burned_t × 1000 × Cf × EF / 1000 for CH4 and N2O (ch 2, Eq. 2.27)
    total     = CO2 + CH4 × GWP_CH4 + N2O × GWP_N2O

SFs,r is 1 at Tier 1; it is a parameter so that a Tier 2 file can set it. Inputs are assumed
valid (``calc_schema`` checks documents from outside); N quantities, urea, burned straw and
yield are totals for the field-season, organic amendments are per hectare."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.verify.methodology import DEFAULT_ID, Factor, Methodology

N2O_PER_N2O_N = 44 / 28
CO2_PER_C = 44 / 12
N2O_PER_N2O_N_FACTOR = Factor(
    key="n2o_per_n2o_n",
    value=N2O_PER_N2O_N,
    unit="kg N2O/kg N2O-N",
    source="molar masses 44/28; IPCC 2019 Refinement Vol 4 ch 11 Eq. 11.1",
)
CO2_PER_C_FACTOR = Factor(
    key="co2_per_c",
    value=CO2_PER_C,
    unit="kg CO2/kg C",
    source="molar masses 44/12; IPCC 2019 Refinement Vol 4 ch 11 Eq. 11.13",
)


@dataclass(frozen=True, slots=True)
class OrganicAmendment:
    """An organic amendment incorporated into the soil: ``kind`` (a CFOA key), t/ha."""

    kind: str
    t_ha: float


@dataclass(frozen=True, slots=True)
class CalcInput:
    """One field-season as §10 describes it; ``baseline`` is the season to compare with."""

    area_ha: float
    cultivation_days: int
    water_regime: str
    preseason: str
    yield_kg: float
    organic: tuple[OrganicAmendment, ...] = ()
    synthetic_n_kg: float = 0.0
    organic_n_kg: float = 0.0
    urea_kg: float = 0.0
    straw_burned_t: float = 0.0
    methodology: str = DEFAULT_ID
    gwp: str = "AR5"
    region: str = "south_east_asia"
    baseline: CalcInput | None = None


@dataclass(frozen=True, slots=True)
class CalcResult:
    """The figures of §10, the intermediate terms in ``breakdown`` and every factor used."""

    ch4_kg: float
    n2o_kg: float
    co2_kg: float
    total_kg_co2e: float
    per_ha_kg_co2e: float
    per_kg_product_g_co2e: float
    breakdown: Mapping[str, float]
    factors: Mapping[str, Factor]
    methodology: str
    version: int
    baseline: CalcResult | None = None
    reduction_pct: float | None = None
    reduction_per_ha_pct: float | None = None

    def figures(self) -> dict[str, Any]:
        """The season's own figures, with its breakdown and factors."""
        return {
            "ch4_kg": self.ch4_kg,
            "n2o_kg": self.n2o_kg,
            "co2_kg": self.co2_kg,
            "total_kg_co2e": self.total_kg_co2e,
            "per_ha_kg_co2e": self.per_ha_kg_co2e,
            "per_kg_product_g_co2e": self.per_kg_product_g_co2e,
            "breakdown": dict(self.breakdown),
            "factors": {name: f.to_json() for name, f in self.factors.items()},
        }

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


@dataclass(slots=True)
class _Used:
    factors: dict[str, Factor] = field(default_factory=dict)

    def __call__(self, name: str, factor: Factor) -> float:
        self.factors[name] = factor
        return factor.value


def calculate(inputs: CalcInput, methodology: Methodology) -> CalcResult:
    """The emissions of ``inputs`` (and of its baseline, with the reductions) by ``methodology``."""
    if inputs.methodology != methodology.id:
        raise ValueError(f"inputs name {inputs.methodology}, not {methodology.id}")
    result = _season(inputs, methodology)
    if inputs.baseline is None:
        return result
    base = _season(inputs.baseline, methodology, gwp=inputs.gwp)
    return CalcResult(
        ch4_kg=result.ch4_kg,
        n2o_kg=result.n2o_kg,
        co2_kg=result.co2_kg,
        total_kg_co2e=result.total_kg_co2e,
        per_ha_kg_co2e=result.per_ha_kg_co2e,
        per_kg_product_g_co2e=result.per_kg_product_g_co2e,
        breakdown=result.breakdown,
        factors=result.factors,
        methodology=result.methodology,
        version=result.version,
        baseline=base,
        reduction_pct=_reduction(result.per_kg_product_g_co2e, base.per_kg_product_g_co2e),
        reduction_per_ha_pct=_reduction(result.per_ha_kg_co2e, base.per_ha_kg_co2e),
    )


def _reduction(value: float, baseline: float) -> float | None:
    """100 × (1 − value / baseline); None when the baseline emitted nothing, or so little
    (a denormal float) that the ratio overflows: no percentage means anything then."""
    if baseline <= 0:
        return None
    reduction = 100 * (1 - value / baseline)
    return reduction if math.isfinite(reduction) else None


def _season(inputs: CalcInput, m: Methodology, gwp: str | None = None) -> CalcResult:
    use = _Used()
    gwp_set = gwp or inputs.gwp

    # CH4 from the flooded field (ch 5, Eq. 5.1-5.3)
    ef_c = use("ef_c", m.ef_c(inputs.region))
    sf_w = use("sf_w", m.sf_w(inputs.water_regime))
    sf_p = use("sf_p", m.sf_p(inputs.preseason))
    roa_cfoa = sum(
        (a.t_ha * use(f"cfoa.{a.kind}", m.cfoa(a.kind)) for a in inputs.organic), start=0.0
    )
    sf_o = (1 + roa_cfoa) ** use("sf_o_exponent", m.sf_o_exponent)
    sf_s_r = use("sf_s_r", m.sf_s_r)
    ef_i = ef_c * sf_w * sf_p * sf_o * sf_s_r
    ch4_rice = ef_i * inputs.cultivation_days * inputs.area_ha

    # N2O from managed soils (ch 11, Eq. 11.1, 11.9, 11.10)
    syn, org = inputs.synthetic_n_kg, inputs.organic_n_kg
    direct_n = syn * use("ef1_synthetic", m.ef1(inputs.water_regime, "synthetic")) + org * use(
        "ef1_organic", m.ef1(inputs.water_regime, "organic")
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

    ch4 = ch4_rice + ch4_burning
    n2o = n2o_soils + n2o_burning
    co2 = co2_urea
    gwp_ch4 = use("gwp_ch4", m.gwp(gwp_set, "ch4"))
    gwp_n2o = use("gwp_n2o", m.gwp(gwp_set, "n2o"))
    ch4_co2e = ch4 * gwp_ch4
    n2o_co2e = n2o * gwp_n2o
    total = co2 + ch4_co2e + n2o_co2e

    breakdown = {
        "roa_cfoa_sum": roa_cfoa,
        "sf_o": sf_o,
        "ef_i_kg_ch4_per_ha_day": ef_i,
        "ch4_rice_kg": ch4_rice,
        "ch4_burning_kg": ch4_burning,
        "n2o_direct_n_kg": direct_n,
        "n2o_volatilisation_n_kg": volatilised_n,
        "n2o_leaching_n_kg": leached_n,
        "n2o_direct_kg": n2o_per_n * direct_n,
        "n2o_indirect_kg": n2o_per_n * (volatilised_n + leached_n),
        "n2o_volatilisation_kg": n2o_per_n * volatilised_n,
        "n2o_leaching_kg": n2o_per_n * leached_n,
        "n2o_soils_kg": n2o_soils,
        "n2o_burning_kg": n2o_burning,
        "co2_urea_kg": co2_urea,
        "straw_burned_dm_kg": burned_dm_kg,
        "ch4_kg_co2e": ch4_co2e,
        "n2o_kg_co2e": n2o_co2e,
        "co2_kg_co2e": co2,
    }
    return CalcResult(
        ch4_kg=ch4,
        n2o_kg=n2o,
        co2_kg=co2,
        total_kg_co2e=total,
        per_ha_kg_co2e=total / inputs.area_ha,
        per_kg_product_g_co2e=total * 1000 / inputs.yield_kg,
        breakdown=breakdown,
        factors=use.factors,
        methodology=m.id,
        version=m.version,
    )
