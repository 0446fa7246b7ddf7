"""Recording the reporting calendar's reminders (the daily job) and reading those still open.

The calendar itself is reports/periods.py: which deadlines an organisation kind has, and
from when before a due date until when after it a reminder shows. A reminder stays open
until the organisation delivers (reports/periodic.py `delivered`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db
from registry.reminders.models import CalendarReminder
from registry.reports import periodic, periods

KINDS = (OrgKind.AUTHORITY, OrgKind.COMMUNE_OFFICE)  # the kinds the calendar names


@dataclass(frozen=True)
class OpenReminder:
    deadline: periods.Deadline
    days_left: int  # negative once overdue


def record_due(session: Db, today: date) -> int:
    """Record the reminders due `today` that are not recorded yet, for every organisation
    with a calendar; returns how many are new. Idempotent; the caller commits."""
    added = 0
    for org in session.scalars(select(Organisation).where(Organisation.kind.in_(KINDS))):
        known = {
            (r.what, r.whose, r.period)
            for r in session.scalars(
                select(CalendarReminder).where(CalendarReminder.organisation_id == org.id)
            )
        }
        done = periodic.delivered(session, org.id)
        for reminder in periods.reminders(org.kind.value, today, done):
            deadline = reminder.deadline
            key = (deadline.what, deadline.whose, deadline.period.key)
            if reminder.done or key in known:
                continue
            session.add(
                CalendarReminder(
                    organisation_id=org.id,
                    what=deadline.what,
                    whose=deadline.whose,
                    period=deadline.period.key,
                    due=deadline.due,
                )
            )
            added += 1
    return added


def open_for(session: Db, org: Organisation, today: date) -> list[OpenReminder]:
    """The organisation's reminders not delivered and not past showing, soonest first."""
    rows = session.scalars(
        select(CalendarReminder)
        .where(CalendarReminder.organisation_id == org.id)
        .order_by(CalendarReminder.due, CalendarReminder.whose)
    )
    done = periodic.delivered(session, org.id)
    found = []
    for row in rows:
        if (row.what, row.period) in done or today > row.due + periods.OVERDUE_SHOWN:
            continue
        deadline = periods.Deadline(row.what, row.whose, periods.Period.parse(row.period), row.due)
        found.append(OpenReminder(deadline, (row.due - today).days))
    return found
