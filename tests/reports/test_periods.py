"""Periods, the target trajectory and the reporting calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.reports.periods import (
    OVERDUE_SHOWN,
    Period,
    current_period,
    deadlines,
    next_deadline,
    reminders,
    target_pct,
)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        (" 2028-H2 ", date(2028, 7, 1), date(2028, 12, 31)),
    ],
)
def test_periods_read_and_span(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)
    assert Period.of(start, end) == period
    assert Period.parse(period.key) == period


@pytest.mark.parametrize(
    "text", ["", "2026-H3", "2026H1", "26", "2020", "1999", "２０２６", "2026-h1"]
)
def test_anything_else_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_a_span_that_is_not_a_half_or_a_year_has_no_period() -> None:
    with pytest.raises(ValueError):
        Period.of(date(2026, 1, 1), date(2026, 3, 31))


def test_the_running_half() -> None:
    assert current_period(date(2026, 6, 30)) == Period(2026, 1)
    assert current_period(date(2026, 7, 1)) == Period(2026, 2)


def test_the_trajectory_is_linear_from_2020_to_2035() -> None:
    assert target_pct(2020, 12) == 0
    assert target_pct(2025, 12) == pytest.approx(4)
    assert target_pct(2035, 12) == 12
    assert target_pct(2040, 12) == 12
    assert target_pct(2019, 12) == 0


@given(st.integers(2020, 2034), st.floats(10, 15))
def test_the_trajectory_rises_evenly(year: int, final: float) -> None:
    assert target_pct(year + 1, final) - target_pct(year, final) == pytest.approx(final / 15)


def test_the_authority_s_dates() -> None:
    due = {(d.whose, d.period.key): d.due for d in deadlines("authority", 2026)}
    assert due == {
        ("province", "2026-H1"): date(2026, 7, 10),
        ("department", "2026-H1"): date(2026, 7, 15),
        ("province", "2026"): date(2026, 12, 10),
        ("department", "2026"): date(2026, 12, 15),
    }
    assert [d.due for d in deadlines("commune_office", 2026)] == [
        date(2026, 7, 5),
        date(2026, 12, 5),
    ]
    assert deadlines("producer", 2026) == []


def test_reminders_show_as_due_dates_approach() -> None:
    assert reminders("authority", date(2026, 11, 9), set()) == []
    near = reminders("authority", date(2026, 11, 25), set())
    assert [(r.deadline.whose, r.days_left, r.done) for r in near] == [
        ("province", 15, False),
        ("department", 20, False),
    ]
    done = reminders("authority", date(2026, 12, 12), {("report", "2026")})
    assert [(r.days_left, r.done) for r in done] == [(-2, True), (3, True)]


def test_last_year_s_reminders_go_in_january() -> None:
    assert [r.days_left for r in reminders("commune_office", date(2027, 1, 2), set())] == [-28]
    assert reminders("commune_office", date(2027, 1, 6), set()) == []


@pytest.mark.parametrize(
    ("kind", "today", "done", "whose", "period"),
    [
        ("authority", date(2026, 1, 2), set(), "province", "2025"),  # last year's, overdue
        ("authority", date(2026, 1, 2), {("report", "2025")}, "province", "2026-H1"),
        ("authority", date(2026, 7, 9), set(), "province", "2026-H1"),
        ("authority", date(2026, 7, 10), set(), "province", "2026-H1"),  # overdue, still owed
        ("authority", date(2026, 7, 10), {("report", "2026-H1")}, "province", "2026"),
        ("authority", date(2026, 8, 15), set(), "department", "2026-H1"),  # 31 days late
        ("authority", date(2026, 8, 16), set(), "province", "2026"),  # no longer shown
        ("authority", date(2026, 12, 16), set(), "province", "2026"),
        ("authority", date(2026, 12, 16), {("report", "2026")}, "province", "2027-H1"),
        ("authority", date(2027, 1, 16), set(), "province", "2027-H1"),
        ("commune_office", date(2026, 7, 4), set(), "commune", "2026-H1"),
        ("commune_office", date(2026, 7, 6), {("confirmation", "2026-H1")}, "commune", "2026"),
        ("commune_office", date(2026, 12, 31), {("confirmation", "2026")}, "commune", "2027-H1"),
    ],
)
def test_what_is_owed_next(
    kind: str, today: date, done: set[tuple[str, str]], whose: str, period: str
) -> None:
    found = next_deadline(kind, today, done)
    assert found is not None
    assert (found.whose, found.period.key) == (whose, period)
    assert found in deadlines(kind, found.period.year)


def test_what_is_owed_next_is_the_first_reminder_not_done() -> None:
    for day in range(0, 730, 3):
        today = date(2026, 1, 1) + timedelta(days=day)
        shown = [r.deadline for r in reminders("authority", today, set())]
        found = next_deadline("authority", today, set())
        assert found is not None and found.due > today - OVERDUE_SHOWN - timedelta(days=1)
        if shown:
            assert found == shown[0]


def test_kinds_without_a_calendar_owe_nothing() -> None:
    assert next_deadline("producer", date(2026, 7, 1), set()) is None
