"""Scan statistics: each opening of a label page counted by day and coarse locale, and
unit labels whose scans look like copies of one printed QR code.

A package of rice is bought, carried home and eaten within weeks, by one household: its
unit label is opened a handful of times on a few days. A QR code that was photographed
and printed onto counterfeit bags is opened every day, far more often, and by browsers of
several languages. `reasons` names which of those limits a unit label went over; the same
limits select the rows in SQL. The holder and the authority see the flags; nobody sees who
scanned, because nothing about the person is stored (models.ScanDay)."""

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
from sqlalchemy.orm import aliased

from registry.db import Db
from registry.labels.models import Label
from registry.public.models import ScanDay

MAX_DAYS = 7  # distinct days a package's label is plausibly opened on
MAX_SCANS = 30  # openings of one package's label in the window
MAX_LOCALES = 3  # distinct browser languages for one household's package
WINDOW_DAYS = 365
_TAG = re.compile(r"([A-Za-z]{2,3})(?:-([A-Za-z]{2}))?")

REASONS = {
    "many_days": _l("opened on more than %(n)d different days", n=MAX_DAYS),
    "many_scans": _l("opened more than %(n)d times", n=MAX_SCANS),
    "many_locales": _l("opened from browsers in more than %(n)d languages", n=MAX_LOCALES),
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


Key = tuple[int, date, str]  # label id, day, locale


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


def count(session: Db, label_id: int, day: date, locale: str, every: float) -> None:
    """Count one opening; write the tally when it is due (every request when `every` is 0)."""
    if TALLY.count((label_id, day, locale), every):
        record(session, TALLY.take())


def record(session: Db, counts: Mapping[Key, int]) -> None:
    """Add counts in one upsert. On PostgreSQL the commit does not wait for the disk (a
    counter lost in a crash costs nothing), which keeps the label page fast."""
    if not counts:
        return
    values = [
        {"label_id": label_id, "day": day, "locale": locale, "count": n}
        for (label_id, day, locale), n in sorted(counts.items())
    ]
    table = ScanDay.__table__
    assert isinstance(table, Table)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        pg = pg_insert(table).values(values)
        statement: Any = pg.on_conflict_do_update(
            index_elements=["label_id", "day", "locale"],
            set_={"count": table.c.count + pg.excluded.count},
        )
    else:
        lite = sqlite_insert(table).values(values)
        statement = lite.on_conflict_do_update(
            index_elements=["label_id", "day", "locale"],
            set_={"count": table.c.count + lite.excluded.count},
        )
    session.execute(statement)


@dataclass(frozen=True)
class Pattern:
    """A unit label's scans in the window."""

    serial: str
    batch_serial: str
    total: int
    days: int
    locales: int
    first: date
    last: date


def reasons(total: int, days: int, locales: int) -> list[str]:
    """Which plausibility limits the scans of one package's label went over."""
    found = []
    if days > MAX_DAYS:
        found.append("many_days")
    if total > MAX_SCANS:
        found.append("many_scans")
    if locales > MAX_LOCALES:
        found.append("many_locales")
    return found


def flagged(session: Db, holder: str | None, today: date, limit: int = 200) -> list[Pattern]:
    """Unit labels (of `holder`, or of everyone) scanned beyond the limits, worst first."""
    unit, parent = aliased(Label), aliased(Label)
    total = func.sum(ScanDay.count)
    days = func.count(ScanDay.day.distinct())
    locales = func.count(ScanDay.locale.distinct())
    query = (
        select(
            unit.serial,
            parent.serial,
            total,
            days,
            locales,
            func.min(ScanDay.day),
            func.max(ScanDay.day),
        )
        .join(unit, unit.id == ScanDay.label_id)
        .join(parent, parent.id == unit.parent_id)
        .where(ScanDay.day > today - timedelta(days=WINDOW_DAYS))
        .group_by(unit.id, unit.serial, parent.serial)
        .having(or_(days > MAX_DAYS, total > MAX_SCANS, locales > MAX_LOCALES))
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
    ids = select(Label.id).where(or_(Label.id == label.id, Label.parent_id == label.id))
    query = (
        select(ScanDay.locale, func.sum(ScanDay.count))
        .where(ScanDay.label_id.in_(ids), ScanDay.day > today - timedelta(days=WINDOW_DAYS))
        .group_by(ScanDay.locale)
        .order_by(func.sum(ScanDay.count).desc())
    )
    return [(locale, int(n)) for locale, n in session.execute(query)]


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
    )
    if holder is not None:
        query = query.where(Label.organisation == holder)
    return [(label, int(n)) for label, n in session.execute(query)]
