"""Scan statistics: each opening of a label page counted by day, coarse locale and
province, and unit labels whose scans look like copies of one printed QR code.

A package of rice is bought, carried home and eaten within weeks, by one household: its
unit label is opened a handful of times on a few days, in one place. A QR code that was
photographed and printed onto counterfeit bags is opened every day, far more often, in
several provinces and by browsers of several languages. `reasons` names which of those
limits a unit label went over; the same limits select the rows in SQL. The holder and the
authority see the flags; nobody sees who scanned, because nothing about the person is
stored (models.ScanDay).

The province comes from the reverse proxy in front of the registry, never from the address
here: a CDN or nginx's geoip2 module resolves the visitor's address at the edge and passes
only the ISO 3166-2 subdivision code in the header that `SCAN_REGION_HEADER` names (e.g.
`VN-CT`). Without that header every scan counts as "province unknown"."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from threading import Lock
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, aliased, selectinload

from registry.db import Db
from registry.labels.models import Label
from registry.places import province_of_region
from registry.public.models import ScanDay

MAX_DAYS = 7  # distinct days a package's label is plausibly opened on
MAX_SCANS = 30  # openings of one package's label in the window
MAX_LOCALES = 3  # distinct browser languages for one household's package
MAX_PROVINCES = 2  # distinct provinces one package is opened in (bought in one, eaten in another)
UNKNOWN = ""  # province not told by the proxy
ABROAD = "abroad"  # a subdivision of another country
_REGION = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
WINDOW_DAYS = 365
_TAG = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{2}))?")

REASONS = {
    "many_days": _l("opened on more than %(n)d different days", n=MAX_DAYS),
    "many_scans": _l("opened more than %(n)d times", n=MAX_SCANS),
    "many_locales": _l("opened from browsers in more than %(n)d languages", n=MAX_LOCALES),
    "many_provinces": _l("opened in more than %(n)d provinces", n=MAX_PROVINCES),
}


def coarse_locale(accept_language: str | None) -> str:
    """The first language tag the browser declares, as `ll` or `ll-RR`; `other` for
    anything else. Nothing finer (no quality values, no further tags) is kept."""
    first = (accept_language or "").split(",", 1)[0].split(";", 1)[0].strip()
    found = _TAG.fullmatch(first)
    if found is None:
        return "other"
    language, region = found.groups()
    return language.lower() + (f"-{region.upper()}" if region else "")


def coarse_province(region: str | None) -> str:
    """The province of an ISO 3166-2 code from the proxy (`VN-CT` → Cần Thơ), `ABROAD`
    for another country's subdivision, `UNKNOWN` for no header or anything else."""
    code = (region or "").strip().upper()
    if not _REGION.fullmatch(code):
        return UNKNOWN
    return province_of_region(code) or (UNKNOWN if code.startswith("VN-") else ABROAD)


Key = tuple[int, date, str, str]  # label id, day, locale, province


class Tally:
    """Openings counted in memory between writes, so that most label pages write nothing:
    `count` adds one and says when `every` seconds have passed since the last write. A
    worker that dies loses at most that many seconds of counts, which statistics afford."""

    def __init__(self) -> None:
        self._counts: Counter[Key] = Counter()
        self._lock = Lock()
        self._written = time.monotonic()

    def count(self, key: Key, every: float) -> bool:
        with self._lock:
            self._counts[key] += 1
            return time.monotonic() - self._written >= every

    def take(self) -> Counter[Key]:
        with self._lock:
            taken, self._counts = self._counts, Counter()
            self._written = time.monotonic()
            return taken


TALLY = Tally()


def count(session: Db, key: Key, every: float) -> bool:
    """Count one opening; write the tally when it is due (every request when `every` is 0).
    True when it wrote, so the caller has something to commit."""
    if not TALLY.count(key, every):
        return False
    record(session, TALLY.take())
    return True


KEY_COLUMNS = ["label_id", "day", "locale", "province"]


def record(session: Db, counts: Mapping[Key, int]) -> None:
    """Add counts with one upsert statement executed for every counter (built once, so
    nothing is compiled anew for each size of tally). On PostgreSQL the commit does not
    wait for the disk (a counter lost in a crash costs nothing), which keeps the label
    page fast."""
    if not counts:
        return
    values = [
        {"label_id": label_id, "day": day, "locale": locale, "province": province, "count": n}
        for (label_id, day, locale, province), n in sorted(counts.items())
    ]
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.execute(UPSERT[postgresql], values)


def _upsert(insert: Any) -> Any:
    table = ScanDay.__table__
    assert isinstance(table, Table)
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=KEY_COLUMNS, set_={"count": table.c.count + statement.excluded.count}
    )


UPSERT = {True: _upsert(pg_insert), False: _upsert(sqlite_insert)}


@dataclass(frozen=True)
class Pattern:
    """A unit label's scans in the window."""

    serial: str
    batch_serial: str
    total: int
    days: int
    locales: int
    provinces: int
    first: date
    last: date


def reasons(total: int, days: int, locales: int, provinces: int) -> list[str]:
    """Which plausibility limits the scans of one package's label went over."""
    found = []
    if days > MAX_DAYS:
        found.append("many_days")
    if total > MAX_SCANS:
        found.append("many_scans")
    if locales > MAX_LOCALES:
        found.append("many_locales")
    if provinces > MAX_PROVINCES:
        found.append("many_provinces")
    return found


def flagged(session: Db, holder: str | None, today: date, limit: int = 200) -> list[Pattern]:
    """Unit labels (of `holder`, or of everyone) scanned beyond the limits, worst first."""
    unit, parent = aliased(Label), aliased(Label)
    total = func.sum(ScanDay.count)
    days = func.count(ScanDay.day.distinct())
    locales = func.count(ScanDay.locale.distinct())
    provinces = func.count(func.nullif(ScanDay.province, UNKNOWN).distinct())
    query = (
        select(
            unit.serial,
            parent.serial,
            total,
            days,
            locales,
            provinces,
            func.min(ScanDay.day),
            func.max(ScanDay.day),
        )
        .join(unit, unit.id == ScanDay.label_id)
        .join(parent, parent.id == unit.parent_id)
        .where(ScanDay.day > today - timedelta(days=WINDOW_DAYS))
        .group_by(unit.id, unit.serial, parent.serial)
        .having(
            or_(
                days > MAX_DAYS,
                total > MAX_SCANS,
                locales > MAX_LOCALES,
                provinces > MAX_PROVINCES,
            )
        )
        .order_by(total.desc(), unit.serial)
        .limit(limit)
    )
    if holder is not None:
        query = query.where(unit.organisation == holder)
    return [Pattern(*row) for row in session.execute(query)]


def by_day(session: Db, label: Label, today: date) -> list[tuple[date, int]]:
    """Openings per day of a label and, for a batch label, of its unit labels."""
    ids = select(Label.id).where(or_(Label.id == label.id, Label.parent_id == label.id))
    query = (
        select(ScanDay.day, func.sum(ScanDay.count))
        .where(ScanDay.label_id.in_(ids), ScanDay.day > today - timedelta(days=WINDOW_DAYS))
        .group_by(ScanDay.day)
        .order_by(ScanDay.day.desc())
    )
    return [(day, int(n)) for day, n in session.execute(query)]


def by_locale(session: Db, label: Label, today: date) -> list[tuple[str, int]]:
    """Openings per browser language of a label and its unit labels, most first."""
    return _by_column(session, label, today, ScanDay.locale)


def by_province(session: Db, label: Label, today: date) -> list[tuple[str, int]]:
    """Openings per province (`UNKNOWN`, `ABROAD` or a name) of a label and its units."""
    return _by_column(session, label, today, ScanDay.province)


def _by_column(
    session: Db, label: Label, today: date, column: InstrumentedAttribute[str]
) -> list[tuple[str, int]]:
    ids = select(Label.id).where(or_(Label.id == label.id, Label.parent_id == label.id))
    query = (
        select(column, func.sum(ScanDay.count))
        .where(ScanDay.label_id.in_(ids), ScanDay.day > today - timedelta(days=WINDOW_DAYS))
        .group_by(column)
        .order_by(func.sum(ScanDay.count).desc(), column)
    )
    return [(value, int(n)) for value, n in session.execute(query)]


def by_province_of(session: Db, holder: str | None, today: date) -> list[tuple[str, int]]:
    """Openings per province in the last 30 days of every label (of `holder`, or all)."""
    query = (
        select(ScanDay.province, func.sum(ScanDay.count))
        .join(Label, Label.id == ScanDay.label_id)
        .where(ScanDay.day > today - timedelta(days=30))
        .group_by(ScanDay.province)
        .order_by(func.sum(ScanDay.count).desc(), ScanDay.province)
    )
    if holder is not None:
        query = query.where(Label.organisation == holder)
    return [(province, int(n)) for province, n in session.execute(query)]


def most_scanned(
    session: Db, holder: str | None, today: date, limit: int = 50
) -> list[tuple[Label, int]]:
    """Batch labels with the most openings (their units' included) in the last 30 days."""
    since = today - timedelta(days=30)
    batch_id = func.coalesce(Label.parent_id, Label.id)
    counts = (
        select(batch_id.label("batch_label"), func.sum(ScanDay.count).label("n"))
        .join(Label, Label.id == ScanDay.label_id)
        .where(ScanDay.day > since)
        .group_by(batch_id)
        .subquery()
    )
    query = (
        select(Label, counts.c.n)
        .join(counts, counts.c.batch_label == Label.id)
        .order_by(counts.c.n.desc(), Label.id)
        .limit(limit)
        .options(selectinload(Label.holder))
    )
    if holder is not None:
        query = query.where(Label.organisation == holder)
    return [(label, int(n)) for label, n in session.execute(query)]
