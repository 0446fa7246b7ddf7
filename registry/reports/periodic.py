"""6-month and annual reports: the data of a period and an area, frozen when generated,
digested (SHA-256 of its RFC 8785 JCS) and the digest appended to the transparency log.
The PDF and the XLSX are drawn from the stored data, so every download of a report shows
the same figures and anyone holding its data can check it against the log. Callers
commit."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import rfc8785
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import Db, utcnow
from registry.errors import DomainError, NotFound
from registry.ledger import service as ledger
from registry.ledger.service import rfc3339
from registry.reports import figures, rollup, scope
from registry.reports.figures import Area
from registry.reports.models import CommuneConfirmation, GeneratedReport, ReportKind
from registry.reports.periods import Period, target_pct

# Version 2 adds the crops: `crops` (each crop's figures), each commune's and cooperative's
# `crops`, and `crop` and `removals_kg_co2` in every set of figures. Reports generated as
# version 1 keep their data (the log holds its digest) and still render.
FORMAT = "ptt-report/2"


class ReportRefused(DomainError):
    title = _l("The report cannot be generated.")


class ReportNotFound(NotFound):
    title = _l("No such report for your organisation.")


def digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(data)).hexdigest()


def check(kind: ReportKind, period: Period) -> None:
    """Refuse a period that is not of the report's kind (before any work is queued)."""
    if (kind is ReportKind.HALF) != (period.half is not None):
        message = (
            _l("A 6-month report covers a half-year (e.g. 2026-H1).")
            if kind is ReportKind.HALF
            else _l("An annual report covers a whole year (e.g. 2026).")
        )
        raise ReportRefused(errors={"period": [message]})


def generate(
    session: Db,
    author: Organisation,
    user: User,
    kind: ReportKind,
    period: Period,
    area: Area,
    final_pct: float,
) -> GeneratedReport:
    """Generate, store and log a report of `area` (a province or a commune) for `period`
    (a half-year for a 6-month report, a year for an annual one)."""
    check(kind, period)
    state = rollup.refresh(session, timedelta(0))
    data = report_data(session, kind, period, area, final_pct, state.revision, utcnow())
    report = GeneratedReport(
        organisation_id=author.id,
        created_by_id=user.id,
        kind=kind,
        period_start=period.start,
        period_end=period.end,
        province=area.province,
        commune=area.commune,
        data=data,
        digest=digest(data),
        log_index=-1,
    )
    session.add(report)
    session.flush()
    report.log_index = ledger.append(
        session,
        "report.generated",
        author.code,
        f"report-{report.id}",
        {
            "digest": report.digest,
            "kind": kind.value,
            "period": period.key,
            "province": area.province or "",
            "commune": area.commune or "",
        },
    )
    return report


def report_data(
    session: Db,
    kind: ReportKind,
    period: Period,
    area: Area,
    final_pct: float,
    revision: int,
    generated_at: datetime,
) -> dict[str, Any]:
    """What a report says, as plain JSON values (no NaN: missing figures are null)."""
    years = figures.emissions_by_year(session, area)
    by_crop = figures.emissions_by_crop(session, area, period)
    registered = figures.registered(session, area, period)
    labels = figures.labels(session, area, period)
    return {
        "format": FORMAT,
        "kind": kind.value,
        "period": {
            "key": period.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "area": {"province": area.province, "commune": area.commune},
        "generated_at": rfc3339(generated_at),
        "cells_revision": revision,
        "target": {"final_pct": final_pct, "year_pct": target_pct(period.year, final_pct)},
        "registered": {"fields": registered.fields, "area_ha": registered.area_ha},
        "emissions": figures.mixed(p.emissions for p in by_crop).as_dict(),
        "crops": [p.emissions.as_dict() for p in by_crop],
        "communes": [
            {
                "province": p.province,
                "commune": p.key,
                **p.emissions.as_dict(),
                "crops": [e.as_dict() for e in p.crops],
            }
            for p in figures.emissions_by(session, area, period, "commune")
        ],
        "cooperatives": [
            {
                "code": p.key,
                "name": p.label,
                **p.emissions.as_dict(),
                "crops": [e.as_dict() for e in p.crops],
            }
            for p in figures.emissions_by(session, area, period, "organisation")
        ],
        "trajectory": [
            {
                "year": year,
                "reduction_pct": found.reduction_pct,
                "target_pct": target_pct(year, final_pct),
            }
            for year, found in years.items()
        ],
        "labels": {
            "issued": labels.issued,
            "valid": labels.valid,
            "suspended": labels.suspended,
            "revoked": labels.revoked,
            "unit_labels": labels.unit_labels,
            "scans": labels.scans,
        },
        "confirmations": [
            {
                "id": c.id,
                "province": c.province,
                "commune": c.commune,
                "statement_digest": c.statement_digest,
                "log_index": c.log_index,
            }
            for c in confirmations_in(session, area, period)
        ],
    }


def confirmations_in(session: Db, area: Area, period: Period) -> list[CommuneConfirmation]:
    query = select(CommuneConfirmation).where(
        CommuneConfirmation.period_start == period.start,
        CommuneConfirmation.period_end == period.end,
    )
    if area.province is not None:
        query = query.where(CommuneConfirmation.province == area.province)
    if area.commune is not None:
        query = query.where(CommuneConfirmation.commune == area.commune)
    return list(session.scalars(query.order_by(CommuneConfirmation.id)))


def visible(session: Db, viewer: Organisation, limit: int = 50) -> list[GeneratedReport]:
    """The newest reports `viewer` may read."""
    query = select(GeneratedReport).order_by(GeneratedReport.id.desc()).limit(limit)
    if viewer.kind is not OrgKind.AUTHORITY:
        query = query.where(
            GeneratedReport.province == viewer.province, GeneratedReport.commune == viewer.commune
        )
    return list(session.scalars(query))


def report_for(session: Db, viewer: Organisation, report_id: int) -> GeneratedReport:
    found = session.get(GeneratedReport, report_id)
    if found is None or not scope.sees(viewer, found.province, found.commune):
        raise ReportNotFound()
    return found


def delivered(session: Db, organisation_id: int) -> set[tuple[str, str]]:
    """(what, period key) of the reports and confirmations the organisation delivered,
    for the reminders."""
    done = set()
    for start, end in session.execute(
        select(GeneratedReport.period_start, GeneratedReport.period_end).where(
            GeneratedReport.organisation_id == organisation_id
        )
    ):
        done.add(("report", Period.of(start, end).key))
    for start, end in session.execute(
        select(CommuneConfirmation.period_start, CommuneConfirmation.period_end).where(
            CommuneConfirmation.organisation_id == organisation_id
        )
    ):
        done.add(("confirmation", Period.of(start, end).key))
    return done
