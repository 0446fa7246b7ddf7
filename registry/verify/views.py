"""MRV pages: each season's result with its explanation, reports an HTX submits, and the
verifiers' queue. (Progress against the 2035 target is a report: registry/reports/.)"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from werkzeug.wrappers import Response

from registry.accounts.access import acting_organisation, commune_of, kinds_required, principal
from registry.accounts.models import OrgKind
from registry.db import db
from registry.errors import DomainError
from registry.numbers import whole
from registry.trace import service as trace
from registry.trace.labels import KIND_LABELS, SEASON_LABELS
from registry.trace.views import producer_only
from registry.validation import localise
from registry.verify import reports, results, words
from registry.verify.chart import gas_bars
from registry.verify.models import MrvReport, ReportStatus

bp = Blueprint("verify", __name__)

Page = str | tuple[str, int] | Response
OVERSEERS = (OrgKind.AUTHORITY, OrgKind.COMMUNE_OFFICE)


@bp.get("/mrv")
@producer_only
def overview() -> str:
    """Every season of the HTX with its current result, or what to fix in its diary."""
    seasons = trace.seasons_of(db.session, principal().organisation_id)
    page = render_template(
        "verify/overview.html",
        computed=results.compute_all(db.session, seasons),
        reports=reports.reports_of(db.session, principal().organisation_id),
        season_types=SEASON_LABELS,
    )
    db.session.commit()  # after rendering: a commit expires what the page reads
    return page


@bp.get("/mrv/seasons/<code>")
@producer_only
def explanation(code: str) -> str:
    """The formula with the numbers put in, the factors and their sources, the chart."""
    season = trace.season_by_code(db.session, principal().organisation_id, code)
    outcome = results.compute(db.session, season)
    db.session.commit()
    entries = {e.id: e for e in season.entries}
    chart = None
    if outcome.result is not None:
        chart = gas_bars(
            outcome.result.result,
            (_("This season"), "2020"),
            _("Emissions by gas, kg CO₂e per ha"),
            whole,
        )
    return render_template(
        "verify/explanation.html",
        outcome=outcome,
        season=season,
        entries=entries,
        kinds=KIND_LABELS,
        chart=chart,
        season_types=SEASON_LABELS,
    )


@bp.route("/mrv/reports/new", methods=["GET", "POST"])
@producer_only
def new_report() -> Page:
    org, errors = acting_organisation(), {}
    if request.method == "POST":
        try:
            report = reports.create_report(
                db.session,
                org,
                principal().user,
                date.fromisoformat(request.form.get("period_start", "")),
                date.fromisoformat(request.form.get("period_end", "")),
                request.form.getlist("seasons"),
            )
        except ValueError:
            errors = {"period_start": [_("Give the period's first and last day.")]}
        except DomainError as exc:
            db.session.rollback()
            errors = localise(exc.errors) or {"_": [str(exc.title)]}
        else:
            db.session.commit()
            return redirect(url_for("verify.report", report_id=report.id))
    candidates = [
        s for s in trace.seasons_of(db.session, org.id) if not s.is_baseline and reports.ended_on(s)
    ]
    return render_template(
        "verify/report_new.html",
        seasons=candidates,
        reported=reports.reported_seasons(db.session, org.id),
        errors=errors,
        form=request.form,
        season_types=SEASON_LABELS,
        ended_on=reports.ended_on,
        chosen=set(request.form.getlist("seasons")),
    ), (422 if errors else 200)


@bp.get("/mrv/reports/<int:report_id>")
@login_required
def report(report_id: int) -> str:
    """An HTX's own report; verifiers and the authority read submitted ones."""
    found = _readable_report(report_id)
    return render_template(
        "verify/report.html", report=found, totals=reports.totals(found), season_types=SEASON_LABELS
    )


def _readable_report(report_id: int) -> MrvReport:
    """An HTX reads its own reports; verifiers and the authority any submitted one; a
    commune office the submitted ones about its commune."""
    acting = principal()
    if acting.kind in (OrgKind.VERIFIER, *OVERSEERS):
        place = commune_of(acting_organisation())
        return reports.submitted(db.session, report_id, place)
    return reports.report_of(db.session, acting.organisation_id, report_id)


@bp.post("/mrv/reports/<int:report_id>/submit")
@producer_only
def submit(report_id: int) -> Response:
    reports.submit(db.session, acting_organisation(), report_id)
    db.session.commit()
    flash(_("Report submitted. It now waits for a verifier."), "success")
    return redirect(url_for("verify.report", report_id=report_id))


@bp.post("/mrv/reports/<int:report_id>/withdraw")
@producer_only
def withdraw(report_id: int) -> Response:
    """Take a report back, e.g. to correct the diary as the verifier asked."""
    reports.withdraw(db.session, acting_organisation(), report_id)
    db.session.commit()
    flash(
        _("Report withdrawn. Correct the diary, then put the seasons in a new report."), "success"
    )
    return redirect(url_for("verify.report", report_id=report_id))


@bp.get("/mrv/queue")
@login_required
@kinds_required(OrgKind.VERIFIER, *OVERSEERS)
def queue() -> str:
    """Reports waiting for a verifier; a commune office sees those about its commune."""
    place = commune_of(acting_organisation())
    return render_template("verify/queue.html", reports=reports.queue(db.session, place))


for _helper in (
    words.input_name,
    words.input_unit,
    words.value_words,
    words.factor_meaning,
    words.entry_words,
):
    bp.add_app_template_global(_helper, f"mrv_{_helper.__name__}")


STATUS_LABELS = {
    ReportStatus.DRAFT: _l("draft"),
    ReportStatus.SUBMITTED: _l("submitted, waiting for a verifier"),
    ReportStatus.UNDER_REVIEW: _l("correction requested"),
    ReportStatus.APPROVED: _l("approved"),
    ReportStatus.REJECTED: _l("rejected"),
    ReportStatus.SUPERSEDED: _l("withdrawn"),
    ReportStatus.REVOKED: _l("approval revoked"),
}


@bp.app_template_global()
def status_label(status: ReportStatus) -> str:
    return str(STATUS_LABELS[status])
