"""Which fields a crop takes (DESIGN §10b), by its kind as the methodology file names it:
the rice fields only for rice, residues only for annual and perennial crops, the orchard
fields only for perennials; what each kind requires; a harvest for rice and annual crops;
trees removed from no more than the field. A §10 methodology (rice only) takes none of the
§10b fields. Crop codes and kinds live in the methodology files; this module knows only the
three kinds, whose formulas differ.

``problems`` reads a season (and its baseline) as the schema loaded it, with the names the
document gave, and returns field errors in the schema's shape. ``calc_schema`` runs it when
it loads a document and ``quick_load`` runs it too, so both refuse the same documents."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from registry.verify.calc_fields import POSITIVE_YIELD
from registry.verify.methodology import (
    DEFAULT_ID,
    Methodology,
    UnknownMethodology,
    load_methodology,
)

RICE = ("rice",)
RESIDUES = ("annual", "perennial")
PERENNIAL = ("perennial",)

#: Field -> the kinds of crop that take it; fields not listed are for every crop.
ONLY_FOR: dict[str, tuple[str, ...]] = {
    "cultivation_days": RICE,
    "water_regime": RICE,
    "preseason": RICE,
    "organic": RICE,
    "straw_burned_t": RICE,
    "residue_n_kg": RESIDUES,
    "residue_burned_t": RESIDUES,
    "tree_age_years": PERENNIAL,
    "removed_area_ha": PERENNIAL,
    "climate": PERENNIAL,
}
ONLY_MESSAGES: dict[tuple[str, ...], Any] = {
    RICE: _l("Only for rice."),
    RESIDUES: _l("Only for annual and perennial crops; for rice straw, give straw_burned_t."),
    PERENNIAL: _l("Only for perennial crops (orchards)."),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "rice": ("cultivation_days", "water_regime", "preseason"),
    "annual": (),
    "perennial": ("tree_age_years",),
}
HARVEST_REQUIRED = ("rice", "annual")
#: §10b fields a §10 (rice only) methodology does not take.
CROPS_ONLY = (
    "lime",
    "diesel_l",
    "petrol_l",
    "electricity_kwh",
    "residue_n_kg",
    "residue_burned_t",
    "tree_age_years",
    "removed_area_ha",
    "climate",
)
MISSING = _l("Missing data for required field.")


def problems(
    data: Mapping[str, Any], given: Collection[str], baseline_given: Collection[str]
) -> dict[str, Any]:
    """Field errors of the season ``data`` (with its loaded ``baseline``, if any): the crop
    rules. ``given`` and ``baseline_given`` are the names each document gave. A methodology
    that does not exist (or is malformed) is left to the calculator, which names it."""
    methodology = _methodology(data.get("methodology"))
    crop = data.get("crop")
    if methodology is None or not isinstance(crop, str):
        return {}
    errors = _part(data, given, methodology, crop)
    baseline = data.get("baseline")
    if isinstance(baseline, Mapping) and "crop" not in errors:
        found = _part(baseline, baseline_given, methodology, baseline.get("crop") or crop)
        if found:
            errors["baseline"] = found
    return errors


def _methodology(methodology_id: object) -> Methodology | None:
    if not isinstance(methodology_id, str):
        return None
    try:
        return load_methodology(methodology_id)
    except UnknownMethodology:
        return None


def _part(
    data: Mapping[str, Any], given: Collection[str], m: Methodology, crop: str
) -> dict[str, Any]:
    kind = m.kind(crop)
    if kind is None:
        known = ", ".join(sorted(m.crops))
        return {"crop": [_l("Unknown crop. Known: %(crops)s.", crops=known)]}
    errors: dict[str, list[Any]] = {}
    for name in given:
        message = _refusal(name, kind, m)
        if message is not None:
            errors[name] = [message]
    for name in REQUIRED[kind]:
        if name not in given:
            errors[name] = [MISSING]
    errors.update(_harvest(data, kind))
    errors.update(_removed(data))
    return errors


def _refusal(name: str, kind: str, m: Methodology) -> Any | None:
    """Why ``name`` is refused for a crop of ``kind``, None if it is not."""
    if not m.covers_crops and name in CROPS_ONLY:
        return _l(
            "Methodology %(id)s does not take this field; methodology %(other)s does.",
            id=m.id,
            other=DEFAULT_ID,
        )
    kinds = ONLY_FOR.get(name)
    return ONLY_MESSAGES[kinds] if kinds is not None and kind not in kinds else None


def _harvest(data: Mapping[str, Any], kind: str) -> dict[str, list[Any]]:
    if kind not in HARVEST_REQUIRED or not isinstance(data.get("yield_kg"), float):
        return {}
    try:
        POSITIVE_YIELD(data["yield_kg"])
    except ValidationError as exc:
        return {"yield_kg": list(exc.messages)}
    return {}


def _removed(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    area, removed = data.get("area_ha"), data.get("removed_area_ha")
    if isinstance(area, float) and isinstance(removed, float) and removed > area:
        return {"removed_area_ha": [_l("Must be at most the field's area (area_ha).")]}
    return {}
