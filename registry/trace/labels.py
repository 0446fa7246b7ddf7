"""What people see for the trace vocabulary: translated names of kinds, seasons, practices,
and the inputs of the phone diary form for each kind of entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from registry import crops
from registry.numbers import number
from registry.trace.finding import Progress
from registry.trace.models import DiaryKind, HandoverStatus, Scheme, SeasonType, Step

SEASON_LABELS = {
    SeasonType.DONG_XUAN: _l("Đông Xuân (winter–spring)"),
    SeasonType.HE_THU: _l("Hè Thu (summer–autumn)"),
    SeasonType.THU_DONG: _l("Thu Đông (autumn–winter)"),
    SeasonType.VU_MUA: _l("Vụ Mùa (main wet season)"),
    SeasonType.CROP_CYCLE: _l("Crop cycle"),
    SeasonType.GROWING_YEAR: _l("Growing year"),
}

PERIOD_HINTS = {
    SeasonType.CROP_CYCLE: _l("Cycles are numbered in the order they are opened on the field."),
    SeasonType.GROWING_YEAR: _l("Twelve months from the day it starts."),
}

KIND_LABELS = {
    DiaryKind.WATER: _l("Water: flooding or drainage"),
    DiaryKind.FERTILISER: _l("Fertiliser"),
    DiaryKind.AMENDMENT: _l("Organic amendment"),
    DiaryKind.STRAW: _l("Straw"),
    DiaryKind.PESTICIDE: _l("Pesticide"),
    DiaryKind.HARVEST: _l("Harvest"),
    DiaryKind.ENERGY: _l("Fuel and electricity"),
    DiaryKind.NOTE: _l("Note"),
    DiaryKind.SOWING: _l("Sowing or planting"),
    DiaryKind.PLANTING: _l("Trees planted"),
    DiaryKind.LIME: _l("Lime"),
    DiaryKind.IRRIGATION: _l("Irrigation"),
    DiaryKind.RESIDUE: _l("Crop residues"),
    DiaryKind.PRUNING: _l("Pruning"),
    DiaryKind.TREES: _l("Trees cut or replanted"),
}

#: What a season lacks for its MRV result, as the season list says it ("missing: harvest").
NEED_LABELS = {
    DiaryKind.WATER: _l("water (flooding, drainage)"),
    DiaryKind.HARVEST: _l("harvest"),
    DiaryKind.PLANTING: _l("year the trees were planted"),
}

#: Where a season stands on its way to a label (trace.finding.Progress).
PROGRESS_LABELS = {
    Progress.OPEN: _l("in progress"),
    Progress.HARVESTED: _l("harvested"),
    Progress.REPORTED: _l("reported, waiting for a verifier"),
    Progress.VERIFIED: _l("verified"),
}

SCHEME_LABELS = {
    Scheme.VIETGAP: "VietGAP",
    Scheme.GLOBALGAP: "GlobalGAP",
    Scheme.ORGANIC: _l("Organic"),
    Scheme.OCOP: "OCOP",
}

OPTION_LABELS: dict[str, Any] = {
    "flooding": _l("Flooding (nước vào ruộng)"),
    "drainage": _l("Drainage (rút nước, phơi ruộng)"),
    "straw": _l("Straw (rơm rạ)"),
    "compost": _l("Compost"),
    "farmyard_manure": _l("Farmyard manure (phân chuồng)"),
    "green_manure": _l("Green manure (phân xanh)"),
    "incorporated": _l("Incorporated into the soil"),
    "removed": _l("Removed from the field"),
    "burned": _l("Burned"),
    "mushroom": _l("Used to grow mushrooms"),
    "composted": _l("Composted"),
    "diesel": _l("Diesel (litres)"),
    "petrol": _l("Petrol (litres)"),
    "electricity": _l("Electricity (kWh)"),
    "none": _l("No pump (gravity or by hand)"),
    "pumping": _l("Pumping water"),
    "land_preparation": _l("Land preparation"),
    "harvesting": _l("Harvesting"),
    "transport": _l("Transport"),
    "cold_storage": _l("Cold storage"),
    "other": _l("Other"),
    "sown": _l("Sown from seed"),
    "transplanted": _l("Transplanted seedlings"),
    "cuttings": _l("Cuttings"),
    "limestone": _l("Limestone, ground (CaCO₃)"),
    "dolomite": _l("Dolomite"),
    "sprinkler": _l("Sprinklers"),
    "drip": _l("Drip"),
    "hose": _l("Hose or watering can"),
    "furrow": _l("Furrows"),
    "left": _l("Left on the field"),
    "after_harvest": _l("After the harvest"),
    "shaping": _l("Shaping the canopy"),
    "rejuvenation": _l("Hard pruning to renew old trees"),
    "sanitation": _l("Removing diseased branches"),
    "cut": _l("Cut, not replaced"),
    "replanted": _l("Cut and replanted with young trees"),
    "l": "l",
    "ml": "ml",
    "kg": "kg",
    "g": "g",
}


def _select(name: str, label: Any, options: list[str]) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "select", "options": options}


def _number(name: str, label: Any, step: str = "any", **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "number", "step": step, **extra}


def _text(name: str, label: Any, required: bool = True, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "text", "required": required, **extra}


DIARY_FIELDS: dict[str, list[dict[str, Any]]] = {
    "water": [
        _select("event", _l("What happened"), ["drainage", "flooding"]),
        {"name": "end_date", "label": _l("Flooded again on (for a drainage)"), "type": "date"},
    ],
    "fertiliser": [
        {
            "name": "product",
            "label": _l("Product"),
            "type": "text",
            "hint": _l("For example: Urê Phú Mỹ, NPK 20-20-15"),
        },
        _number("kg", _l("Amount (kg)")),
        _number("n_pct", _l("Nitrogen content (% N)"), hint=_l("Urea: leave empty (46 %)")),
        {"name": "urea", "label": _l("This is urea"), "type": "checkbox"},
        {"name": "organic", "label": _l("Organic fertiliser"), "type": "checkbox"},
    ],
    "amendment": [
        _select(
            "material", _l("Material"), ["straw", "compost", "farmyard_manure", "green_manure"]
        ),
        _number(
            "t_ha",
            _l("Amount (tonnes per ha)"),
            hint=_l("Straw in dry weight, others in fresh weight"),
        ),
    ],
    "straw": [
        _select(
            "practice",
            _l("What was done with the straw"),
            ["incorporated", "removed", "burned", "mushroom", "composted"],
        ),
        _number("tonnes", _l("Amount (tonnes)")),
    ],
    "pesticide": [
        {"name": "product", "label": _l("Product"), "type": "text"},
        {"name": "active_ingredient", "label": _l("Active ingredient"), "type": "text"},
        _number("amount", _l("Amount")),
        _select("unit", _l("Unit"), ["l", "ml", "kg", "g"]),
    ],
    "harvest": [
        _number("kg", _l("Harvested (kg)")),
        _number("moisture_pct", _l("Moisture (%)")),
    ],
    "energy": [
        _select("source", _l("Source"), ["diesel", "petrol", "electricity"]),
        _number("amount", _l("Amount (litres or kWh)")),
        _select(
            "purpose",
            _l("Used for"),
            ["pumping", "land_preparation", "harvesting", "transport", "cold_storage", "other"],
        ),
    ],
    "note": [{"name": "text", "label": _l("Note"), "type": "textarea"}],
    "sowing": [
        _text("variety", _l("Crop and variety"), hint=_l("For example: cải ngọt, cúc CN93")),
        _select("method", _l("How"), ["sown", "transplanted", "cuttings"]),
        _number("seed_kg", _l("Seed (kg)")),
        _number("plants", _l("Plants"), step="1"),
    ],
    "planting": [
        _number("trees", _l("Number of trees"), step="1", required=True),
        _number(
            "planting_year",
            _l("Year planted"),
            step="1",
            required=True,
            hint=_l("For the orchard's trees as they stand, the year most were planted"),
        ),
        _text("variety", _l("Variety"), required=False),
    ],
    "lime": [
        _select("lime_type", _l("Kind of lime"), ["limestone", "dolomite"]),
        _number(
            "tonnes", _l("Amount (tonnes)"), required=True, hint=_l("1 tonne = 20 bags of 50 kg")
        ),
    ],
    "irrigation": [
        _select("system", _l("Watered with"), ["sprinkler", "drip", "hose", "furrow"]),
        _select("source", _l("Pump"), ["electricity", "diesel", "petrol", "none"]),
        _number(
            "amount",
            _l("Amount (litres or kWh)"),
            required=False,
            hint=_l(
                "With a pump: the fuel or electricity it used"
                " (not again under fuel and electricity)"
            ),
        ),
        _number("hours", _l("Pump hours")),
    ],
    "residue": [
        _select(
            "practice",
            _l("What was done with the residues"),
            ["left", "incorporated", "removed", "composted", "burned"],
        ),
        _number(
            "tonnes",
            _l("Amount (tonnes)"),
            required=True,
            hint=_l("Stalks, leaves or prunings, dry weight"),
        ),
        _number(
            "n_pct",
            _l("Nitrogen content (% N of dry weight)"),
            hint=_l("If measured; empty: the crop's usual value"),
        ),
    ],
    "pruning": [
        _select(
            "style",
            _l("Kind of pruning"),
            ["after_harvest", "shaping", "rejuvenation", "sanitation"],
        ),
        _number("trees", _l("Number of trees"), step="1"),
    ],
    "trees": [
        _select("change", _l("What happened"), ["cut", "replanted"]),
        _number("trees", _l("Number of trees"), step="1"),
        _number("area_ha", _l("Area (ha)"), hint=_l("Give the number of trees, the area or both")),
    ],
}


def inputs_for(crop: crops.Crop, kind: str) -> list[dict[str, Any]]:
    """The form's inputs for an entry of `kind` on a season of `crop`: a harvest names the
    crop's product."""
    specs = DIARY_FIELDS[kind]
    if kind != DiaryKind.HARVEST:
        return specs
    product = _l("Harvested %(product)s (kg)", product=crop.product)
    return [{**s, "label": product} if s["name"] == "kg" else s for s in specs]


def describe(
    kind: str, data: dict[str, Any], crop: crops.Crop | None = None
) -> list[tuple[Any, Any]]:
    """A diary entry's data as (label, value) pairs in the form's order, for people."""
    pairs: list[tuple[Any, Any]] = []
    specs = inputs_for(crop, kind) if crop and kind in DIARY_FIELDS else DIARY_FIELDS.get(kind, [])
    for spec in specs:
        value = data.get(spec["name"])
        if value in (None, "", False):
            continue
        if spec["type"] == "checkbox":
            pairs.append((spec["label"], "✓"))
        elif spec["type"] == "date":
            pairs.append((spec["label"], "/".join(reversed(str(value).split("-")))))
        elif spec["type"] == "number":
            pairs.append((spec["label"], number(value, "#,##0.###")))
        else:
            pairs.append((spec["label"], OPTION_LABELS.get(value, value)))
    return pairs


class Names(Mapping[str, str]):
    """Codes → names in the reader's language, looked up when read (the catalogue knows
    products and processing steps; `fixed` holds the structural steps' translated names).
    Names start with a capital, to stand alone in a table or after a label."""

    def __init__(self, codes: Callable[[], Mapping[str, Any]], fixed: Mapping[str, Any]) -> None:
        self._codes, self._fixed = codes, fixed

    def __getitem__(self, code: str) -> str:
        if code in self._fixed:
            return str(self._fixed[code])
        found = self._codes().get(code)
        if found is None:
            raise KeyError(code)
        name: str = found.name
        return name[:1].upper() + name[1:]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._fixed, *self._codes()])

    def __len__(self) -> int:
        return len(self._fixed) + len(self._codes())


PRODUCT_LABELS: Mapping[str, str] = Names(crops.products, {})
"""Every product of the catalogue by code: `PRODUCT_LABELS["paddy"]` is "Thóc" in Vietnamese."""

STEP_LABELS: Mapping[str, str] = Names(
    crops.step_kinds,
    {Step.HARVEST: _l("Harvest"), Step.SPLIT: _l("Split"), Step.MERGE: _l("Merge")},
)
"""Harvest, split, merge and every processing step of the catalogue, by code."""

HANDOVER_LABELS = {
    HandoverStatus.PENDING: _l("waiting for an answer"),
    HandoverStatus.ACCEPTED: _l("accepted"),
    HandoverStatus.REJECTED: _l("rejected"),
    HandoverStatus.CANCELLED: _l("cancelled"),
}
