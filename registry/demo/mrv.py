"""Demo MRV: every season's result is computed, and the Cần Thơ HTX's 2026 Đông Xuân
seasons are submitted as a report that waits in the verifier's queue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.demo.accounts import USERS
from registry.trace import service as trace
from registry.verify import reports, results
from registry.verify.models import MrvReport

REPORTING_HTX = "HTX-THOILAI"
PERIOD = (date(2025, 12, 1), date(2026, 4, 30))


def load_mrv(session: Db) -> int:
    created = 0
    for each in session.scalars(select(Organisation)):
        for season in trace.seasons_of(session, each.id):
            results.compute(session, season)
    reporting = session.scalar(select(Organisation).where(Organisation.code == REPORTING_HTX))
    assert reporting is not None, "load the demo accounts first"
    org = reporting
    if session.scalar(select(MrvReport.id).where(MrvReport.organisation_id == org.id)):
        return created
    email = next(e for code, e, _, _ in USERS if code == REPORTING_HTX)
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    codes = [
        s.code
        for s in trace.seasons_of(session, org.id)
        if s.year == 2026 and s.season_type.value == "dong_xuan"
    ]
    report = reports.create_report(session, org, user, *PERIOD, codes)
    reports.submit(session, org, report.id)
    return created + 1
