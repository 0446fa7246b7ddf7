"""The public calculator's service: a visitor's entry (the loaded query string) becomes the
registry's calculator document (DESIGN §10, §10b) and runs through ``calc_from_json``, the
code behind `registry mrv calc` and `POST /api/v1/mrv/calc`; the "what if" comparisons are
the same entry changed as units.json says and run again.

What a crop's form offers follows the crop's kind in the methodology file and the fields
``crop_rules`` lets that kind take, so a new crop is a data change. Nothing here stores or
logs what it is given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from registry import crops
from registry.calculator.data import Named, units
from registry.calculator.schemas import CHOOSE, query_schema
from registry.validation import localise
from registry.verify import crop_rules
from registry.verify.calc_schema import calc_from_json
from registry.verify.methodology import DEFAULT_ID, load_methodology
from registry.verify.words import INPUTS, VALUES

Entry = dict[str, Any]
Errors = dict[str, list[str]]

#: Form field -> the calculator field it feeds; fields a kind of crop does not take (as
#: crop_rules.ONLY_FOR says) are neither offered nor read.
FEEDS: dict[str, str] = {
    "area": "area_ha",
    "yield": "yield_kg",
    "days": "cultivation_days",
    "water": "water_regime",
    "preseason": "preseason",
    "n_syn": "synthetic_n_kg",
    "n_org": "organic_n_kg",
    "diesel": "diesel_l",
    "pump_diesel": "diesel_l",
    "petrol": "petrol_l",
    "kwh": "electricity_kwh",
    "tree_age": "tree_age_years",
    "removed_area": "removed_area_ha",
    "climate": "climate",
}
AMENDMENTS_FEED = "organic"
#: Calculator field -> the form field its messages are shown beside.
SHOWN_AT: dict[str, str] = {
    **{calc: form for form, calc in FEEDS.items() if form != "pump_diesel"},
    "crop": "crop",
    "organic": "residue_amount",
    "straw_burned_t": "residue_amount",
    "residue_n_kg": "residue_amount",
    "residue_burned_t": "residue_amount",
    "urea_kg": "urea",
    "lime": "limestone",
}

#: The breakdown by gas and source: (gas, breakdown key, what it is, GWP factor or None).
#: A row shows when the methodology reported its key for the crop.
SOURCES: tuple[tuple[str, str, Any, str | None], ...] = (
    ("CH₄", "ch4_rice_kg", _l("Flooded rice field"), "gwp_ch4"),
    ("CH₄", "ch4_burning_kg", _l("Burning straw or crop residues"), "gwp_ch4"),
    ("CH₄", "ch4_fuel_kg", _l("Diesel and petrol engines"), "gwp_ch4"),
    ("N₂O", "n2o_soils_kg", _l("Nitrogen in the soil (fertiliser, manure, residues)"), "gwp_n2o"),
    ("N₂O", "n2o_burning_kg", _l("Burning straw or crop residues"), "gwp_n2o"),
    ("N₂O", "n2o_fuel_kg", _l("Diesel and petrol engines"), "gwp_n2o"),
    ("CO₂", "co2_urea_kg", _l("Urea"), None),
    ("CO₂", "co2_lime_kg", _l("Lime"), None),
    ("CO₂", "co2_fuel_kg", _l("Diesel and petrol engines"), None),
    ("CO₂", "co2_electricity_kg", _l("Grid electricity"), None),
    ("CO₂", "co2_biomass_loss_kg", _l("Trees cut and not replaced"), None),
)


class EntryProblems(Exception):
    """What the visitor typed cannot be computed: messages by form field."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("calculator entry refused")
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Row:
    gas: str
    source: Any
    kg_gas: float
    kg_co2e: float


@dataclass(frozen=True, slots=True)
class Comparison:
    """One "what if": the changed entry, its result and its effect against the entry's."""

    what: Named
    entry: Entry
    result: Mapping[str, Any]
    change_kg_co2e: float
    change_pct: float | None


@dataclass(frozen=True, slots=True)
class Outcome:
    document: Mapping[str, Any]  # the calculator document: what `registry mrv calc` reads
    result: Mapping[str, Any]
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...]
    given: list[tuple[Any, Any, Any]]  # summary(document)


# ---------------------------------------------------------------- what a crop's form holds
def crop_choices() -> list[crops.Crop]:
    """Every crop of the methodology that the catalogue describes, in the file's order."""
    catalogue = crops.catalogue()
    return [catalogue[code] for code in load_methodology(DEFAULT_ID).crops if code in catalogue]


def kind_of(crop: str) -> str:
    kind = load_methodology(DEFAULT_ID).kind(crop)
    if kind is None:
        raise EntryProblems({"crop": [str(CHOOSE)]})
    return kind


def takes(kind: str, form_field: str) -> bool:
    """Whether a crop of ``kind`` takes ``form_field`` (crop_rules.ONLY_FOR)."""
    calc = AMENDMENTS_FEED if form_field in units().amendments else FEEDS.get(form_field)
    only = crop_rules.ONLY_FOR.get(calc or "")
    return only is None or kind in only


def handling(kind: str) -> Mapping[str, Named]:
    """How straw or residues may be handled for a crop of ``kind``."""
    return units().handling[kind]


# ---------------------------------------------------------------- reading and computing
def read_entry(args: Mapping[str, Any]) -> Entry:
    """The query string loaded; raises EntryProblems with messages by field."""
    try:
        entry: Entry = query_schema()().load(dict(args))
    except ValidationError as exc:
        raise EntryProblems(_flat(exc.messages)) from exc
    if entry["residue"] not in handling(kind_of(entry["crop"])):
        raise EntryProblems({"residue": [str(CHOOSE)]})
    return entry


def _flat(messages: Any) -> Errors:
    """Marshmallow's messages as lists of strings per top-level field, localised."""
    found: Errors = {}
    for name, value in messages.items() if isinstance(messages, Mapping) else []:
        found[str(name)] = _strings(localise(value))
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _kg(entry: Entry, name: str, unit: str | None = None) -> float:
    """``entry[name]`` in kg, by its unit field (``{name}_unit`` unless named)."""
    factor = units().mass_units[entry[unit or f"{name}_unit"]]["kg"]
    return float(entry.get(name, 0.0)) * factor


def _ha(entry: Entry, name: str) -> float:
    return float(entry[name]) * units().area_units[entry["area_unit"]]["m2"] / 10_000


def to_document(entry: Entry) -> dict[str, Any]:
    """The calculator document of an entry: quantities for the whole field and period, in
    the units of §10 (ha, kg, t, L, kWh)."""
    u, kind = units(), kind_of(entry["crop"])
    area_ha = _ha(entry, "area")
    document: dict[str, Any] = {
        "methodology": DEFAULT_ID,
        "crop": entry["crop"],
        "area_ha": area_ha,
        "yield_kg": _kg(entry, "yield"),
        "synthetic_n_kg": entry.get("n_syn", 0.0)
        + sum(_kg(entry, code) * f["n_pct"] / 100 for code, f in u.fertilisers.items()),
        "organic_n_kg": entry.get("n_org", 0.0),
        "urea_kg": sum(_kg(entry, code) for code, f in u.fertilisers.items() if f.get("urea")),
        "lime": {f"{code}_t": _kg(entry, code) / 1000 for code in u.limes},
        "diesel_l": entry.get("diesel", 0.0) + entry.get("pump_diesel", 0.0),
        "petrol_l": entry.get("petrol", 0.0),
        "electricity_kwh": entry.get("kwh", 0.0),
    }
    for form, calc in FEEDS.items():
        if calc not in document and form in entry and takes(kind, form):
            document[calc] = _ha(entry, form) if form == "removed_area" else entry[form]
    organic = [
        {"kind": a["kind"], "t_ha": _kg(entry, code) / 1000 / area_ha}
        for code, a in u.amendments.items()
        if entry.get(code) and takes(kind, code)
    ]
    for name, value in _residues(entry, kind, area_ha).items():
        if name == "organic":
            organic += value
        else:
            document[name] = value
    if organic:  # only rice takes amendments (crop_rules); straw ploughed in is one
        document["organic"] = organic
    return document


def _residues(entry: Entry, kind: str, area_ha: float) -> dict[str, Any]:
    """Straw or residues as the handling chosen makes them count."""
    how = handling(kind)[entry["residue"]]
    dry_t = _kg(entry, "residue_amount", "residue_unit") / 1000
    if how["effect"] == "burned":
        return {how["feeds"]: dry_t}
    if how["effect"] == "amendment":
        return {"organic": [{"kind": how["amendment"], "t_ha": dry_t / area_ha}]}
    if how["effect"] == "returned":
        n_pct = crops.catalogue()[entry["crop"]].residue_n_pct
        if n_pct is None:
            raise EntryProblems(
                {"residue": [str(_l("No N content of this crop's residues is known."))]}
            )
        return {"residue_n_kg": dry_t * 1000 * n_pct / 100}
    return {}


def run(entry: Entry) -> tuple[dict[str, Any], dict[str, Any]]:
    """The calculator document of ``entry`` and its result, as `registry mrv calc` gives it."""
    document = to_document(entry)
    try:
        return document, calc_from_json(document)
    except ValidationError as exc:
        raise EntryProblems(_shown(exc.messages)) from exc


def _shown(messages: Any) -> Errors:
    """The calculator's messages moved to the form fields they concern."""
    found: Errors = {}
    for name, said in _flat(messages).items():
        found.setdefault(SHOWN_AT.get(name, "crop"), []).extend(said)
    return found


def calculate(entry: Entry) -> Outcome:
    """The entry's result, its breakdown and every comparison that applies to it."""
    document, result = run(entry)
    return Outcome(
        document,
        result,
        breakdown(result),
        tuple(comparisons(entry, result)),
        summary(document),
    )


def breakdown(result: Mapping[str, Any]) -> tuple[Row, ...]:
    """The result by gas and source in kg CO₂e; the rows add up to its total."""
    parts, factors = result["breakdown"], result["factors"]
    rows = []
    for gas, key, source, gwp in SOURCES:
        if key in parts:
            weight = factors[gwp]["value"] if gwp else 1.0
            rows.append(Row(gas, source, parts[key], parts[key] * weight))
    return tuple(rows)


def summary(document: Mapping[str, Any]) -> list[tuple[Any, float | Any, Any]]:
    """What the calculator was given, in its own units, for the printed page: (what, value,
    unit) for each quantity that is not zero."""
    product = crops.catalogue()[document["crop"]].product
    lines: list[tuple[Any, float | Any, Any]] = []
    for name, value in document.items():
        if name in ("methodology", "crop") or not value:
            continue
        if name == "yield_kg":  # words.INPUTS names the paddy of a rice season
            lines.append((_l("Harvest (%(product)s)", product=product), value, "kg"))
            continue
        if isinstance(value, Mapping):
            lines += [(INPUTS[k][0], v, INPUTS[k][1]) for k, v in value.items() if v]
        elif isinstance(value, list):
            lines += [(_amendment_name(a["kind"]), a["t_ha"], "t/ha") for a in value]
        else:
            lines.append((INPUTS[name][0], VALUES.get(value, value), INPUTS[name][1]))
    return lines


def _amendment_name(kind: str) -> str:
    """An organic amendment's name: the straw handling or the amendment that feeds it."""
    u = units()
    named = [a for a in u.amendments.values() if a["kind"] == kind] + [
        how for hows in u.handling.values() for how in hows.values() if how.get("amendment") == kind
    ]
    return named[0].name if named else kind


# ---------------------------------------------------------------- what if
def comparisons(entry: Entry, result: Mapping[str, Any]) -> list[Comparison]:
    """The comparisons of units.json that apply to this crop and entry, each computed."""
    kind, found = kind_of(entry["crop"]), []
    for what in units().comparisons:
        changed = _changed(what, entry) if kind in what["kinds"] else None
        if changed is None:
            continue
        _, other = run(changed)
        change = other["total_kg_co2e"] - result["total_kg_co2e"]
        base = result["total_kg_co2e"]
        found.append(
            Comparison(what, changed, other, change, 100 * change / base if base else None)
        )
    return found


def _changed(what: Named, entry: Entry) -> Entry | None:
    """``entry`` as the comparison changes it, or None when it changes nothing."""
    if "set" in what.values:
        return _set(what, entry)
    if "scale" in what.values:
        return _scaled(entry, float(what["scale"]))
    if "pump" in what.values and entry.get("pump_diesel"):
        kwh = entry["pump_diesel"] * units().pump_kwh_per_l_diesel
        return {**entry, "pump_diesel": 0.0, "kwh": entry.get("kwh", 0.0) + kwh}
    return None


def _set(what: Named, entry: Entry) -> Entry | None:
    when: Mapping[str, list[str]] = what.get("when", {})
    unless: Mapping[str, list[str]] = what.get("unless", {})
    if any(entry.get(k) not in v for k, v in when.items()):
        return None
    if any(entry.get(k) in v for k, v in unless.items()):
        return None
    if what.get("needs") and not entry.get(what["needs"]):
        return None
    return {**entry, **what["set"]}


def _scaled(entry: Entry, factor: float) -> Entry | None:
    """Every N input scaled by ``factor``; None when the entry gives no N."""
    names = [*units().fertilisers, "n_syn", "n_org"]
    if not any(entry.get(name) for name in names):
        return None
    return {**entry, **{name: entry[name] * factor for name in names if entry.get(name)}}
