"""What each processing step turns into what, and the yield it may have (pure data).

A transformation's output must weigh between `low` and `high` times its inputs: a mill
that reports 80 % white rice from paddy is either wrong or mixing in rice from elsewhere.
The ranges are the industry's usual figures for Mekong Delta and Red River rice:
- milling, paddy → white rice 0.60–0.70 (the issue's figure; IRRI Rice Knowledge Bank,
  "milling recovery" 60–70 % of paddy weight);
- husking, paddy → brown rice 0.75–0.82 (hull is ~20 % of paddy, IRRI);
- polishing, brown → white rice 0.85–0.92 (bran and germ 8–15 %, IRRI);
- drying, wet paddy → dry paddy 0.80–1.00 (harvest at 20–25 % moisture dried to 14 %);
- packing, white rice → packaged rice 0.98–1.00 (sieving and spillage only).
Splitting and merging move mass unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.trace.models import Product, Step


@dataclass(frozen=True)
class Transform:
    source: Product
    output: Product
    low: float
    high: float

    def allows(self, ratio: float) -> bool:
        return self.low - 1e-9 <= ratio <= self.high + 1e-9


TRANSFORMS: dict[Step, Transform] = {
    Step.DRYING: Transform(Product.PADDY, Product.PADDY, 0.80, 1.00),
    Step.HUSKING: Transform(Product.PADDY, Product.BROWN_RICE, 0.75, 0.82),
    Step.MILLING: Transform(Product.PADDY, Product.MILLED_RICE, 0.60, 0.70),
    Step.POLISHING: Transform(Product.BROWN_RICE, Product.MILLED_RICE, 0.85, 0.92),
    Step.PACKING: Transform(Product.MILLED_RICE, Product.PACKAGED_RICE, 0.98, 1.00),
}

# EPCIS 2.0 / CBV 2.0 business step of each way a batch is made.
BIZ_STEPS: dict[Step, str] = {
    Step.HARVEST: "commissioning",
    Step.DRYING: "storing",
    Step.HUSKING: "repackaging",
    Step.MILLING: "repackaging",
    Step.POLISHING: "repackaging",
    Step.PACKING: "packing",
    Step.SPLIT: "repackaging",
    Step.MERGE: "repackaging",
}
