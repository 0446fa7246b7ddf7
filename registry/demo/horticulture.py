"""Demo vegetables, flowers and an orchard (issue 19): the programme labels each commune's
main crops, not only rice.

- HTX Rau an toàn Hà Đông (phường Hà Đông, Hà Nội) grows leafy greens, water spinach cut
  several times a cycle and cut chrysanthemums. Its 2020 cycles are kept as growers did
  then: fresh chicken manure, much urea, lime, diesel pumps on hoses, incandescent-era
  lights, chemical sprays, residues burned. Its 2026 cycles follow the safe-vegetable
  (VietGAP) practice: composted organic fertiliser, less urea, dolomite once a year,
  electric sprinklers and drip, LED lights, a Bt spray, residues ploughed in or composted.
- HTX Dịch vụ Nông nghiệp Đồ Sơn keeps two longan blocks: a mature one planted in 2008,
  and one whose old trees (planted 1996) were cut and replanted in 2024, so that in 2026
  its young trees take up carbon and bear no fruit yet. Prunings were burned in 2020 and
  are chipped and left as mulch in 2026; diesel pumps gave way to electric drip. A third
  block's old trees (planted 1992) were cut after the 2020 harvest and replanted with
  grafted trees that now bear and, younger than 8 years, still take up carbon (issue 20:
  the longan label shows the carbon taken up per kg).

Amounts follow the crop catalogue's ranges (registry/crops/catalogue): leafy greens about
17–18 t/ha a cycle, water spinach about 30 t/ha over five cuttings, chrysanthemum about
22–24 t/ha of stems, longan 15–17 t/ha from mature trees; N 86–310 kg/ha. Diaries go
through the same validation and service as a person's entries (registry/demo/farms.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from registry.demo.farms import DemoField, Entry

Planned = tuple[int, str, dict[str, Any]]  # days after the start, kind, data

# Amounts of an annual crop's diary are given per ha and scaled to the field.
PER_HA = ("kg", "amount", "tonnes", "seed_kg", "hours")


@dataclass(frozen=True)
class Cycle:
    """A vegetable or flower crop cycle, sowing or planting to its last harvest. Amounts
    are per ha; the harvests are (days after sowing, share of `yield_kg_ha`)."""

    crop: str
    year: int
    sowing: date
    entries: tuple[Planned, ...]
    yield_kg_ha: float
    harvests: tuple[tuple[int, float], ...]
    season_type: str = "crop_cycle"

    def opening(self) -> dict[str, Any]:
        return {"crop": self.crop, "year": self.year, "sowing_date": self.sowing.isoformat()}

    def diary(self, area_ha: float) -> list[Entry]:
        picked = [
            (days, "harvest", {"kg": self.yield_kg_ha * share}) for days, share in self.harvests
        ]
        return sorted(
            (
                (self.sowing + timedelta(days=days), kind, _scaled(data, area_ha))
                for days, kind, data in (*self.entries, *picked)
            ),
            key=lambda e: e[0],
        )


@dataclass(frozen=True)
class GrowingYear:
    """An orchard block's growing year (12 months from `start`). Amounts are the block's,
    as an orchard keeper counts them by the tree."""

    crop: str
    year: int
    start: date
    planting_year: int
    tree_count: int
    entries: tuple[Planned, ...]
    season_type: str = "growing_year"

    def opening(self) -> dict[str, Any]:
        return {
            "crop": self.crop,
            "year": self.year,
            "sowing_date": self.start.isoformat(),
            "planting_year": self.planting_year,
            "tree_count": self.tree_count,
        }

    def diary(self, area_ha: float) -> list[Entry]:
        return sorted(
            ((self.start + timedelta(days=days), kind, data) for days, kind, data in self.entries),
            key=lambda e: e[0],
        )


def _scaled(data: dict[str, Any], area_ha: float) -> dict[str, Any]:
    scaled = {k: round(v * area_ha, 1) if k in PER_HA else v for k, v in data.items()}
    if "plants" in data:
        scaled["plants"] = round(data["plants"] * area_ha)
    return scaled


# ---------------------------------------------------------------- diary pieces (per ha)
def _fertiliser(
    product: str, kg: float, n_pct: float | None = None, **kind: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {"product": product, "kg": kg, **kind}
    if n_pct is not None:
        entry["n_pct"] = n_pct
    return entry


def _urea(kg: float) -> dict[str, Any]:
    return _fertiliser("Urê Phú Mỹ", kg, urea=True)


MANURE = "Phân gà tươi"  # 2020: fresh, uncomposted (VietGAP no longer allows it)
COMPOST = "Phân hữu cơ vi sinh"
NPK = "NPK 16-16-8"


def _pump(system: str, source: str, amount: float, hours: float) -> dict[str, Any]:
    return {"system": system, "source": source, "amount": amount, "hours": hours}


def _spray(product: str, ingredient: str, amount: float, unit: str) -> dict[str, Any]:
    return {"product": product, "active_ingredient": ingredient, "amount": amount, "unit": unit}


def _greens_2020(variety: str, seed_kg: float) -> tuple[Planned, ...]:
    """Leafy greens as grown in 2020: about 224 kg N/ha (179 synthetic), diesel pump."""
    return (
        (-7, "lime", {"lime_type": "limestone", "tonnes": 0.6}),
        (-5, "energy", {"source": "petrol", "amount": 8, "purpose": "land_preparation"}),
        (-3, "fertiliser", _fertiliser(MANURE, 3000, 1.5, organic=True)),
        (-1, "fertiliser", _fertiliser(NPK, 400, 16)),
        (0, "sowing", {"variety": variety, "method": "sown", "seed_kg": seed_kg}),
        *((d, "irrigation", _pump("hose", "diesel", 12, 12)) for d in (1, 8, 16, 24, 31)),
        (10, "fertiliser", _urea(120)),
        (15, "pesticide", _spray("Sherpa 25EC", "Cypermethrin", 0.5, "l")),
        (20, "fertiliser", _urea(130)),
        (40, "residue", {"practice": "burned", "tonnes": 0.8}),
    )


def _greens_2026(variety: str, seed_kg: float, lime: bool) -> tuple[Planned, ...]:
    """Safe vegetables in 2026: about 120 kg N/ha (60 organic), electric sprinklers,
    dolomite once a year, a Bt spray, residues ploughed in."""
    return (
        *(((-7, "lime", {"lime_type": "dolomite", "tonnes": 0.4}),) if lime else ()),
        (-5, "energy", {"source": "petrol", "amount": 6, "purpose": "land_preparation"}),
        (-3, "fertiliser", _fertiliser(COMPOST, 2000, 3, organic=True)),
        (-1, "fertiliser", _fertiliser(NPK, 200, 16)),
        (0, "sowing", {"variety": variety, "method": "sown", "seed_kg": seed_kg}),
        *((d, "irrigation", _pump("sprinkler", "electricity", 30, 20)) for d in (1, 8, 16, 24, 31)),
        (12, "fertiliser", _urea(60)),
        (15, "pesticide", _spray("Xentari 35WDG", "Bacillus thuringiensis", 0.6, "kg")),
        (40, "residue", {"practice": "incorporated", "tonnes": 0.8}),
    )


GREENS_HARVESTS = ((33, 0.4), (38, 0.6))  # thinned first, then the rest


def _greens(year: int, sowing: date, variety: str, *, lime: bool = True) -> Cycle:
    entries = _greens_2020(variety, 6) if year == 2020 else _greens_2026(variety, 6, lime)
    return Cycle(
        "vegetable", year, sowing, entries, 17000 if year == 2020 else 18000, GREENS_HARVESTS
    )


WATER_SPINACH = "Rau muống hạt lá tre"
SPINACH_CUTS = (30, 50, 70, 90, 110)  # days after sowing; each cutting regrows


def _water_spinach(year: int, sowing: date) -> Cycle:
    """Water spinach on dry beds, cut five times: urea after each cutting."""
    old = year == 2020
    entries: tuple[Planned, ...] = (
        (
            -5,
            "energy",
            {"source": "petrol", "amount": 8 if old else 6, "purpose": "land_preparation"},
        ),
        (
            -3,
            "fertiliser",
            _fertiliser(MANURE, 3000, 1.5, organic=True)
            if old
            else _fertiliser(COMPOST, 2000, 3, organic=True),
        ),
        (-1, "fertiliser", _fertiliser(NPK, 300 if old else 150, 16)),
        (0, "sowing", {"variety": WATER_SPINACH, "method": "sown", "seed_kg": 60}),
        *((d + 2, "fertiliser", _urea(60 if old else 30)) for d in SPINACH_CUTS[:-1]),
        *(
            (
                d,
                "irrigation",
                _pump("furrow", "diesel", 15, 15)
                if old
                else _pump("furrow", "electricity", 40, 25),
            )
            for d in range(5, 110, 15)
        ),
        (
            45,
            "pesticide",
            _spray("Sherpa 25EC", "Cypermethrin", 0.5, "l")
            if old
            else _spray("Xentari 35WDG", "Bacillus thuringiensis", 0.6, "kg"),
        ),
        (113, "residue", {"practice": "burned" if old else "incorporated", "tonnes": 1.5}),
    )
    yield_kg_ha = 29000 if old else 30000
    return Cycle(
        "vegetable", year, sowing, entries, yield_kg_ha, tuple((d, 0.2) for d in SPINACH_CUTS)
    )


CHRYSANTHEMUM = "Cúc vàng Đài Loan"
CUT_FLOWERS = ((95, 0.3), (102, 0.45), (110, 0.25))


def _chrysanthemum(year: int, planting: date) -> Cycle:
    """Cut chrysanthemum from rooted cuttings (40 a m²), lit at night for about 35 nights
    so that it flowers for the market: compact fluorescent bulbs in 2020 (about
    4,700 kWh/ha), LED in 2026 (about 2,100 kWh/ha)."""
    old = year == 2020
    light = 1170 if old else 525  # kWh per ha every 9 nights
    entries: tuple[Planned, ...] = (
        (
            -10,
            "lime",
            {"lime_type": "limestone", "tonnes": 0.5}
            if old
            else {"lime_type": "dolomite", "tonnes": 0.4},
        ),
        (
            -6,
            "energy",
            {"source": "petrol", "amount": 10 if old else 8, "purpose": "land_preparation"},
        ),
        (
            -3,
            "fertiliser",
            _fertiliser(MANURE, 4000, 1.5, organic=True)
            if old
            else _fertiliser(COMPOST, 2500, 3, organic=True),
        ),
        (-1, "fertiliser", _fertiliser(NPK, 500 if old else 350, 16)),
        (0, "sowing", {"variety": CHRYSANTHEMUM, "method": "cuttings", "plants": 400_000}),
        *(
            (d, "energy", {"source": "electricity", "amount": light, "purpose": "other"})
            for d in (12, 21, 30, 39)
        ),
        *((d, "fertiliser", _urea(80 if old else 50)) for d in (20, 40, 60)),
        *(
            (
                d,
                "irrigation",
                _pump("hose", "diesel", 20, 20) if old else _pump("drip", "electricity", 45, 30),
            )
            for d in range(3, 95, 14)
        ),
        (35, "pesticide", _spray("Ridomil Gold 68WG", "Metalaxyl-M, Mancozeb", 1.5, "kg")),
        (
            60,
            "pesticide",
            _spray("Sherpa 25EC", "Cypermethrin", 0.6, "l")
            if old
            else _spray("Xentari 35WDG", "Bacillus thuringiensis", 0.6, "kg"),
        ),
        (113, "residue", {"practice": "burned" if old else "composted", "tonnes": 3}),
    )
    return Cycle("flower", year, planting, entries, 22000 if old else 24000, CUT_FLOWERS)


# ---------------------------------------------------------------- longan (whole block)
LONGAN = "Nhãn lồng"
LONGAN_GRAFTED = "Nhãn PH-M99-1.1 (cây ghép)"


def _longan_2020(trees: int, planted: int, picked: tuple[float, ...]) -> tuple[Planned, ...]:
    """A 2020 growing year from September: about 1.5 kg urea, 3 kg NPK and 20 kg fresh manure
    a tree, a diesel pump on hoses through the dry season, prunings burned."""
    return (
        (0, "planting", {"trees": trees, "planting_year": planted, "variety": LONGAN}),
        (3, "pruning", {"style": "after_harvest", "trees": trees}),
        (10, "residue", {"practice": "burned", "tonnes": round(trees * 0.008, 1)}),
        (14, "lime", {"lime_type": "limestone", "tonnes": round(trees * 0.002, 1)}),
        (15, "fertiliser", _fertiliser("Phân chuồng tươi", trees * 20, 0.5, organic=True)),
        (20, "fertiliser", _fertiliser(NPK, trees * 3, 16)),
        (20, "fertiliser", _urea(trees * 1.0)),
        (160, "fertiliser", _urea(trees * 0.5)),
        *((d, "irrigation", _pump("hose", "diesel", 20, 20)) for d in range(60, 240, 30)),
        (90, "energy", {"source": "petrol", "amount": 30, "purpose": "other"}),
        (200, "pesticide", _spray("Sherpa 25EC", "Cypermethrin", 1.5, "l")),
        (240, "pesticide", _spray("Ridomil Gold 68WG", "Metalaxyl-M, Mancozeb", 2, "kg")),
        *((d, "harvest", {"kg": kg}) for d, kg in zip((331, 339, 346), picked, strict=True)),
        (346, "energy", {"source": "petrol", "amount": 20, "purpose": "transport"}),
    )


def _longan_mature_2026(trees: int) -> tuple[Planned, ...]:
    """2026 on the mature block: 10 kg composted organic fertiliser, 2 kg NPK and 0.5 kg
    urea a tree, electric drip, prunings chipped and left as mulch; three trees with
    witches' broom cut and not replaced."""
    return (
        (0, "planting", {"trees": trees, "planting_year": 2008, "variety": LONGAN}),
        (5, "pruning", {"style": "after_harvest", "trees": trees}),
        (12, "residue", {"practice": "left", "tonnes": round(trees * 0.0087, 1)}),
        (14, "lime", {"lime_type": "dolomite", "tonnes": 0.5}),
        (15, "fertiliser", _fertiliser(COMPOST, trees * 10, 3, organic=True)),
        (20, "fertiliser", _fertiliser(NPK, trees * 2, 16)),
        (160, "fertiliser", _urea(trees * 0.5)),
        *((d, "irrigation", _pump("drip", "electricity", 60, 40)) for d in range(60, 240, 30)),
        (90, "energy", {"source": "petrol", "amount": 20, "purpose": "other"}),
        (120, "trees", {"change": "cut", "trees": 3}),
        (120, "note", {"text": "Chặt bỏ 3 cây nhãn bị bệnh chổi rồng, không trồng lại."}),
        (200, "pesticide", _spray("Radiant 60SC", "Spinetoram", 1.2, "l")),
        (240, "pesticide", _spray("Anvil 5SC", "Hexaconazole", 1.5, "l")),
        *((d, "harvest", {"kg": kg}) for d, kg in ((329, 6000), (337, 8400), (344, 6000))),
        (344, "energy", {"source": "petrol", "amount": 15, "purpose": "transport"}),
    )


def _longan_young_2026(trees: int) -> tuple[Planned, ...]:
    """2026 on the replanted block: grafted trees planted in 2024, shaped, a little
    fertiliser; no fruit yet."""
    return (
        (0, "planting", {"trees": trees, "planting_year": 2024, "variety": LONGAN_GRAFTED}),
        (14, "lime", {"lime_type": "dolomite", "tonnes": 0.3}),
        (20, "fertiliser", _fertiliser(COMPOST, trees * 5, 3, organic=True)),
        (30, "trees", {"change": "replanted", "trees": 7}),
        (60, "pruning", {"style": "shaping", "trees": trees}),
        (62, "residue", {"practice": "left", "tonnes": 0.2}),
        (90, "fertiliser", _fertiliser(NPK, trees * 0.4, 16)),
        (150, "fertiliser", _urea(trees * 0.15)),
        (200, "fertiliser", _fertiliser(NPK, trees * 0.4, 16)),
        *((d, "irrigation", _pump("drip", "electricity", 30, 20)) for d in range(60, 240, 30)),
        (90, "energy", {"source": "petrol", "amount": 15, "purpose": "other"}),
        (210, "pesticide", _spray("Radiant 60SC", "Spinetoram", 0.4, "l")),
        (300, "note", {"text": "Cây trồng lại năm 2024, chưa cho thu quả."}),
    )


def _longan_bearing_2026(trees: int) -> tuple[Planned, ...]:
    """2026 on the block replanted in late 2020: grafted trees in their sixth year, bearing
    about 26 kg a tree and still growing (younger than Table 5.1's 8-year cycle, so they
    take up carbon); 5 kg composted organic fertiliser, 1 kg NPK and 0.4 kg urea a tree,
    electric drip, prunings chipped and left as mulch."""
    return (
        (0, "planting", {"trees": trees, "planting_year": 2020, "variety": LONGAN_GRAFTED}),
        (5, "pruning", {"style": "after_harvest", "trees": trees}),
        (12, "residue", {"practice": "left", "tonnes": round(trees * 0.004, 1)}),
        (14, "lime", {"lime_type": "dolomite", "tonnes": 0.2}),
        (15, "fertiliser", _fertiliser(COMPOST, trees * 5, 3, organic=True)),
        (20, "fertiliser", _fertiliser(NPK, trees * 1.0, 16)),
        (160, "fertiliser", _urea(trees * 0.4)),
        *((d, "irrigation", _pump("drip", "electricity", 35, 25)) for d in range(60, 240, 30)),
        (90, "energy", {"source": "petrol", "amount": 10, "purpose": "other"}),
        (200, "pesticide", _spray("Radiant 60SC", "Spinetoram", 0.6, "l")),
        (240, "pesticide", _spray("Anvil 5SC", "Hexaconazole", 0.8, "l")),
        *((d, "harvest", {"kg": kg}) for d, kg in ((333, 1700), (341, 2200))),
        (341, "energy", {"source": "petrol", "amount": 8, "purpose": "transport"}),
        (341, "note", {"text": "Cây ghép trồng lại cuối năm 2020, năm nay cho thu rộ."}),
    )


def _longan(year: int, planted: int, trees: int, entries: tuple[Planned, ...]) -> GrowingYear:
    return GrowingYear("longan", year, date(year - 1, 9, 1), planted, trees, entries)


# ---------------------------------------------------------------- the fields
HADONG_LON, HADONG_LAT = 105.7605, 20.9598

FIELDS: dict[str, tuple[DemoField, ...]] = {
    "HTX-HADONG": (
        DemoField(
            "HD-01",
            "Ruộng rau Đồng Mai",
            0.5,
            HADONG_LON,
            HADONG_LAT,
            "Hộ bà Nguyễn Thị Thu",
            (
                _greens(2020, date(2020, 2, 10), "Cải ngọt lá to"),
                _greens(2026, date(2026, 2, 9), "Cải ngọt lá to"),
                _greens(2026, date(2026, 9, 14), "Cải ngọt lá to", lime=False),
            ),
        ),
        DemoField(
            "HD-02",
            "Ruộng rau Bãi Giữa",
            0.4,
            HADONG_LON + 0.0042,
            HADONG_LAT - 0.0031,
            "Hộ ông Trịnh Văn Hải",
            (
                _water_spinach(2020, date(2020, 3, 10)),
                _greens(2020, date(2020, 9, 5), "Cải bẹ xanh"),
                _water_spinach(2026, date(2026, 3, 9)),
                _greens(2026, date(2026, 9, 5), "Cải bẹ xanh", lime=False),
            ),
        ),
        DemoField(
            "HD-03",
            "Vườn hoa Vạn Phúc",
            0.3,
            HADONG_LON - 0.0057,
            HADONG_LAT + 0.0044,
            "Hộ bà Lê Thị Hằng",
            (_chrysanthemum(2020, date(2020, 7, 20)), _chrysanthemum(2026, date(2026, 7, 20))),
            polygon=False,
        ),
    ),
    "HTX-DOSON": (
        DemoField(
            "DS-03",
            "Vườn nhãn Bàng La",
            1.2,
            106.7594,
            20.7268,
            "Hộ ông Vũ Văn Khải",
            (
                _longan(2020, 2008, 300, _longan_2020(300, 2008, (5400, 7200, 5400))),
                _longan(2026, 2008, 300, _longan_mature_2026(300)),
            ),
        ),
        DemoField(
            "DS-04",
            "Vườn nhãn Vạn Hương",
            0.8,
            106.7921,
            20.7013,
            "Hộ bà Đinh Thị Nga",
            (
                _longan(2020, 1996, 160, _longan_2020(160, 1996, (2800, 3600, 2400))),
                _longan(2026, 2024, 200, _longan_young_2026(200)),
            ),
        ),
        DemoField(
            "DS-05",
            "Vườn nhãn Hợp Đức",
            0.6,
            106.7745,
            20.7152,
            "Hộ ông Phạm Văn Tuấn",
            (
                _longan(2020, 1992, 120, _longan_2020(120, 1992, (1900, 2500, 1800))),
                _longan(2026, 2020, 150, _longan_bearing_2026(150)),
            ),
        ),
    ),
}
