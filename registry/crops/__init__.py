"""The crop catalogue: what the registry knows of each crop, read from the data files beside
this module, each value with its source.

``kinds.json`` describes the three kinds of DESIGN.md §10b (rice, annual, perennial): the
period a result covers (season, crop cycle, growing year), the season types a period may be
opened as, how far before the start the diary reaches, and whether the period records its
trees. ``catalogue/{code}.json`` describes one crop: its names, its harvested product, its
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


class CatalogueError(ValueError):
    """A catalogue file is malformed; raised when it is read, so a bad file never serves."""


class UnknownCrop(DomainError):
    title = _l("There is no such crop in the catalogue.")

    def __init__(self, code: str) -> None:
        message = str(_l("There is no crop %(code)s in the catalogue.", code=code))
        super().__init__(message, errors={"crop": [message]})


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
class Kind:
    """A kind of crop of §10b and the period its results cover."""

    code: str
    period: str
    season_types: tuple[str, ...]
    preseason_days: int
    period_months: int | None
    tree_stand: bool


@dataclass(frozen=True, slots=True)
class Crop:
    """One crop of the catalogue. `document` is the file as read, sources included."""

    code: str
    names: Mapping[str, str]
    products: Mapping[str, str]
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
        """The harvested product in the reader's language."""
        return self.products[_language()]

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
    )


def _crop(path: Path, kinds: Mapping[str, Kind]) -> Crop:
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
    return Crop(
        code=code,
        names=_words(where, document, "name"),
        products=_words(where, document, "product"),
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
    found = [_crop(path, kinds) for path in sorted((folder / "catalogue").glob("*.json"))]
    order = list(kinds)
    found.sort(key=lambda c: (c.code != DEFAULT, order.index(c.kind.code), c.code))
    if DEFAULT not in {c.code for c in found}:
        raise CatalogueError(f"the catalogue has no {DEFAULT}")
    return MappingProxyType({c.code: c for c in found})


def codes() -> tuple[str, ...]:
    return tuple(catalogue())


def get(code: str) -> Crop:
    """The crop named `code`; `UnknownCrop` (422, on the field `crop`) if there is none."""
    found = catalogue().get(code)
    if found is None:
        raise UnknownCrop(code)
    return found
