"""How the label page tells a season's story, crop by crop (issue 20): which facts it shows
and in which words, by the crop's kind in the catalogue (registry/crops/kinds.json), never
by the crop's code. Rice tells its water (drainages, AWD), straw and N; an annual crop
(vegetables, flowers, maize) its N rate, irrigation and the energy used, what was done
with its residues and how many harvests it gave; an orchard its trees' age, its N,
pruning, residues and irrigation, and the carbon its trees took up, beside the emissions
and never subtracted from them.

`STORIES` is the table: each kind's facts are the names of macros in
templates/public/_story.html, and its words name the periods (season, crop cycle,
growing year) and places (fields, plots, orchards) as growers of that kind do. A kind
the table does not know tells the annual crop's story, which has no rice words in it.

`Diary` is what the story reads of a season's diary as it stands (corrections applied):
counts and the practices named, summarised from the entries by `summarise`, which is pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.trace.models import DiaryKind

#: The diary kinds any story reads (the chain reads only these entries).
DIARY_KINDS = (
    DiaryKind.WATER,
    DiaryKind.STRAW,
    DiaryKind.RESIDUE,
    DiaryKind.HARVEST,
    DiaryKind.PRUNING,
    DiaryKind.IRRIGATION,
)
#: Energy inputs of the §10b document and of irrigation entries' pumps, in the order shown.
ENERGY = ("electricity", "diesel", "petrol")
ENERGY_INPUTS = {"electricity": "electricity_kwh", "diesel": "diesel_l", "petrol": "petrol_l"}


@dataclass(frozen=True)
class Diary:
    """A season's diary as its story tells it."""

    drainages: int = 0  # water entries that drained the field (rice)
    straw: tuple[str, ...] = ()  # what was done with the straw (rice)
    residues: tuple[str, ...] = ()  # what was done with crop residues or prunings
    harvests: int = 0  # harvest entries
    pruning: tuple[str, ...] = ()  # kinds of pruning
    irrigation: tuple[str, ...] = ()  # how the crop was watered (drip, sprinklers…)
    pumps: Mapping[str, float] = field(default_factory=dict)  # pump energy by source


def summarise(entries: Iterable[tuple[DiaryKind | str, Mapping[str, Any]]]) -> Diary:
    """The story's summary of a season's current diary entries, given as (kind, data)."""
    drainages = harvests = 0
    sets: dict[str, set[str]] = {"straw": set(), "residues": set(), "pruning": set()}
    systems: set[str] = set()
    pumps: dict[str, float] = {}
    for kind, data in entries:
        if kind == DiaryKind.WATER and data.get("event") == "drainage":
            drainages += 1
        elif kind == DiaryKind.STRAW and data.get("practice"):
            sets["straw"].add(str(data["practice"]))
        elif kind == DiaryKind.RESIDUE and data.get("practice"):
            sets["residues"].add(str(data["practice"]))
        elif kind == DiaryKind.PRUNING and data.get("style"):
            sets["pruning"].add(str(data["style"]))
        elif kind == DiaryKind.HARVEST:
            harvests += 1
        elif kind == DiaryKind.IRRIGATION:
            if data.get("system"):
                systems.add(str(data["system"]))
            source = data.get("source")
            if source in ENERGY_INPUTS and data.get("amount"):
                pumps[source] = pumps.get(source, 0.0) + float(data["amount"])
    return Diary(
        drainages,
        tuple(sorted(sets["straw"])),
        tuple(sorted(sets["residues"])),
        harvests,
        tuple(sorted(sets["pruning"])),
        tuple(sorted(systems)),
        {s: pumps[s] for s in ENERGY if s in pumps},
    )


@dataclass(frozen=True, eq=False)
class Story:
    """The facts a kind's season shows (macros of templates/public/_story.html, in order)
    and the words its page uses."""

    facts: tuple[str, ...]
    places: Any  # the heading of the fields' card
    periods: Any  # the heading of the seasons' card
    this_period: Any  # the chart's bar of the period itself (the other is "2020")
    caption: Any  # the chart's caption
    journey: Any  # the heading of the steps' card


RICE = Story(
    ("water", "straw", "nitrogen"),
    _l("Fields"),
    _l("Seasons, practices and verified emissions"),
    _l("This season"),
    _l("Emissions per ha by gas, in kg CO₂e/ha: this season against the field's 2020 baseline"),
    _l("From field to package"),
)
ANNUAL = Story(
    ("nitrogen", "irrigation", "energy", "residues", "harvests"),
    _l("Plots"),
    _l("Crop cycles, practices and verified emissions"),
    _l("This cycle"),
    _l("Emissions per ha by gas, in kg CO₂e/ha: this crop cycle against the plot's 2020 cycle"),
    _l("From the plot to the pack"),
)
PERENNIAL = Story(
    ("tree_age", "nitrogen", "pruning", "residues", "irrigation", "energy", "harvests", "removals"),
    _l("Orchards"),
    _l("Growing years, practices and verified emissions"),
    _l("This year"),
    _l(
        "Emissions per ha by gas, in kg CO₂e/ha: this growing year against the orchard's 2020 "
        "growing year"
    ),
    _l("From the orchard to the pack"),
)
#: Each kind of the catalogue's story; a kind not named here tells the annual crop's.
STORIES: dict[str, Story] = {"rice": RICE, "annual": ANNUAL, "perennial": PERENNIAL}
#: The cards' headings of a chain that draws on crops of several kinds.
MIXED = Story(
    (),
    _l("Plots"),
    _l("Crops, practices and verified emissions"),
    _l("This cycle"),
    "",
    _l("From the plot to the pack"),
)


def story(kind: str) -> Story:
    return STORIES.get(kind, ANNUAL)


def chain_story(kinds: Iterable[str]) -> Story:
    """The words of a chain's cards: its kind's when all its seasons share one."""
    found = {id(s): s for s in map(story, kinds)}
    return next(iter(found.values())) if len(found) == 1 else MIXED
