"""What people see for the trace vocabulary: translated names of kinds, seasons, practices,
and the inputs of the phone diary form for each kind of entry."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from registry.numbers import number
from registry.trace.models import DiaryKind, HandoverStatus, Product, Scheme, SeasonType, Step

SEASON_LABELS = {
    SeasonType.DONG_XUAN: _l("Đông Xuân (winter–spring)"),
    SeasonType.HE_THU: _l("Hè Thu (summer–autumn)"),
    SeasonType.THU_DONG: _l("Thu Đông (autumn–winter)"),
    SeasonType.VU_MUA: _l("Vụ Mùa (main wet season)"),
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
    "electricity": _l("Electricity (kWh)"),
    "pumping": _l("Pumping water"),
    "land_preparation": _l("Land preparation"),
    "harvesting": _l("Harvesting"),
    "transport": _l("Transport"),
    "other": _l("Other"),
    "l": "l",
    "ml": "ml",
    "kg": "kg",
    "g": "g",
}


def _select(name: str, label: Any, options: list[str]) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "select", "options": options}


def _number(name: str, label: Any, step: str = "any", **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "type": "number", "step": step, **extra}


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
        _number("kg", _l("Harvested paddy (kg)")),
        _number("moisture_pct", _l("Moisture (%)")),
    ],
    "energy": [
        _select("source", _l("Source"), ["diesel", "electricity"]),
        _number("amount", _l("Amount (litres or kWh)")),
        _select(
            "purpose",
            _l("Used for"),
            ["pumping", "land_preparation", "harvesting", "transport", "other"],
        ),
    ],
    "note": [{"name": "text", "label": _l("Note"), "type": "textarea"}],
}


def describe(kind: str, data: dict[str, Any]) -> list[tuple[Any, Any]]:
    """A diary entry's data as (label, value) pairs in the form's order, for people."""
    pairs: list[tuple[Any, Any]] = []
    for spec in DIARY_FIELDS.get(kind, []):
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


PRODUCT_LABELS = {
    Product.PADDY: _l("Paddy (lúa)"),
    Product.BROWN_RICE: _l("Brown rice (gạo lứt)"),
    Product.MILLED_RICE: _l("Milled rice (gạo trắng)"),
    Product.PACKAGED_RICE: _l("Packaged rice (gạo đóng gói)"),
}

STEP_LABELS = {
    Step.HARVEST: _l("Harvest"),
    Step.DRYING: _l("Drying"),
    Step.HUSKING: _l("Husking"),
    Step.MILLING: _l("Milling"),
    Step.POLISHING: _l("Polishing"),
    Step.PACKING: _l("Packing"),
    Step.SPLIT: _l("Split"),
    Step.MERGE: _l("Merge"),
}

HANDOVER_LABELS = {
    HandoverStatus.PENDING: _l("waiting for an answer"),
    HandoverStatus.ACCEPTED: _l("accepted"),
    HandoverStatus.REJECTED: _l("rejected"),
    HandoverStatus.CANCELLED: _l("cancelled"),
}
