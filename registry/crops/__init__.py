"""The crop catalogue: what the registry knows of each crop, read from the data files beside
this module, each value with its source.

``kinds.json`` describes the three kinds of DESIGN.md §10b (rice, annual, perennial): the
period a result covers (season, crop cycle, growing year), the season types a period may be
opened as, how far before the start the diary reaches, whether the period records its
trees, and which diary kinds its MRV result cannot do without. ``steps.json`` names the
processing steps (drying, milling, washing, grading…) and the EPCIS event and CBV business
step each one is recorded with. ``catalogue/{code}.json``
describes one crop: its names, its products (codes unique across the catalogue, so a
product names its crop) and which of them is harvested, the steps between its products with
the yield range of each output and of the loss, its
kind, whether it is harvested once or several times, the diary kinds its growers keep, and
the typical yield and N per ha that an entry is questioned outside of, and (where a source
gives one) the N content of its residues. A new crop is a new
file, not a code change. Every value is an object with a ``source``; the loader refuses a
file without one, so that nothing about a crop is unexplained.

Files are read once per folder and cached; the folder is a parameter so tests can bring
their own."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from registry.errors import DomainError

FOLDER = Path(__file__).parent
DEFAULT = "rice"  # what a season is when nobody says (every season before issue 19)
LANGUAGES = ("vi", "en")
HARVESTS = ("single", "several")
EVENTS = ("transformation", "aggregation")
STEP_KEYS = {"step", "input", "outputs", "loss", "source"}
STRUCTURAL_STEPS = ("harvest", "split", "merge")  # how batches are made that are not steps
CODE_LENGTH = 20  # batches keep product and step codes in VARCHAR(20) columns
# CBV 2.0 §7.2 business steps, as the EPCIS 2.0 JSON Schema lists them
# (../shared/data/epcis/EPCIS-JSON-Schema.json, definitions.bizStep); a step with none
# that fits is recorded with the registry's own URI.
CBV_BIZ_STEPS = frozenset(
    [
        "accepting",
        "arriving",
        "assembling",
        "collecting",
        "commissioning",
        "consigning",
        "creating_class_instance",
        "cycle_counting",
        "decommissioning",
        "departing",
        "destroying",
        "disassembling",
        "dispensing",
        "encoding",
        "entering_exiting",
        "holding",
        "inspecting",
        "installing",
        "killing",
        "loading",
        "other",
        "packing",
        "picking",
        "receiving",
        "removing",
        "repackaging",
        "repairing",
        "replacing",
        "reserving",
        "retail_selling",
        "shipping",
        "staging_outbound",
        "stock_taking",
        "stocking",
        "storing",
        "transporting",
        "unloading",
        "unpacking",
        "void_shipping",
        "sensor_reporting",
        "sampling",
    ]
)


class CatalogueError(ValueError):
    """A catalogue file is malformed; raised when it is read, so a bad file never serves."""


class UnknownCrop(DomainError):
    title = _l("There is no such crop in the catalogue.")

    def __init__(self, code: str) -> None:
        message = str(_l("There is no crop %(code)s in the catalogue.", code=code))
        super().__init__(message, errors={"crop": [message]})


class UnknownProduct(DomainError):
    title = _l("There is no such product in the catalogue.")

    def __init__(self, code: str) -> None:
        message = str(_l("There is no product %(code)s in the catalogue.", code=code))
        super().__init__(message, errors={"product": [message]})


@dataclass(frozen=True, slots=True)
class Range:
    """Typical values per ha; outside them an entry is questioned, never refused."""

    low: float
    high: float
    unit: str
    source: str

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Share:
    """The part of a step's input (kg out per kg in) that one output, or the loss, may be."""

    low: float
    high: float

    def holds(self, ratio: float) -> bool:
        return self.low - 1e-9 <= ratio <= self.high + 1e-9


@dataclass(frozen=True, slots=True)
class Product:
    """A product of a crop: what a batch is made of. Codes are unique across the catalogue."""

    code: str
    crop: str
    names: Mapping[str, str]
    source: str

    @property
    def name(self) -> str:
        """The product's name in the reader's language (lower case, for a sentence)."""
        return self.names[_language()]


@dataclass(frozen=True, slots=True)
class StepKind:
    """A processing step of steps.json: its names and how EPCIS records it."""

    code: str
    names: Mapping[str, str]
    event: str  # transformation or aggregation
    biz_step: str | None  # a CBV 2.0 word, or None: the registry's own URI

    @property
    def name(self) -> str:
        return self.names[_language()]


@dataclass(frozen=True, slots=True)
class Transform:
    """A step applied to one input product: the outputs it gives, the first being the main
    product and the others co-products, each within its share of the input, and the share
    that may be lost (water, dust, rejects). Every kg of input is one or the other."""

    step: StepKind
    input: str
    outputs: Mapping[str, Share]
    loss: Share
    source: str

    @property
    def main(self) -> str:
        return next(iter(self.outputs))

    @property
    def coproducts(self) -> tuple[str, ...]:
        return tuple(self.outputs)[1:]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of crop of §10b and the period its results cover."""

    code: str
    period: str
    season_types: tuple[str, ...]
    preseason_days: int
    period_months: int | None
    tree_stand: bool
    #: The diary kinds without which a period gets no MRV result (registry/verify/inputs.py
    #: asks for each): the season lists find and mark the seasons that lack one.
    mrv_needs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Crop:
    """One crop of the catalogue. `document` is the file as read, sources included."""

    code: str
    names: Mapping[str, str]
    harvested: str  # the code of the product a harvest batch is made of
    products: Mapping[str, Product]  # every product of the crop by code, harvested first
    transforms: tuple[Transform, ...]
    kind: Kind
    harvests: str
    diary_kinds: tuple[str, ...]
    yield_kg_ha: Range
    n_kg_ha: Range
    residue_n_pct: float | None  # N in the dry matter of residues; None: the grower says
    document: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The crop's name in the reader's language."""
        return self.names[_language()]

    @property
    def product(self) -> str:
        """The harvested product's name in the reader's language."""
        return self.products[self.harvested].name

    @property
    def several_harvests(self) -> bool:
        return self.harvests == "several"

    def offers(self, diary_kind: str) -> bool:
        return diary_kind in self.diary_kinds


def _language() -> str:
    """The reader's language (the app's default in a command); Vietnamese outside an app."""
    locale = get_locale()
    language = locale.language if locale is not None else LANGUAGES[0]
    return language if language in LANGUAGES else LANGUAGES[0]


# ---------------------------------------------------------------- reading the files
def _sourced(where: str, document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    entry = document.get(key)
    if not isinstance(entry, Mapping):
        raise CatalogueError(f"{where}: {key} is missing")
    if not isinstance(entry.get("source"), str) or not entry["source"].strip():
        raise CatalogueError(f"{where}: {key} has no source")
    return entry


def _value(where: str, document: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = _sourced(where, document, key).get("value")
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise CatalogueError(f"{where}: {key} must be {kind}")
    return value


def _words(where: str, document: Mapping[str, Any], key: str) -> Mapping[str, str]:
    entry = _sourced(where, document, key)
    if not all(isinstance(entry.get(lang), str) and entry[lang] for lang in LANGUAGES):
        raise CatalogueError(f"{where}: {key} needs {' and '.join(LANGUAGES)}")
    return MappingProxyType({lang: entry[lang] for lang in LANGUAGES})


def _range(where: str, document: Mapping[str, Any], key: str) -> Range:
    entry = _sourced(where, document, key)
    low: Any = entry.get("low")
    high: Any = entry.get("high")
    if not (_is_number(low) and _is_number(high) and isinstance(entry.get("unit"), str)):
        raise CatalogueError(f"{where}: {key} needs numbers low and high and a unit")
    if not 0 <= low <= high:
        raise CatalogueError(f"{where}: {key} needs 0 <= low <= high")
    return Range(float(low), float(high), entry["unit"], entry["source"])


def _optional_number(where: str, document: Mapping[str, Any], key: str) -> float | None:
    """A sourced number a crop may lack (then None), such as a factor with no cited value."""
    if key not in document:
        return None
    value: Any = _sourced(where, document, key).get("value")
    if not _is_number(value) or value < 0:
        raise CatalogueError(f"{where}: {key} must be a number >= 0")
    return float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _strings(where: str, document: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = _value(where, document, key, list)
    if not values or not all(isinstance(v, str) for v in values) or len(set(values)) < len(values):
        raise CatalogueError(f"{where}: {key} must be distinct names")
    return tuple(values)


def _kind(code: str, document: Mapping[str, Any]) -> Kind:
    where = f"kinds.json {code}"
    months = document.get("period_months")
    return Kind(
        code=code,
        period=_value(where, document, "period", str),
        season_types=_strings(where, document, "season_types"),
        preseason_days=_value(where, document, "preseason_days", int),
        period_months=None if months is None else _value(where, document, "period_months", int),
        tree_stand=_value(where, document, "tree_stand", bool),
        mrv_needs=_strings(where, document, "mrv_needs"),
    )


def _step_kind(code: str, document: Any) -> StepKind:
    where = f"steps.json {code}"
    if not isinstance(document, Mapping) or code in STRUCTURAL_STEPS:
        raise CatalogueError(f"{where}: must be an object and not a structural step")
    _check_code(where, code)
    event = _value(where, document, "event", str)
    if event not in EVENTS:
        raise CatalogueError(f"{where}: event must be one of {EVENTS}")
    biz = _sourced(where, document, "biz_step").get("value")
    if biz is not None and biz not in CBV_BIZ_STEPS:
        raise CatalogueError(f"{where}: biz_step must be a CBV 2.0 business step or null")
    return StepKind(code, _words(where, document, "name"), event, biz)


def _check_code(where: str, code: Any) -> None:
    if (
        not isinstance(code, str)
        or not 0 < len(code) <= CODE_LENGTH
        or not code.replace("_", "").isalnum()
        or not code.isascii()
        or code != code.lower()
    ):
        raise CatalogueError(f"{where}: {code!r} is not a code (a-z, 0-9, _; 20 at most)")


def _share(where: str, entry: Any) -> Share:
    if not isinstance(entry, Mapping) or set(entry) != {"low", "high"}:
        raise CatalogueError(f"{where}: needs low and high, and nothing else")
    low, high = entry["low"], entry["high"]
    if not (_is_number(low) and _is_number(high) and 0 <= low <= high <= 1):
        raise CatalogueError(f"{where}: needs 0 <= low <= high <= 1")
    return Share(float(low), float(high))


def _products(where: str, document: Mapping[str, Any], crop: str) -> dict[str, Product]:
    entries = document.get("products")
    if not isinstance(entries, Mapping) or not entries:
        raise CatalogueError(f"{where}: products is missing")
    found = {}
    for code in entries:
        _check_code(f"{where} products", code)
        names = _words(f"{where} products", entries, code)
        found[code] = Product(code, crop, names, entries[code]["source"])
    harvested = _value(where, document, "harvested", str)
    if harvested not in found:
        raise CatalogueError(f"{where}: harvested {harvested} is not one of its products")
    return {harvested: found[harvested], **found}


def _transforms(
    where: str,
    document: Mapping[str, Any],
    products: Mapping[str, Product],
    steps: Mapping[str, StepKind],
) -> tuple[Transform, ...]:
    entries = document.get("steps")
    if not isinstance(entries, list):
        raise CatalogueError(f"{where}: steps must be a list")
    found: list[Transform] = []
    for n, entry in enumerate(entries):
        here = f"{where} steps[{n}]"
        if not isinstance(entry, Mapping) or set(entry) != {
            "step",
            "input",
            "outputs",
            "loss",
            "source",
        }:
            raise CatalogueError(f"{here}: needs step, input, outputs, loss and source only")
        if not isinstance(entry["source"], str) or not entry["source"].strip():
            raise CatalogueError(f"{here}: has no source")
        step = steps.get(entry["step"])
        if step is None:
            raise CatalogueError(f"{here}: step {entry['step']!r} is not in steps.json")
        outputs = entry["outputs"]
        if entry["input"] not in products or not isinstance(outputs, Mapping) or not outputs:
            raise CatalogueError(f"{here}: input and outputs must be the crop's products")
        if any(code not in products for code in outputs):
            raise CatalogueError(f"{here}: an output is not one of the crop's products")
        shares = {code: _share(f"{here} {code}", value) for code, value in outputs.items()}
        loss = _share(f"{here} loss", entry["loss"])
        if not (
            sum(s.low for s in shares.values()) + loss.low
            <= 1
            <= sum(s.high for s in shares.values()) + loss.high
        ):
            raise CatalogueError(f"{here}: the outputs and loss can never make up the input")
        if step.event == "aggregation" and len(shares) > 1:
            raise CatalogueError(f"{here}: an aggregation (packing) has one output")
        if any(t.step.code == step.code and t.input == entry["input"] for t in found):
            raise CatalogueError(f"{here}: {step.code} from {entry['input']} is given twice")
        found.append(
            Transform(step, entry["input"], MappingProxyType(shares), loss, entry["source"])
        )
    return tuple(found)


def _crop(path: Path, kinds: Mapping[str, Kind], steps: Mapping[str, StepKind]) -> Crop:
    where = path.name
    document = json.loads(path.read_text(encoding="utf-8"))
    code = document.get("code")
    if code != path.stem:
        raise CatalogueError(f"{where}: code must be the file's name, {path.stem}")
    kind = _value(where, document, "kind", str)
    if kind not in kinds:
        raise CatalogueError(f"{where}: kind {kind} is not in kinds.json")
    harvests = _value(where, document, "harvests", str)
    if harvests not in HARVESTS:
        raise CatalogueError(f"{where}: harvests must be one of {HARVESTS}")
    products = _products(where, document, code)
    return Crop(
        code=code,
        names=_words(where, document, "name"),
        harvested=next(iter(products)),
        products=MappingProxyType(products),
        transforms=_transforms(where, document, products, steps),
        kind=kinds[kind],
        harvests=harvests,
        diary_kinds=_strings(where, document, "diary_kinds"),
        yield_kg_ha=_range(where, document, "yield_kg_ha"),
        n_kg_ha=_range(where, document, "n_kg_ha"),
        residue_n_pct=_optional_number(where, document, "residue_n_pct"),
        document=MappingProxyType(document),
    )


@functools.cache
def catalogue(folder: Path = FOLDER) -> Mapping[str, Crop]:
    """Every crop by code: rice first, then by kind (as kinds.json orders them) and code."""
    documents = json.loads((folder / "kinds.json").read_text(encoding="utf-8"))
    kinds = {code: _kind(code, document) for code, document in documents.items()}
    steps = _read_steps(folder)
    found = [_crop(path, kinds, steps) for path in sorted((folder / "catalogue").glob("*.json"))]
    order = list(kinds)
    found.sort(key=lambda c: (c.code != DEFAULT, order.index(c.kind.code), c.code))
    if DEFAULT not in {c.code for c in found}:
        raise CatalogueError(f"the catalogue has no {DEFAULT}")
    owners: dict[str, str] = {}
    for crop in found:
        for code in crop.products:
            if code in owners or code in steps or code in STRUCTURAL_STEPS:
                raise CatalogueError(f"{crop.code}.json: product {code} is not unique")
            owners[code] = crop.code
    return MappingProxyType({c.code: c for c in found})


def _read_steps(folder: Path) -> Mapping[str, StepKind]:
    documents = json.loads((folder / "steps.json").read_text(encoding="utf-8"))
    if not isinstance(documents, Mapping):
        raise CatalogueError("steps.json must be an object")
    return MappingProxyType({code: _step_kind(code, doc) for code, doc in documents.items()})


@functools.cache
def _index(folder: Path = FOLDER) -> tuple[Mapping[str, Product], Mapping[str, StepKind]]:
    """Every product by code, and every step kind by code (cached with the catalogue)."""
    found = catalogue(folder)
    products = {code: p for crop in found.values() for code, p in crop.products.items()}
    kinds = {t.step.code: t.step for crop in found.values() for t in crop.transforms}
    return MappingProxyType(products), MappingProxyType({**_read_steps(folder), **kinds})


def product(code: str) -> Product:
    """The product of that code; `UnknownProduct` (422 on `product`) if there is none."""
    found = _index()[0].get(code)
    if found is None:
        raise UnknownProduct(code)
    return found


def products() -> Mapping[str, Product]:
    """Every product of every crop, by code (crops in catalogue order)."""
    return _index()[0]


def step_kind(code: str) -> StepKind | None:
    """A processing step by code (None for harvest, split, merge or an unknown code)."""
    return _index()[1].get(code)


def step_kinds() -> Mapping[str, StepKind]:
    return _index()[1]


def crop_of(product_code: str) -> Crop:
    """The crop a product comes from."""
    return get(product(product_code).crop)


def transforms_from(product_code: str) -> tuple[Transform, ...]:
    """The steps that take this product as input, in the crop file's order."""
    crop = crop_of(product_code)
    return tuple(t for t in crop.transforms if t.input == product_code)


def transform(step: str, input_product: str) -> Transform | None:
    """The step `step` applied to `input_product`, or None where it does not apply."""
    return next((t for t in transforms_from(input_product) if t.step.code == step), None)


def codes() -> tuple[str, ...]:
    return tuple(catalogue())


def get(code: str) -> Crop:
    """The crop named `code`; `UnknownCrop` (422, on the field `crop`) if there is none."""
    found = catalogue().get(code)
    if found is None:
        raise UnknownCrop(code)
    return found
