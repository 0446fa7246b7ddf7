"""From a season's farm diary to the calculator's input (DESIGN.md §10 and §10b).

Pure: takes a season's facts and its diary as it stands and returns the input document,
which diary entries fed each input (so people can see where a number came from), and the
list of what to fix when the diary is incomplete or contradictory. A season with problems
gets no number. `derive` reads an ORM season; `derive_from` reads plain data, so that
`results.compute_many` can feed it rows read in bulk.

What a crop's period takes depends on its kind in the crop catalogue: rice derives water,
amendments, days and straw burning; annual and perennial crops the N of residues left and
the residues burned; a perennial its trees' age and the area cut. Lime, diesel, petrol and
electricity (fuel and power entries and pumps) are derived for every crop. A document for
the frozen §10 methodology leaves those out (results.document_for)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from registry import crops
from registry.trace.models import DiaryKind, Season
from registry.trace.service import current_entries

STRAW_SHORT_DAYS = 30  # IPCC Table 5.14: straw incorporated < 30 days before cultivation
FLOODED_LONG_DAYS = 30  # IPCC Table 5.13: flooded pre-season > 30 days
MAX_YIELD_KG_HA = 15_000  # above any rice yield on record in Vietnam: a typing error


@dataclass
class Derivation:
    """The calculator input for one season, its provenance, and what blocks it."""

    season: str
    inputs: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    problems: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class SeasonFacts:
    """What derivation reads of a season besides its diary."""

    code: str
    sowing_date: date
    harvest_date: date | None
    harvested_kg: float | None
    area_ha: float  # the field's
    crop: str = crops.DEFAULT  # a catalogue code
    planting_year: int | None = None  # perennials: the year most trees were planted
    tree_count: int | None = None  # perennials: trees standing at the start

    @classmethod
    def of(cls, season: Season) -> SeasonFacts:
        return cls(
            season.code,
            season.sowing_date,
            season.harvest_date,
            season.harvested_kg,
            season.field.area_ha,
            season.crop,
            season.planting_year,
            season.tree_count,
        )

    @property
    def kind(self) -> str:
        return crops.get(self.crop).kind.code


class DiaryRecord(Protocol):
    """What derivation reads of a diary entry: a `DiaryEntry`, or a row read in bulk."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> DiaryKind: ...

    @property
    def date(self) -> date: ...

    @property
    def data(self) -> dict[str, Any]: ...


Entries = Sequence[DiaryRecord]


def derive(season: Season) -> Derivation:
    """The season's own inputs (without a baseline)."""
    return derive_from(SeasonFacts.of(season), current_entries(season))


def derive_from(season: SeasonFacts, entries: Entries) -> Derivation:
    """The inputs of a season whose diary as it stands (corrections applied, in date and id
    order) is `entries`."""
    result = Derivation(season.code)
    result.inputs["crop"] = season.crop
    for step in (*BY_KIND[season.kind], _nitrogen, _lime, _energy):
        step(season, entries, result)
    result.inputs["area_ha"] = season.area_ha
    return result


def _days_and_yield(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    harvests = [e for e in entries if e.kind is DiaryKind.HARVEST]
    if not harvests or season.harvest_date is None or not season.harvested_kg:
        out.problems.append(_l("Record the harvest (date and kg) to finish the season."))
        return
    days = (season.harvest_date - season.sowing_date).days
    if not 1 <= days <= 365:
        out.problems.append(_l("From sowing to harvest must be 1 to 365 days."))
        return
    out.inputs["cultivation_days"] = days
    out.inputs["yield_kg"] = season.harvested_kg
    out.sources["cultivation_days"].extend(e.id for e in harvests)
    out.sources["yield_kg"].extend(e.id for e in harvests)
    if season.harvested_kg / season.area_ha > MAX_YIELD_KG_HA:
        out.problems.append(
            _l(
                "The harvest is over %(t)d t/ha: check the kg and the field's area.",
                t=MAX_YIELD_KG_HA // 1000,
            )
        )


def _water(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    """No drainage: continuous flooding; one: single drainage; two or more: AWD."""
    water = [e for e in entries if e.kind is DiaryKind.WATER]
    if not water:
        out.problems.append(
            _l("Record the water regime: at least the flooding before sowing, and every drainage.")
        )
        return
    drainages = [e for e in water if e.data.get("event") == "drainage"]
    for e in drainages:
        end = e.data.get("end_date")
        if end and date.fromisoformat(end) < e.date:
            out.problems.append(
                _l(
                    "The drainage of %(d)s is flooded again before it started.",
                    d=e.date.strftime("%d/%m/%Y"),
                )
            )
    regime = ("continuous", "single_drainage", "multiple_drainage")[min(len(drainages), 2)]
    out.inputs["water_regime"] = regime
    out.sources["water_regime"].extend(e.id for e in water)
    floods = [e for e in water if e.data.get("event") == "flooding" and e.date < season.sowing_date]
    long_flood = any(
        season.sowing_date - e.date > timedelta(days=FLOODED_LONG_DAYS) for e in floods
    )
    out.inputs["preseason"] = "flooded_long" if long_flood else "nonflooded_short"
    out.sources["preseason"].extend(e.id for e in floods)


def _amendments(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    totals: dict[str, float] = defaultdict(float)
    for e in entries:
        if e.kind is not DiaryKind.AMENDMENT:
            continue
        kind = e.data["material"]
        if kind == "straw":
            before = (season.sowing_date - e.date).days
            kind = "straw_long" if before > STRAW_SHORT_DAYS else "straw_short"
        totals[kind] += float(e.data["t_ha"])
        out.sources["organic"].append(e.id)
    out.inputs["organic"] = [{"kind": k, "t_ha": v} for k, v in sorted(totals.items())]


def _nitrogen(_season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    synthetic = organic = urea = 0.0
    for e in entries:
        if e.kind is not DiaryKind.FERTILISER:
            continue
        n = float(e.data["kg"]) * float(e.data["n_pct"]) / 100
        if e.data.get("organic"):
            organic += n
            out.sources["organic_n_kg"].append(e.id)
        else:
            synthetic += n
            out.sources["synthetic_n_kg"].append(e.id)
        if e.data.get("urea"):
            urea += float(e.data["kg"])
            out.sources["urea_kg"].append(e.id)
    out.inputs.update(synthetic_n_kg=synthetic, organic_n_kg=organic, urea_kg=urea)


def _burning(_season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    burned = [e for e in entries if e.kind is DiaryKind.STRAW and e.data["practice"] == "burned"]
    out.inputs["straw_burned_t"] = sum(float(e.data["tonnes"]) for e in burned)
    out.sources["straw_burned_t"].extend(e.id for e in burned)


def _harvest(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    """An annual crop's cycle ends with its harvests (summed); an orchard's growing year
    may have none (a young orchard), and then yields 0."""
    harvests = [e for e in entries if e.kind is DiaryKind.HARVEST]
    if season.kind != "perennial" and (not harvests or not season.harvested_kg):
        out.problems.append(_l("Record the harvest (date and kg) to finish the season."))
        return
    out.inputs["yield_kg"] = season.harvested_kg or 0.0
    out.sources["yield_kg"].extend(e.id for e in harvests)


def _residues_burned(_season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    burned = [e for e in entries if e.kind is DiaryKind.RESIDUE and e.data["practice"] == "burned"]
    out.inputs["residue_burned_t"] = sum(float(e.data["tonnes"]) for e in burned)
    out.sources["residue_burned_t"].extend(e.id for e in burned)


#: What a grower did with residues that leaves their N in the field's soil (§10b residue_n).
#: Composted residues are not counted here: their N counts when the compost is spread, as
#: an organic fertiliser entry with its N content.
RESIDUES_RETURNED = ("left", "incorporated")


def _residue_n(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    """N in residues left or worked in: dry tonnes x the N content the entry gives, else
    the crop's usual content from the catalogue (cited there)."""
    usual = crops.get(season.crop).residue_n_pct
    total = 0.0
    for e in entries:
        if e.kind is not DiaryKind.RESIDUE or e.data["practice"] not in RESIDUES_RETURNED:
            continue
        pct = e.data.get("n_pct")
        pct = usual if pct is None else float(pct)
        if pct is None:
            out.problems.append(
                _l(
                    "Give the nitrogen content (%% N) of the residues left on %(d)s.",
                    d=e.date.strftime("%d/%m/%Y"),
                )
            )
            continue
        total += float(e.data["tonnes"]) * 1000 * pct / 100
        out.sources["residue_n_kg"].append(e.id)
    out.inputs["residue_n_kg"] = total


def _trees(season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    """The trees' age at the start of the growing year, and the area of trees cut and not
    replaced (a count alone is turned into area by the trees standing)."""
    planted = [e for e in entries if e.kind is DiaryKind.PLANTING]
    year = season.planting_year or max((int(e.data["planting_year"]) for e in planted), default=0)
    if not year:
        out.problems.append(_l("Record when the trees were planted (a planting entry)."))
        return
    out.inputs["tree_age_years"] = max(0, season.sowing_date.year - year)
    out.sources["tree_age_years"].extend(e.id for e in planted)
    cut = [e for e in entries if e.kind is DiaryKind.TREES and e.data.get("change") == "cut"]
    area = sum(_area_cut(season, e.data) for e in cut)
    out.inputs["removed_area_ha"] = min(area, season.area_ha)
    out.sources["removed_area_ha"].extend(e.id for e in cut)


def _area_cut(season: SeasonFacts, data: dict[str, Any]) -> float:
    if data.get("area_ha"):
        return float(data["area_ha"])
    if data.get("trees") and season.tree_count:
        return season.area_ha * float(data["trees"]) / season.tree_count
    return 0.0


def _lime(_season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    tonnes = {"limestone": 0.0, "dolomite": 0.0}
    for e in entries:
        if e.kind is DiaryKind.LIME:
            tonnes[e.data["lime_type"]] += float(e.data["tonnes"])
            out.sources["lime"].append(e.id)
    out.inputs["lime"] = {f"{kind}_t": t for kind, t in tonnes.items()}


#: Fuel and power entries, and pumps, by source: the calculator input they add to.
ENERGY_INPUTS = {"diesel": "diesel_l", "petrol": "petrol_l", "electricity": "electricity_kwh"}


def _energy(_season: SeasonFacts, entries: Entries, out: Derivation) -> None:
    totals = dict.fromkeys(ENERGY_INPUTS.values(), 0.0)
    for e in entries:
        if e.kind not in (DiaryKind.ENERGY, DiaryKind.IRRIGATION):
            continue
        name = ENERGY_INPUTS.get(e.data.get("source", ""))
        if name is not None and e.data.get("amount"):
            totals[name] += float(e.data["amount"])
            out.sources[name].append(e.id)
    out.inputs.update(totals)


Step = Callable[[SeasonFacts, Entries, Derivation], None]
#: What each kind of crop (§10b, the catalogue's kinds) derives besides N, lime and energy:
#: their formulas differ by kind, so the kind, not the crop, picks them.
BY_KIND: dict[str, tuple[Step, ...]] = {
    "rice": (_days_and_yield, _water, _amendments, _burning),
    "annual": (_harvest, _residue_n, _residues_burned),
    "perennial": (_harvest, _residue_n, _residues_burned, _trees),
}
