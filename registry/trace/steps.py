"""Processing steps as the crop catalogue gives them, the mass balance of one step with its
co-products, and the sharing of the input's emissions between them (pure: no database).

What each step turns into what, and with which yields, is data: `registry/crops/steps.json`
names the steps and how EPCIS records them, and each crop's file lists its steps (input
product → main product and co-products, each within a share of the input, and the loss),
every range citing its source. Rice keeps the ranges it had since issue 4 (milling 0.60–0.70
milled rice from paddy, husking 0.75–0.82, polishing 0.85–0.92, drying 0.80–1.00, packing
0.98–1.00), and milling now also accounts for husk, bran and broken rice.

Mass balance of a step (DESIGN.md §4): the kg drawn from the parents are all accounted for
as outputs (main product and co-products) and a declared loss (water, dust, rejects):
``Σ outputs + loss == Σ drawn``, in whole grams; each output and the loss within its share
of the input.

Allocation (docs/coproducts.md). The input carries E = I_in × m_in grams CO2e (I_in its
kg-weighted g CO2e/kg, m_in the kg drawn). E is shared between the outputs; the loss
carries none (what is lost was still grown, so it weighs on what is left). Output i of
mass m_i gets the fraction f_i of E and so carries ``I_i = f_i × E / m_i`` g CO2e/kg:

- by mass (the default): ``f_i = m_i / Σ m``, so every output carries the same
  ``I_i = E / Σ m = I_in / (Σ m / m_in)``: the input's g/kg divided by the step's total
  yield. A kg of husk carries what a kg of milled rice carries.
- by economic value, where the authority has set a price p for every output:
  ``f_i = m_i p_i / Σ m_j p_j``, so ``I_i = p_i × E / Σ m_j p_j``: each output's g/kg is
  in proportion to its price; an output priced 0 carries nothing.

A step with one output has nothing to share: ``I = E / m``, the rule since issue 4
(input intensity divided by the yield). Splits and merges move mass and intensity unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from registry import crops
from registry.crops import Transform
from registry.trace.epcis import step_uri

MASS, ECONOMIC = "mass", "economic"


def rule(step: str, product: str) -> Transform | None:
    """The step `step` applied to `product`, or None where it does not apply."""
    return crops.transform(step, product)


def applicable(product: str) -> tuple[Transform, ...]:
    """The steps that may take `product` as input (the crop's own, in its file's order)."""
    return crops.transforms_from(product)


def step_codes() -> tuple[str, ...]:
    """Every processing step code of the catalogue."""
    return tuple(crops.step_kinds())


def biz_step(step: str) -> str:
    """The EPCIS bizStep of a processing step: its CBV 2.0 word, or the registry's URI."""
    kind = crops.step_kind(step)
    return kind.biz_step if kind is not None and kind.biz_step else step_uri(step)


@dataclass(frozen=True)
class Output:
    product: str
    g: int


@dataclass(frozen=True)
class Balance:
    """One step's mass balance in grams, and what is wrong with it (field → problem)."""

    input_g: int
    outputs: tuple[Output, ...]
    loss_g: int
    problems: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return not self.problems


def balance(
    transform: Transform, input_g: int, outputs: Sequence[Output], loss_g: int | None
) -> Balance:
    """Check a step: the outputs are the step's (main product first), each within its
    share of the input, and the loss (the rest, or as declared) within the step's loss
    share and equal to what the outputs leave. Problems are keyed by what caused them:
    `main`, an output's product code, `loss`, `outputs`."""
    problems: dict[str, str] = {}
    made = sum(o.g for o in outputs)
    loss = input_g - made if loss_g is None else loss_g
    codes = [o.product for o in outputs]
    for output in outputs:
        share = transform.outputs.get(output.product)
        if share is None:
            problems[output.product] = "not_of_step"
        elif not share.holds(output.g / input_g):
            problems[output.product] = "range"
    if len(set(codes)) != len(codes):
        problems["outputs"] = "twice"
    elif made > input_g:
        problems["outputs"] = "more"
    elif made + loss != input_g:
        problems["loss"] = "sum"
    missing = [c for c, s in transform.outputs.items() if s.low > 0 and c not in codes]
    for code in missing:
        problems[code] = "missing"
    if not problems and not transform.loss.holds(loss / input_g):
        problems["loss"] = "range"
    return Balance(input_g, tuple(outputs), loss, problems)


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` grams divided in proportion to `weights`, in whole grams that sum to it
    exactly (largest remainders), each at least 1 g where total allows. Used to record
    which part of each parent's draw each output of a step is made from."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    for i, part in enumerate(parts):  # no output without a gram of each parent
        if part == 0 and total >= len(parts):
            donor = max(range(len(parts)), key=lambda k: parts[k])
            parts[donor] -= 1
            parts[i] = 1
    return parts


@dataclass(frozen=True)
class Allocation:
    method: str  # "mass" or "economic"
    fractions: tuple[float, ...]  # of the input's emissions, per output, summing to 1
    prices: Mapping[str, int] = field(default_factory=dict)  # VND per kg, when economic


def allocate(outputs: Sequence[Output], prices: Mapping[str, int] | None = None) -> Allocation:
    """How the input's emissions are shared: by economic value when every output has a
    price and their value is not nought, else by mass (see the module's docstring)."""
    prices = prices or {}
    if len(outputs) > 1 and all(o.product in prices for o in outputs):
        values = [o.g * prices[o.product] for o in outputs]
        if sum(values) > 0:
            used = {o.product: prices[o.product] for o in outputs}
            return Allocation(ECONOMIC, tuple(v / sum(values) for v in values), used)
    made = sum(o.g for o in outputs)
    return Allocation(MASS, tuple(o.g / made for o in outputs))


def intensity(emissions_g: float, fraction: float, output_g: int) -> float:
    """g CO2e per kg of an output given its fraction of the input's emissions (g CO2e)."""
    return emissions_g * fraction / (output_g / 1000)
