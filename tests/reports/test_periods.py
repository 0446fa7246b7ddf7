"""Periods, the target trajectory and the reporting calendar."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.reports.periods import Period, current_period, deadlines, reminders, target_pct


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
