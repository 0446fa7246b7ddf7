"""The reporting calendar's reminders: recorded once by the daily job for the organisations
that have deadlines, shown on their dashboard until past showing."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.reminders import service
from registry.reminders.models import CalendarReminder
from registry.reports import periods
from registry.trace.service import today_in_vietnam
from tests.conftest import Factory, login

MID_JUNE = date(2026, 6, 15)  # the half-year reports are due before 10 and 15 July


def test_the_daily_job_records_each_deadline_once_for_the_kinds_with_a_calendar(
    ctx: None, make: Factory
) -> None:
    authority = make.org(kind=OrgKind.AUTHORITY)
    commune = make.org(kind=OrgKind.COMMUNE_OFFICE)
    make.org(kind=OrgKind.PRODUCER)
    assert service.record_due(db.session, MID_JUNE) == 3
    db.session.commit()
    assert service.record_due(db.session, MID_JUNE) == 0  # run twice: nothing more
    rows = db.session.scalars(select(CalendarReminder).order_by(CalendarReminder.id)).all()
    assert sorted((r.organisation_id, r.what, r.whose, r.period, r.due) for r in rows) == [
        (authority.id, "report", "department", "2026-H1", date(2026, 7, 15)),
        (authority.id, "report", "province", "2026-H1", date(2026, 7, 10)),
        (commune.id, "confirmation", "commune", "2026-H1", date(2026, 7, 5)),
    ]
    org = db.session.get(Organisation, authority.id)
    assert org is not None
    shown = service.open_for(db.session, org, MID_JUNE)
    assert [(r.deadline.whose, r.days_left) for r in shown] == [
        ("province", 25),
        ("department", 30),
    ]
    late = MID_JUNE + timedelta(days=30) + periods.OVERDUE_SHOWN + timedelta(days=1)
    assert service.open_for(db.session, org, late) == []


def test_the_dashboard_lists_the_open_reminders(
    ctx: None, client: FlaskClient, make: Factory
) -> None:
    org = make.org(kind=OrgKind.AUTHORITY)
    today = today_in_vietnam()
    db.session.add_all(
        [
            CalendarReminder(
                organisation_id=org.id,
                what="report",
                whose="province",
                period="2026",
                due=today + timedelta(days=3),
            ),
            CalendarReminder(
                organisation_id=org.id,
                what="report",
                whose="department",
                period="2025",
                due=today - periods.OVERDUE_SHOWN - timedelta(days=1),
            ),
        ]
    )
    db.session.commit()
    login(client, make.user(org))
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Lịch báo cáo" in html and 'data-reminder="report-province-2026"' in html
    assert "còn 3 ngày" in html and "report-department-2025" not in html
