"""MRV reports: an HTX bundles the results of a monitoring period's seasons and submits
them; the content is frozen, digested (SHA-256 of its JCS) and logged, and the report
enters the verifiers' queue. Callers commit."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import rfc8785
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, exists, select

from registry.accounts.models import Organisation, User
from registry.db import GRAMS_PER_KG, M2_PER_HA, Db, grams, square_metres, utcnow
from registry.errors import Conflict, DomainError, NotFound
from registry.ledger import service as ledger
from registry.trace import service as trace
from registry.trace.models import Field, Season
from registry.verify.models import MrvReport, ReportSeason, ReportStatus
from registry.verify.results import compute

ACTIVE = (ReportStatus.SUBMITTED, ReportStatus.UNDER_REVIEW, ReportStatus.APPROVED)


class ReportNotFound(NotFound):
    title = _l("This MRV report does not exist in your organisation.")


class ReportNotReady(DomainError):
    title = _l("The report cannot be submitted yet.")


def create_report(
    session: Db,
    org: Organisation,
    user: User,
    period_start: date,
    period_end: date,
    season_codes: list[str],
) -> MrvReport:
    """A draft report of these seasons, each ended within the period (harvested, or for an
    orchard's growing year without a harvest, past its last day) with a result."""
    errors: dict[str, list[Any]] = {}
    if period_end < period_start:
        errors["period_end"] = [_l("The period ends before it starts.")]
    if not season_codes:
        errors["seasons"] = [_l("Choose at least one season.")]
    if errors:
        raise ReportNotReady(errors=errors)
    report = MrvReport(
        organisation_id=org.id,
        period_start=period_start,
        period_end=period_end,
        created_by_id=user.id,
    )
    for code in dict.fromkeys(season_codes):
        season = trace.season_by_code(session, org.id, code)
        report.seasons.append(
            ReportSeason(season=season, result=_ready(session, season, period_start, period_end))
        )
    session.add(report)
    session.flush()
    return report


def _ready(session: Db, season: Season, start: date, end: date) -> Any:
    if season.is_baseline:
        raise ReportNotReady(
            errors={
                "seasons": [
                    _l("%(code)s is the 2020 baseline, not a season to report.", code=season.code)
                ]
            }
        )
    ended = ended_on(season)
    if ended is None or not start <= ended <= end:
        message = (
            _l("%(code)s was not harvested within the period.", code=season.code)
            if trace.period_end(season) is None
            else _l("The growing year %(code)s did not end within the period.", code=season.code)
        )
        raise ReportNotReady(errors={"seasons": [message]})
    outcome = compute(session, season)
    if outcome.result is None:
        raise ReportNotReady(
            errors={
                "seasons": [_l("%(code)s has no result yet: complete its diary.", code=season.code)]
            }
        )
    taken = session.scalar(
        select(MrvReport.id)
        .join(ReportSeason)
        .where(ReportSeason.season_id == season.id, MrvReport.status.in_(ACTIVE))
    )
    if taken:
        raise Conflict(
            errors={
                "seasons": [
                    str(_l("%(code)s is already in report #%(id)s.", code=season.code, id=taken))
                ]
            }
        )
    return outcome.result


def ended_on(season: Season) -> date | None:
    """The day a season's period ended: its (last) harvest; for a growing year that bore
    nothing (a young orchard), its last day once that has passed; else None."""
    if season.harvest_date is not None:
        return season.harvest_date
    after = trace.period_end(season)
    if after is None or after > trace.today_in_vietnam():
        return None
    return after - timedelta(days=1)


def reported_seasons(session: Db, organisation_id: int) -> dict[int, MrvReport]:
    """Season id → the submitted, under-review or approved report that holds it: a new
    report cannot take these seasons (`create_report` refuses them), so the form says why."""
    query = (
        select(ReportSeason.season_id, MrvReport)
        .join(MrvReport, MrvReport.id == ReportSeason.report_id)
        .where(MrvReport.organisation_id == organisation_id, MrvReport.status.in_(ACTIVE))
    )
    return {season_id: report for season_id, report in session.execute(query)}


def report_of(session: Db, organisation_id: int, report_id: int) -> MrvReport:
    report = session.get(MrvReport, report_id)
    if report is None or report.organisation_id != organisation_id:
        raise ReportNotFound()
    return report


def content(report: MrvReport) -> dict[str, Any]:
    """What the verifier approves: inputs, results and evidence digests of every season."""
    seasons = []
    for item in sorted(report.seasons, key=lambda rs: rs.season.code):
        entries = trace.current_entries(item.season)
        seasons.append(
            {
                "season": item.season.code,
                "field": item.season.field.code,
                "area_ha": item.result.area_ha,
                "inputs": item.result.inputs,
                "result": {k: v for k, v in item.result.result.items() if k != "factors"},
                "diary": [e.digest for e in entries],
                "evidence": sorted({sha for e in entries for sha in e.evidence}),
            }
        )
    first = report.seasons[0].result if report.seasons else None
    return {
        "report": report.id,
        "organisation": report.organisation.code,
        "period": {"start": report.period_start.isoformat(), "end": report.period_end.isoformat()},
        "methodology": {"id": first.methodology, "version": first.version} if first else None,
        "seasons": seasons,
        "totals": totals(report),
    }


def totals(report: MrvReport) -> dict[str, float]:
    """Area and harvest summed in whole m² and grams, as the registry keeps them, so the
    signed totals read 5280.1 kg, never 5280.100000000001; emissions are estimates."""
    results = [rs.result for rs in report.seasons]
    return {
        "seasons": len(results),
        "area_ha": sum(square_metres(r.area_ha) for r in results) / M2_PER_HA,
        "yield_kg": sum(grams(r.yield_kg) for r in results) / GRAMS_PER_KG,
        "total_kg_co2e": sum(r.total_kg_co2e for r in results),
    }


def submit(session: Db, org: Organisation, report_id: int) -> MrvReport:
    """Freeze, digest and log the report; it then waits in the verifiers' queue."""
    report = report_of(session, org.id, report_id)
    if report.status is not ReportStatus.DRAFT:
        raise Conflict(_l("Only a draft can be submitted."))
    frozen = content(report)
    report.content = frozen
    report.digest = hashlib.sha256(rfc8785.dumps(frozen)).hexdigest()
    report.status, report.submitted_at = ReportStatus.SUBMITTED, utcnow()
    report.log_index = ledger.append(
        session,
        "mrv.submitted",
        org.code,
        f"mrv-{report.id}",
        {
            "report": report.id,
            "digest": report.digest,
            "seasons": frozen["totals"]["seasons"],
            "total_kg_co2e": frozen["totals"]["total_kg_co2e"],
            "methodology": frozen["methodology"],
        },
    )
    return report


def withdraw(session: Db, org: Organisation, report_id: int) -> MrvReport:
    """The HTX takes a report back (to correct its diary after a verifier's request); its
    seasons can then go into a new report."""
    report = report_of(session, org.id, report_id)
    if report.status not in (ReportStatus.DRAFT, ReportStatus.SUBMITTED, ReportStatus.UNDER_REVIEW):
        raise Conflict(_l("A decided report cannot be withdrawn."))
    if report.status is not ReportStatus.DRAFT:
        ledger.append(
            session,
            "mrv.withdrawn",
            org.code,
            f"mrv-{report.id}",
            {"report": report.id, "digest": report.digest},
        )
    report.status = ReportStatus.SUPERSEDED
    return report


def reports_of(session: Db, organisation_id: int) -> list[MrvReport]:
    return list(
        session.scalars(
            select(MrvReport)
            .where(MrvReport.organisation_id == organisation_id)
            .order_by(MrvReport.id.desc())
        )
    )


Place = tuple[str, str] | None  # (province, commune), or None for everywhere


def _about(place: tuple[str, str]) -> ColumnElement[bool]:
    """The report holds a season of a field in this commune (as the commune's figures
    count the seasons of the fields in it)."""
    province, commune = place
    return exists().where(
        ReportSeason.report_id == MrvReport.id,
        Season.id == ReportSeason.season_id,
        Field.id == Season.field_id,
        Field.province == province,
        Field.commune == commune,
    )


def queue(session: Db, place: Place = None) -> list[MrvReport]:
    """Reports waiting for a verifier, oldest first; only those about `place` if given."""
    query = select(MrvReport).where(
        MrvReport.status.in_((ReportStatus.SUBMITTED, ReportStatus.UNDER_REVIEW))
    )
    if place is not None:
        query = query.where(_about(place))
    return list(session.scalars(query.order_by(MrvReport.submitted_at)))


def submitted(session: Db, report_id: int, place: Place = None) -> MrvReport:
    """A submitted report (any HTX's, for those who review or oversee them), about `place`
    if given; ReportNotFound otherwise."""
    query = select(MrvReport).where(MrvReport.id == report_id, MrvReport.submitted_at.is_not(None))
    found = session.scalar(query.where(_about(place)) if place is not None else query)
    if found is None:
        raise ReportNotFound()
    return found
