"""Finding fields and seasons among an HTX's hundreds: search, filters, pages of 50, and
which seasons lack the diary entries their MRV result needs.

Search is without case or accents ("ha dong" finds "Hà Đông") on SQLite and PostgreSQL
alike: each field keeps its code, name and planting-area code folded (`search_text`, set
when the field is registered), and every word of the query must occur in it. What a
season's MRV result needs is the crop catalogue's (`Kind.mrv_needs`, the diary kinds that
registry/verify/inputs.py asks for before it derives a result); a season lacks one when its
diary has no entry of that kind, corrections included (a correction keeps its kind). The
filter asks the database (NOT EXISTS over the diary's season index) and the marker on each
listed season asks one query for the whole page, never one a row.

The status a season is listed under is where it stands on its way to a label: `open` (being
sown or grown, no report waiting), `harvested` (harvest recorded, not reported yet, or sent
back), `reported` (in a report waiting for a verifier) and `verified` (its newest result is
in an approved report, as `verify.results.verified` counts it). Each season has one."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from registry import crops
from registry.db import Db
from registry.folding import fold
from registry.trace.models import DiaryEntry, DiaryKind, Field, Season, SeasonStatus
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus

PER_PAGE = 50
T = TypeVar("T")

#: A season's own column that stands in for a needed entry: an orchard's planting year,
#: given when its growing year was opened, as registry/verify/inputs.py `_trees` reads it.
STAND_INS = {DiaryKind.PLANTING: Season.planting_year}


class Progress(enum.StrEnum):
    OPEN = "open"
    HARVESTED = "harvested"
    REPORTED = "reported"
    VERIFIED = "verified"


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, which page it is (from 1), how many rows the filters
    matched and how many there are without them."""

    items: list[T]
    number: int
    matched: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.matched / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based; 0 on an empty page)."""
        return (self.number - 1) * self.per_page + 1 if self.items else 0


def search_text(code: str, name: str, planting_area_code: str | None) -> str:
    """What a field is searched by: its code, name and planting-area code, folded."""
    return fold(" ".join(part for part in (code, name, planting_area_code) if part))


def _matches(column: Any, q: str | None) -> ColumnElement[bool] | None:
    """Every word of the query, folded, occurs in `column`; None (no condition) for an
    empty query. Folded words hold letters and digits only, so no LIKE wildcard (% or _)
    reaches the database, and a query of punctuation alone ("--", "?!", "%") has no word
    to find: it matches nothing (it listed everything, as if the box were empty)."""
    if q is None or not q.strip():
        return None
    words = fold(q).split()
    if not words:
        return false()
    return and_(*(column.contains(word) for word in words))


def _paged(session: Db, query: Select[Any], total: int, number: int | None) -> Page[Any]:
    """Page `number` of the query's rows; every row as one page when `number` is None (the
    API's answer when no page is asked for, as it was before pages)."""
    if number is None:
        rows = list(session.scalars(query))
        return Page(rows, 1, len(rows), total, per_page=max(len(rows), 1))
    matched = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    shown = session.scalars(query.limit(PER_PAGE).offset((number - 1) * PER_PAGE))
    return Page(list(shown), number, matched or 0, total)


# ---------------------------------------------------------------- fields
def find_fields(
    session: Db,
    organisation_id: int,
    *,
    q: str | None = None,
    commune: str | None = None,
    crop: str | None = None,
    page: int | None = 1,
) -> Page[Field]:
    """The organisation's fields that match, by code, a page of them with their seasons."""
    mine = Field.organisation_id == organisation_id
    query = select(Field).where(mine).order_by(Field.code).options(selectinload(Field.seasons))
    text = _matches(Field.search_text, q)
    if text is not None:
        query = query.where(text)
    if commune:
        query = query.where(Field.commune == commune)
    if crop:
        grown = select(Season.id).where(Season.field_id == Field.id, Season.crop == crop)
        query = query.where(grown.exists())
    total = session.scalar(select(func.count(Field.id)).where(mine)) or 0
    return _paged(session, query, total, page)


def communes_of(session: Db, organisation_id: int) -> list[str]:
    """The communes the organisation's fields are in, for the commune filter."""
    query = select(Field.commune).where(Field.organisation_id == organisation_id).distinct()
    return sorted(session.scalars(query))


# ---------------------------------------------------------------- seasons
def find_seasons(
    session: Db,
    organisation_id: int,
    *,
    q: str | None = None,
    crop: str | None = None,
    year: int | None = None,
    status: str | None = None,
    missing: bool = False,
    page: int | None = 1,
) -> Page[Season]:
    """The organisation's seasons that match, newest sowing first. `q` searches the season
    code and its field's code, name and planting-area code; `missing` keeps the seasons
    that lack an entry their MRV result needs."""
    mine = Field.organisation_id == organisation_id
    query = (
        select(Season)
        .join(Season.field)
        .where(mine)
        .options(contains_eager(Season.field))
        .order_by(Season.sowing_date.desc(), Season.code)
    )
    text = _matches(func.lower(Season.code) + " " + Field.search_text, q)
    if text is not None:
        query = query.where(text)
    for column, value in ((Season.crop, crop), (Season.year, year)):
        if value is not None:
            query = query.where(column == value)
    if status is not None:
        query = query.where(_in_progress(Progress(status)))
    if missing:
        query = query.where(lacking())
    total = session.scalar(select(func.count(Season.id)).join(Season.field).where(mine)) or 0
    return _paged(session, query, total, page)


def years_of(session: Db, organisation_id: int) -> list[int]:
    """The years the organisation has seasons in, newest first, for the year filter."""
    query = select(Season.year).join(Season.field).where(Field.organisation_id == organisation_id)
    return sorted(set(session.scalars(query.distinct())), reverse=True)


def _verified() -> ColumnElement[bool]:
    """The season's newest result is in an approved report."""
    newest = select(func.max(EmissionResult.id)).where(
        EmissionResult.season_id == ReportSeason.season_id
    )
    return (
        select(ReportSeason.season_id)
        .join(MrvReport, MrvReport.id == ReportSeason.report_id)
        .where(ReportSeason.season_id == Season.id, MrvReport.status == ReportStatus.APPROVED)
        .where(ReportSeason.result_id == newest.scalar_subquery())
        .exists()
    )


WAITING = (ReportStatus.SUBMITTED, ReportStatus.UNDER_REVIEW)


def _waiting() -> ColumnElement[bool]:
    """The season is in a report that waits for a verifier."""
    return (
        select(ReportSeason.season_id)
        .join(MrvReport, MrvReport.id == ReportSeason.report_id)
        .where(ReportSeason.season_id == Season.id, MrvReport.status.in_(WAITING))
        .exists()
    )


def _in_progress(progress: Progress) -> ColumnElement[bool]:
    verified, waiting = _verified(), _waiting()
    if progress is Progress.VERIFIED:
        return verified
    if progress is Progress.REPORTED:
        return and_(waiting, ~verified)
    status = SeasonStatus.HARVESTED if progress is Progress.HARVESTED else SeasonStatus.OPEN
    return and_(Season.status == status, ~waiting, ~verified)


def progress_of(session: Db, seasons: Sequence[Season]) -> dict[int, Progress]:
    """Where each listed season stands, in two queries for the page."""
    ids = [s.id for s in seasons]
    of_page = Season.id.in_(ids)
    verified = set(session.scalars(select(Season.id).where(of_page, _verified())))
    waiting = set(session.scalars(select(Season.id).where(of_page, _waiting())))
    found = {}
    for s in seasons:
        if s.id in verified:
            found[s.id] = Progress.VERIFIED
        elif s.id in waiting:
            found[s.id] = Progress.REPORTED
        else:
            harvested = s.status is SeasonStatus.HARVESTED
            found[s.id] = Progress.HARVESTED if harvested else Progress.OPEN
    return found


# ---------------------------------------------------------------- what the MRV lacks
def _needs_by_kind() -> dict[str, tuple[list[str], tuple[DiaryKind, ...]]]:
    """For each kind of crop of the catalogue: its crops' codes and the diary kinds it needs."""
    found: dict[str, tuple[list[str], tuple[DiaryKind, ...]]] = {}
    for crop in crops.catalogue().values():
        codes, _ = found.setdefault(
            crop.kind.code, ([], tuple(DiaryKind(k) for k in crop.kind.mrv_needs))
        )
        codes.append(crop.code)
    return found


def _lacks(kind: DiaryKind) -> ColumnElement[bool]:
    has = exists().where(DiaryEntry.season_id == Season.id, DiaryEntry.kind == kind)
    stand_in = STAND_INS.get(kind)
    return ~has if stand_in is None else and_(~has, stand_in.is_(None))


def lacking() -> ColumnElement[bool]:
    """The season lacks a diary entry that its crop's MRV result needs."""
    clauses = [
        and_(Season.crop.in_(codes), or_(*(_lacks(k) for k in needs)))
        for codes, needs in _needs_by_kind().values()
        if needs
    ]
    return or_(*clauses) if clauses else false()


def missing_of(session: Db, seasons: Sequence[Season]) -> dict[int, list[DiaryKind]]:
    """What each listed season lacks for its MRV result (empty: nothing), in one query."""
    needed = {k for _, needs in _needs_by_kind().values() for k in needs}
    present: dict[int, set[DiaryKind]] = {s.id: set() for s in seasons}
    rows = session.execute(
        select(DiaryEntry.season_id, DiaryEntry.kind)
        .where(DiaryEntry.season_id.in_(present), DiaryEntry.kind.in_(needed))
        .distinct()
    )
    for season_id, kind in rows:
        present[season_id].add(kind)
    return {s.id: missing(s, present[s.id]) for s in seasons}


def missing(season: Season, present: Iterable[DiaryKind]) -> list[DiaryKind]:
    """The diary kinds the season's MRV result needs that are not among `present`."""
    have = set(present)
    return [
        kind
        for kind in (DiaryKind(k) for k in season.crop_info.kind.mrv_needs)
        if kind not in have and not _stood_in(season, kind)
    ]


def _stood_in(season: Season, kind: DiaryKind) -> bool:
    column = STAND_INS.get(kind)
    return column is not None and getattr(season, column.key) is not None
