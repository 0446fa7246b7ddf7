"""The calculator's everyday units, fertiliser grades, straw and residue handling and "what
if" comparisons, read from units.json beside this module. Every value there carries its
source; the loader refuses one without, as the crop catalogue does. Names come in Vietnamese
and English like the catalogue's, so a new product or unit is a data change."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.crops import LANGUAGES, _language

FILE = Path(__file__).with_name("units.json")


class UnitsError(ValueError):
    """units.json is malformed; raised when it is read, so a bad file never serves."""


@dataclass(frozen=True, slots=True)
class Named:
    """An entry of units.json: its code, its names and its source."""

    code: str
    names: Mapping[str, str]
    source: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.names[_language()]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclass(frozen=True, slots=True)
class Quantity:
    """The units a kind of quantity may be given in, the first offered being the default."""

    units: tuple[str, ...]
    default: str


@dataclass(frozen=True, slots=True)
class Units:
    area_units: Mapping[str, Named]  # values: m2
    mass_units: Mapping[str, Named]  # values: kg
    quantities: Mapping[str, Quantity]
    fertilisers: Mapping[str, Named]  # values: n_pct, urea
    amendments: Mapping[str, Named]  # values: kind (a §10 organic amendment)
    limes: Mapping[str, Named]
    handling: Mapping[str, Mapping[str, Named]]  # crop kind -> code -> effect, amendment
    pump_kwh_per_l_diesel: float
    pump_source: str
    comparisons: tuple[Named, ...]  # values: kinds and one of set, scale, pump


def _named(where: str, code: str, entry: Any) -> Named:
    if not isinstance(entry, Mapping):
        raise UnitsError(f"{where} {code}: must be an object")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise UnitsError(f"{where} {code}: has no source")
    if not all(isinstance(entry.get(lang), str) and entry[lang] for lang in LANGUAGES):
        raise UnitsError(f"{where} {code}: needs names in {', '.join(LANGUAGES)}")
    names = {lang: entry[lang] for lang in LANGUAGES}
    values = {k: v for k, v in entry.items() if k not in (*LANGUAGES, "source")}
    return Named(code, names, source, values)


def _group(document: Mapping[str, Any], key: str) -> dict[str, Named]:
    return {code: _named(key, code, entry) for code, entry in document[key].items()}


def _quantities(
    document: Mapping[str, Any], mass_units: Mapping[str, Named]
) -> dict[str, Quantity]:
    found = {}
    for name, entry in document["quantities"].items():
        units = tuple(entry["units"])
        if not entry.get("source") or entry["default"] not in units or set(units) - set(mass_units):
            raise UnitsError(
                f"quantities {name}: needs known units, a default among them, a source"
            )
        found[name] = Quantity(units, entry["default"])
    return found


@functools.cache
def units(path: Path = FILE) -> Units:
    """The file as read, checked; read once per path."""
    document = json.loads(path.read_text(encoding="utf-8"))
    try:
        mass_units = _group(document, "mass_units")
        pump = document["pump_kwh_per_l_diesel"]
        if not pump.get("source") or not float(pump["value"]) > 0:
            raise UnitsError("pump_kwh_per_l_diesel: needs a value > 0 and a source")
        return Units(
            area_units=_group(document, "area_units"),
            mass_units=mass_units,
            quantities=_quantities(document, mass_units),
            fertilisers=_group(document, "fertilisers"),
            amendments=_group(document, "amendments"),
            limes=_group(document, "limes"),
            handling={
                kind: {
                    code: _named(f"residue_handling {kind}", code, e) for code, e in entries.items()
                }
                for kind, entries in document["residue_handling"].items()
            },
            pump_kwh_per_l_diesel=float(pump["value"]),
            pump_source=pump["source"],
            comparisons=tuple(
                _named("comparisons", entry.get("code", "?"), entry)
                for entry in document["comparisons"]
            ),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise UnitsError(f"{path.name}: {exc!r}") from exc
