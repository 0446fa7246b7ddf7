"""Versioned emissions methodologies (DESIGN §10), read from the parameter files beside this
module.

A methodology is named by ``id`` and ``version`` and lives in
``methodologies/{id}-v{version}.json``. Every value in a file carries its unit and its
source (the IPCC table, or the national study of a Tier 2 version). The code reads parameters
by name only, and checks when it reads a file that every parameter the calculator needs is
there, so a new version, or a country-specific methodology with its own factors (say
``vn-t2-rice-v1.json``), is a new file and no code change. Reports record the id and version
they were computed with, so they can be recomputed exactly after newer versions appear.

A file may also name crops (DESIGN §10b), each with its kind (``rice``, ``annual``,
``perennial``): it then covers every crop, with the energy, lime and orchard parameters
those need. A file that names none (``ipcc2019-t1-rice``) is rice only and stays as it was.
A value whose primary table could not be read carries a ``secondary_source`` saying where
it came from, and the explanation page flags it. Files are read once per folder and
cached; the folder is a parameter so tests can bring their own."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.errors import NotFound

FOLDER = Path(__file__).with_name("methodologies")
DEFAULT_ID = "ipcc2019-t1-crops"  # §10b: every crop; what a document gets when it names none
RICE_ID = "ipcc2019-t1-rice"  # §10: rice only, frozen for the results made with it

# The vocabularies of the §10 input. Every methodology file gives a value for each.
REGIONS = ("south_east_asia", "global")
WATER_REGIMES = (
    "continuous",
    "single_drainage",
    "multiple_drainage",
    "rainfed_regular",
    "rainfed_drought",
    "deep_water",
    "upland",
)
PRESEASONS = ("nonflooded_short", "nonflooded_long", "flooded_long", "nonflooded_over_year")
ORGANIC_KINDS = ("straw_short", "straw_long", "compost", "farmyard_manure", "green_manure")
N_SOURCES = ("synthetic", "organic")
GWP_SETS = ("AR5", "AR6")
GASES = ("ch4", "n2o")
# §10b: what a crop is, the climate zones of Table 5.1 and the fuels of the farm.
CROP_KINDS = ("rice", "annual", "perennial")
CLIMATES = ("tropical_moist", "tropical_wet", "tropical_dry")
DEFAULT_CLIMATE = "tropical_moist"
FUELS = ("diesel", "petrol")
FUEL_FACTORS = ("density", "ncv", "ef_co2", "ef_ch4", "ef_n2o")
LIMES = ("limestone", "dolomite")
PERENNIAL_FACTORS = ("g", "cycle", "l")

SCALARS = (
    "sf_o_exponent",
    "sf_s_r",
    "frac_gasf",
    "frac_gasm",
    "ef4",
    "frac_leach",
    "ef5",
    "urea_ef",
    "burning_cf",
    "burning_ef_ch4",
    "burning_ef_n2o",
)
REQUIRED = (
    *(f"ef_c.{r}" for r in REGIONS),
    *(f"sf_w.{w}" for w in WATER_REGIMES),
    *(f"sf_p.{p}" for p in PRESEASONS),
    *(f"cfoa.{k}" for k in ORGANIC_KINDS),
    *(f"ef1.{w}.{n}" for w in WATER_REGIMES for n in N_SOURCES),
    *(f"gwp.{g}.{gas}" for g in GWP_SETS for gas in GASES),
    *SCALARS,
)
# A file that names crops (§10b) gives these too; a §10 file names none and is rice only.
CROPS_REQUIRED = (
    "ef1_nonrice.synthetic",
    "ef1_nonrice.other",
    "residue_burning_cf",
    "grid_ef",
    *(f"lime_ef.{lime}" for lime in LIMES),
    *(f"fuel.{fuel}.{name}" for fuel in FUELS for name in FUEL_FACTORS),
    *(f"perennial.{zone}.{name}" for zone in CLIMATES for name in PERENNIAL_FACTORS),
)
RICE_ONLY_CROPS = MappingProxyType({"rice": "rice"})
FILE_NAME = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)-v(?P<version>[1-9][0-9]*)\.json$")


class UnknownMethodology(NotFound):
    """No methodology file has this id (and version)."""

    def __init__(self, methodology_id: str, version: int | None = None) -> None:
        if version is None:
            detail = _l("There is no methodology %(id)s.", id=methodology_id)
        else:
            detail = _l(
                "There is no version %(version)s of methodology %(id)s.",
                id=methodology_id,
                version=version,
            )
        super().__init__(detail)
        self.methodology_id = methodology_id
        self.version = version


class MethodologyError(Exception):
    """A methodology file is malformed: a fault of the deployment, found when it is read."""


@dataclass(frozen=True, slots=True)
class Factor:
    """One parameter value: ``key`` is its dotted path in the file, e.g. ``sf_w.upland``."""

    key: str
    value: float
    unit: str
    source: str
    secondary_source: str | None = None  # set where the primary table could not be read

    def to_json(self) -> dict[str, Any]:
        found = {
            "parameter": self.key,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
        }
        if self.secondary_source:
            found["secondary_source"] = self.secondary_source
        return found


@dataclass(frozen=True, slots=True)
class Methodology:
    """One version of a methodology: its identity, its citation and its parameters by path."""

    id: str
    version: int
    title: str
    source: str
    notes: str
    parameters: Mapping[str, Factor]
    crops: Mapping[str, str] = field(default_factory=lambda: RICE_ONLY_CROPS)  # code -> kind
    covers_crops: bool = False  # a §10b methodology: crops, energy, lime, orchards

    def kind(self, crop: str) -> str | None:
        """The kind of ``crop`` (``rice``, ``annual``, ``perennial``), None if unknown."""
        return self.crops.get(crop)

    def factor(self, *path: str) -> Factor:
        key = ".".join(path)
        try:
            return self.parameters[key]
        except KeyError:
            raise KeyError(f"{self.id} v{self.version} has no parameter {key}") from None

    def ef_c(self, region: str) -> Factor:
        """Baseline daily CH4 emission factor, kg CH4/ha/day (IPCC Table 5.11)."""
        return self.factor("ef_c", region)

    def sf_w(self, water_regime: str) -> Factor:
        """Scaling factor for the water regime during cultivation (Table 5.12)."""
        return self.factor("sf_w", water_regime)

    def sf_p(self, preseason: str) -> Factor:
        """Scaling factor for the water regime before cultivation (Table 5.13)."""
        return self.factor("sf_p", preseason)

    def cfoa(self, kind: str) -> Factor:
        """Conversion factor of an organic amendment, per t/ha (Table 5.14)."""
        return self.factor("cfoa", kind)

    def ef1(self, water_regime: str, n_source: str) -> Factor:
        """Direct N2O-N per kg N applied, by water regime and N source (Table 11.1)."""
        return self.factor("ef1", water_regime, n_source)

    def gwp(self, gwp_set: str, gas: str) -> Factor:
        """GWP-100 of ``gas`` (``ch4`` or ``n2o``) in the set ``AR5`` or ``AR6``."""
        return self.factor("gwp", gwp_set, gas)

    def ef1_nonrice(self, n_source: str) -> Factor:
        """Direct N2O-N per kg N on a non-flooded soil in a wet climate (Table 11.1):
        ``synthetic`` fertiliser or ``other`` N inputs."""
        return self.factor("ef1_nonrice", n_source)

    def lime_ef(self, lime: str) -> Factor:
        """Carbon per tonne of limestone or dolomite (Eq. 11.12)."""
        return self.factor("lime_ef", lime)

    def fuel(self, fuel: str, name: str) -> Factor:
        """A property of a farm fuel: density, NCV or an emission factor per TJ."""
        return self.factor("fuel", fuel, name)

    def perennial(self, climate: str, name: str) -> Factor:
        """Table 5.1 for the climate zone: ``g`` (t C/ha/yr), ``cycle`` (yr), ``l`` (t C/ha)."""
        return self.factor("perennial", climate, name)

    @property
    def grid_ef(self) -> Factor:
        return self.factor("grid_ef")

    @property
    def residue_burning_cf(self) -> Factor:
        return self.factor("residue_burning_cf")

    @property
    def sf_o_exponent(self) -> Factor:
        return self.factor("sf_o_exponent")

    @property
    def sf_s_r(self) -> Factor:
        return self.factor("sf_s_r")

    @property
    def frac_gasf(self) -> Factor:
        return self.factor("frac_gasf")

    @property
    def frac_gasm(self) -> Factor:
        return self.factor("frac_gasm")

    @property
    def ef4(self) -> Factor:
        return self.factor("ef4")

    @property
    def frac_leach(self) -> Factor:
        return self.factor("frac_leach")

    @property
    def ef5(self) -> Factor:
        return self.factor("ef5")

    @property
    def urea_ef(self) -> Factor:
        return self.factor("urea_ef")

    @property
    def burning_cf(self) -> Factor:
        return self.factor("burning_cf")

    @property
    def burning_ef_ch4(self) -> Factor:
        return self.factor("burning_ef_ch4")

    @property
    def burning_ef_n2o(self) -> Factor:
        return self.factor("burning_ef_n2o")


def available(folder: Path | None = None) -> list[tuple[str, int]]:
    """Every (id, version) in the folder, sorted."""
    return sorted(_catalogue(_folder(folder)))


def load_methodology(
    id: str, version: int | None = None, *, folder: Path | None = None
) -> Methodology:
    """The methodology ``id`` at ``version``, or at its latest version when None.

    Raises UnknownMethodology when there is no such file."""
    catalogue = _catalogue(_folder(folder))
    if version is None:
        versions = [v for (i, v) in catalogue if i == id]
        if not versions:
            raise UnknownMethodology(id)
        version = max(versions)
    try:
        return catalogue[(id, version)]
    except KeyError:
        raise UnknownMethodology(id, version) from None


def clear_cache() -> None:
    """Forget the files read so far (for tests that change a folder in place)."""
    _catalogue.cache_clear()
    _folder.cache_clear()


@functools.cache
def _folder(folder: Path | None) -> Path:
    """The folder as an absolute path, so that two spellings share one catalogue. Cached:
    resolving asks the file system (~35 µs), and every result computed looks its
    methodology up about three times (bench/mrv_bench.py)."""
    return (folder or FOLDER).resolve()


@functools.cache
def _catalogue(folder: Path) -> Mapping[tuple[str, int], Methodology]:
    found: dict[tuple[str, int], Methodology] = {}
    for path in sorted(folder.glob("*.json")):
        methodology = parse(json.loads(path.read_text(encoding="utf-8")), path.name)
        found[(methodology.id, methodology.version)] = methodology
    return MappingProxyType(found)


def parse(document: Any, name: str) -> Methodology:
    """A methodology from the content of the file ``name``, checked in full."""
    match = FILE_NAME.match(name)
    if not match:
        raise MethodologyError(f"{name}: methodology files are named {{id}}-v{{version}}.json")
    if not isinstance(document, dict):
        raise MethodologyError(f"{name}: not a JSON object")
    for key in ("id", "title", "source"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise MethodologyError(f"{name}: {key!r} must be a non-empty string")
    version = document.get("version")
    if type(version) is not int or version < 1:
        raise MethodologyError(f"{name}: 'version' must be a positive integer")
    if (document["id"], str(version)) != (match["id"], match["version"]):
        raise MethodologyError(f"{name}: holds {document['id']} version {version}")
    if not isinstance(document.get("parameters"), dict):
        raise MethodologyError(f"{name}: 'parameters' must be an object")
    parameters: dict[str, Factor] = {}
    _collect(document["parameters"], (), parameters, name)
    crops = _crops(document.get("crops"), name)
    required = (*REQUIRED, *CROPS_REQUIRED) if crops is not None else REQUIRED
    missing = [key for key in required if key not in parameters]
    if missing:
        raise MethodologyError(f"{name}: missing parameters {', '.join(missing)}")
    notes = document.get("notes", "")
    return Methodology(
        id=document["id"],
        version=version,
        title=document["title"],
        source=document["source"],
        notes=notes if isinstance(notes, str) else "",
        parameters=MappingProxyType(parameters),
        crops=crops if crops is not None else RICE_ONLY_CROPS,
        covers_crops=crops is not None,
    )


def _crops(node: Any, name: str) -> Mapping[str, str] | None:
    """The file's crops (code -> kind), None for a §10 file that names none."""
    if node is None:
        return None
    if not isinstance(node, dict) or not node:
        raise MethodologyError(f"{name}: 'crops' must be a non-empty object")
    for code, kind in node.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code) or kind not in CROP_KINDS:
            raise MethodologyError(f"{name}: crop {code!r} needs a code and a kind of {CROP_KINDS}")
    return MappingProxyType(dict(node))


def _collect(node: Any, path: tuple[str, ...], into: dict[str, Factor], name: str) -> None:
    key = ".".join(path)
    if not isinstance(node, dict) or not node:
        raise MethodologyError(f"{name}: {key or 'parameters'} must be a non-empty object")
    if "value" not in node:
        for child, value in node.items():
            _collect(value, (*path, child), into, name)
        return
    value, unit, source = node.get("value"), node.get("unit"), node.get("source")
    secondary = node.get("secondary_source")
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value < 0
    ):
        raise MethodologyError(f"{name}: {key} must have a finite, non-negative number")
    for part, text in (("unit", unit), ("source", source)):
        if not isinstance(text, str) or not text.strip():
            raise MethodologyError(f"{name}: {key} must give its {part}")
    if secondary is not None and (not isinstance(secondary, str) or not secondary.strip()):
        raise MethodologyError(f"{name}: {key} secondary_source must be a non-empty string")
    into[key] = Factor(
        key=key, value=float(value), unit=str(unit), source=str(source), secondary_source=secondary
    )
