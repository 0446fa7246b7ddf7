"""Reporting periods, the target trajectory and the reporting calendar, pure.

A period is a calendar year or one of its halves (January–June, July–December). A
season counts in the period in which it was harvested, a label in the month it was
issued, a field from the month it was registered.

The calendar (docs/reports.md): the province's annual report is due before 10 December
and the department's before 15 December, as the programme sets them. 6-month reports
cover January–June, so they fall due in the month after the half closes, on the same days:
the province's before 10 July and the department's before 15 July; by then the Đông Xuân
harvest is in, in the Red River delta (late May–June) as in the Mekong delta (March–April).
A commune office confirms its commune's reduction five days before the province's dates
(before 5 July and 5 December), so that the province's report can cite the confirmation.
Reminders show from `NOTICE` before a due date until a month after it, and the report pages
open on the period of the first one (`next_deadline`)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

BASELINE_YEAR = 2020
TARGET_YEAR = 2035
FIRST_YEAR = 2021  # the first year after the baseline a period may name
LAST_YEAR = 2100
NOTICE = timedelta(days=30)
OVERDUE_SHOWN = timedelta(days=31)
_PERIOD = re.compile(r"([0-9]{4})(?:-H([12]))?")


@dataclass(frozen=True)
class Period:
    """A calendar year (`half` None) or its first or second half."""

    year: int
    half: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026`, `2026-H1` or `2026-H2`; ValueError for anything else."""
        found = _PERIOD.fullmatch(text.strip())
        if found is None:
            raise ValueError(f"not a period: {text!r}")
        year, half = int(found.group(1)), found.group(2)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"year out of range: {year}")
        return cls(year, int(half) if half else None)

    @property
    def key(self) -> str:
        return f"{self.year}-H{self.half}" if self.half else str(self.year)

    @property
    def months(self) -> tuple[int, int]:
        """First and last month, inclusive."""
        return {None: (1, 12), 1: (1, 6), 2: (7, 12)}[self.half]

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[1]
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        """The period with these first and last days; ValueError if there is none."""
        for half in (None, 1, 2):
            period = cls(start.year, half)
            if (period.start, period.end) == (start, end):
                return period
        raise ValueError(f"{start}–{end} is not a year or a half-year")


def current_period(today: date) -> Period:
    """The half-year that is running."""
    return Period(today.year, 1 if today.month <= 6 else 2)


def target_pct(year: int, final_pct: float) -> float:
    """The target trajectory: 0 % below 2020 in 2020, rising linearly to `final_pct` in
    2035 and held there after."""
    elapsed = min(max(year - BASELINE_YEAR, 0), TARGET_YEAR - BASELINE_YEAR)
    return final_pct * elapsed / (TARGET_YEAR - BASELINE_YEAR)


# ---------------------------------------------------------------- reporting calendar
@dataclass(frozen=True)
class Deadline:
    """Something due: `what` is "report" (generate the period's report) or "confirmation"
    (confirm the commune's reduction); `whose` names who it is for."""

    what: str
    whose: str
    period: Period
    due: date  # the report is due *before* this day


AUTHORITY_DUES = (("province", 10), ("department", 15))
COMMUNE_DAY = 5


def deadlines(kind: str, year: int) -> list[Deadline]:
    """The year's deadlines for an organisation kind ("authority", "commune_office")."""
    halves = ((Period(year, 1), 7), (Period(year), 12))
    if kind == "authority":
        return [
            Deadline("report", whose, period, date(year, month, day))
            for period, month in halves
            for whose, day in AUTHORITY_DUES
        ]
    if kind == "commune_office":
        return [
            Deadline("confirmation", "commune", period, date(year, month, COMMUNE_DAY))
            for period, month in halves
        ]
    return []


@dataclass(frozen=True)
class Reminder:
    deadline: Deadline
    days_left: int  # negative once overdue
    done: bool


def reminders(kind: str, today: date, done: set[tuple[str, str]]) -> list[Reminder]:
    """Deadlines near `today` (from `NOTICE` before to `OVERDUE_SHOWN` after), soonest
    first. `done` holds (what, period key) pairs already delivered."""
    found = []
    for year in (today.year - 1, today.year):
        for deadline in deadlines(kind, year):
            if deadline.due - NOTICE <= today <= deadline.due + OVERDUE_SHOWN:
                found.append(
                    Reminder(
                        deadline,
                        (deadline.due - today).days,
                        (deadline.what, deadline.period.key) in done,
                    )
                )
    return sorted(found, key=lambda r: (r.deadline.due, r.deadline.whose))


def next_deadline(kind: str, today: date, done: set[tuple[str, str]]) -> Deadline | None:
    """What an organisation of `kind` owes next: the first deadline not `done` that is
    still ahead of `today` or overdue by no more than the reminders show (`OVERDUE_SHOWN`).
    None for a kind without a calendar."""
    for year in (today.year - 1, today.year, today.year + 1):
        for deadline in deadlines(kind, year):  # in the order they fall due
            owed = (deadline.what, deadline.period.key) not in done
            if owed and today <= deadline.due + OVERDUE_SHOWN:
                return deadline
    return None
