"""What the calculator adds up: each factor recorded as it is used, and the emissions of a
period by gas with the intermediate terms that explain them (DESIGN §10, §10b). Shared by
the rice formulas (calculator.py) and those of the other crops (crops_calc.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from registry.verify.methodology import Factor

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

T = TypeVar("T")


@dataclass(slots=True)
class Used:
    """The factors a result used, by the name the result reports them under."""

    factors: dict[str, Factor] = field(default_factory=dict)

    def __call__(self, name: str, factor: Factor) -> float:
        self.factors[name] = factor
        return factor.value


@dataclass(slots=True)
class Sources:
    """Emissions of one period by gas (kg), the CO2 its trees took up, and every term.
    ``energy`` keeps the fuel and power share of each gas, weighted later with the GWP."""

    ch4: float = 0.0
    n2o: float = 0.0
    co2: float = 0.0
    removals_co2: float = 0.0
    energy: tuple[float, float, float] = (0.0, 0.0, 0.0)  # CO2, CH4, N2O in kg
    breakdown: dict[str, float] = field(default_factory=dict)


def needed(value: T | None, name: str) -> T:
    """A value the crop's kind requires (the schema has checked it is there)."""
    if value is None:
        raise ValueError(f"this crop needs {name}")
    return value


def n2o_terms(
    n2o_per_n: float, direct_n: float, volatilised_n: float, leached_n: float
) -> dict[str, float]:
    """The N2O from soils split as the explanation shows it, in kg N2O-N and kg N2O (Eq.
    11.1, 11.9, 11.10), in the order results have always listed them."""
    return {
        "n2o_direct_n_kg": direct_n,
        "n2o_volatilisation_n_kg": volatilised_n,
        "n2o_leaching_n_kg": leached_n,
        "n2o_direct_kg": n2o_per_n * direct_n,
        "n2o_indirect_kg": n2o_per_n * (volatilised_n + leached_n),
        "n2o_volatilisation_kg": n2o_per_n * volatilised_n,
        "n2o_leaching_kg": n2o_per_n * leached_n,
    }
