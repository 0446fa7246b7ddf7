"""Many seasons read at once for `results.compute_many`: a few Core queries per batch give
the seasons with their field's area, the fields' 2020 seasons and the diaries as they
stand, as plain rows that `inputs.derive_from` reads. No ORM object is built: at 100,000
seasons, building and tracking them cost more than computing the emissions."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Integer, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, aliased

from registry.db import Db, in_ha, in_kg
from registry.trace.models import DiaryEntry, DiaryKind, Field, Season, SeasonType
from registry.verify.inputs import Derivation, SeasonFacts, derive_from


class SeasonRow(NamedTuple):
    id: int
    field_id: int
    season_type: SeasonType
    year: int
    cycle: int
    facts: SeasonFacts

    @property
    def crop(self) -> str:
        return self.facts.crop


class EntryRow(NamedTuple):
    """A diary entry as `inputs.DiaryRecord` reads it."""

    id: int
    kind: DiaryKind
    date: date
    data: dict[str, Any]
    supersedes_id: int | None
    season_id: int


@dataclass
class Batch:
    """Seasons asked for (in id order), their fields' 2020 seasons and every diary."""

    seasons: list[SeasonRow]
    baselines: dict[int, list[SeasonRow]]  # by field id, in id order
    diaries: dict[int, list[EntryRow]]  # by season id, in date and id order
    derived: dict[int, Derivation] = field(default_factory=dict)

    def derivation(self, season: SeasonRow) -> Derivation:
        """The season's inputs, derived once per batch (a baseline serves several seasons)."""
        found = self.derived.get(season.id)
        if found is None:
            found = derive_from(season.facts, current(self.diaries.get(season.id, [])))
            self.derived[season.id] = found
        return found


def current(entries: list[EntryRow]) -> list[EntryRow]:
    """`trace.service.current_entries` on rows: the entries no correction replaced."""
    replaced = {e.supersedes_id for e in entries if e.supersedes_id}
    return [e for e in entries if e.id not in replaced] if replaced else entries


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one batch. A batch keeps ~10^6 small
    containers alive (diary rows, documents, results) that reference counting frees
    anyway; with the collector on, every older-generation pass re-traverses them all,
    which took ~30 % of a batch's CPU time (100 k seasons on PostgreSQL)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def among(session: Db, column: QueryableAttribute[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """`column IN ids`. On PostgreSQL `column = ANY(:ids)`: one array parameter instead of
    thousands keeps the statement short, so psycopg does not convert thousands of
    placeholders on every execution (~0.3 ms a season with 1,000-season batches)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer), unique=True))
    return column.in_(ids)


def read(session: Db, season_ids: Sequence[int], baseline_year: int) -> Batch:
    """The seasons of `season_ids` that exist, with the seasons of `baseline_year` on their
    fields and the diaries of both."""
    asked = aliased(Season)
    seasons = _seasons(session, among(session, Season.id, season_ids))
    baselines: dict[int, list[SeasonRow]] = {}
    for base in _seasons(
        session,
        Season.year == baseline_year,
        Season.field_id.in_(select(asked.field_id).where(among(session, asked.id, season_ids))),
    ):
        baselines.setdefault(base.field_id, []).append(base)
    wanted = {s.id for s in seasons}.union(b.id for bs in baselines.values() for b in bs)
    return Batch(seasons, baselines, _diaries(session, sorted(wanted)))


def _seasons(session: Db, *where: ColumnElement[bool]) -> list[SeasonRow]:
    rows = session.execute(
        select(
            Season.id,
            Season.field_id,
            Season.season_type,
            Season.year,
            Season.cycle,
            Season.code,
            Season.sowing_date,
            Season.harvest_date,
            in_kg(Season.harvested_g),
            in_ha(Field.area_m2),
            Season.crop,
            Season.planting_year,
            Season.tree_count,
        )
        .join(Field, Season.field_id == Field.id)
        .where(*where)
        .order_by(Season.id)
    )
    return [
        SeasonRow(sid, fid, kind, year, cycle, SeasonFacts(*facts))
        for sid, fid, kind, year, cycle, *facts in rows
    ]


def _diaries(session: Db, season_ids: Sequence[int]) -> dict[int, list[EntryRow]]:
    """Every entry of the seasons, corrections included, in `Season.entries` order."""
    rows: Iterable[Any] = session.execute(
        select(
            DiaryEntry.id,
            DiaryEntry.kind,
            DiaryEntry.date,
            DiaryEntry.data,
            DiaryEntry.supersedes_id,
            DiaryEntry.season_id,
        )
        .where(among(session, DiaryEntry.season_id, season_ids))
        .order_by(DiaryEntry.season_id, DiaryEntry.date, DiaryEntry.id)
    )
    diaries: dict[int, list[EntryRow]] = {}
    for row in rows:
        entry = EntryRow._make(row)
        diaries.setdefault(entry.season_id, []).append(entry)
    return diaries
