"""Report pages: the dashboard, progress to 2035, 6-month and annual reports (page, PDF,
XLSX, JSON), the commune office's confirmation, and the open-data downloads. Views only
translate between HTTP and the services."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from registry import crops, jobs
from registry.accounts.access import acting_organisation, kinds_required, principal
from registry.accounts.models import Organisation, OrgKind, Role
from registry.db import db
from registry.errors import DomainError
from registry.keys import keystore
from registry.numbers import number
from registry.numbers import percent as pct
from registry.places import PROVINCES
from registry.reports import (
    builds,
    charts,
    confirmations,
    dashboard,
    defaults,
    figures,
    files,
    opendata,
    periodic,
    periods,
    progress,
    rollup,
    scope,
)
from registry.reports.labels_text import (
    area_name,
    crop_label,
    crop_periods,
    crop_product,
    deadline_title,
    period_name,
    report_title,
)
from registry.reports.models import GeneratedReport
from registry.reports.schemas import (
    ConfirmIn,
    DashboardQuery,
    DownloadQuery,
    ProgressQuery,
    ReportIn,
)
from registry.storage import store, web
from registry.trace.service import today_in_vietnam
from registry.validation import localise

bp = Blueprint("reports", __name__)

Page = str | tuple[str, int] | BaseResponse
CHART_PARTS = 12  # the chart shows the largest parts; the table lists them all


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "pct": pct,
        "area_name": area_name,
        "deadline_title": deadline_title,
        "crop_label": crop_label,
        "crop_product": crop_product,
        "crop_periods": crop_periods,
        "period_name": period_name,
        "may_act": _may_act,
        "part_url": _part_url,
    }


def _part_url(board: dashboard.Dashboard, part: figures.Part) -> str:
    """The dashboard of one part of the breakdown, in the same period and crop."""
    area, level = board.area, board.parts_by
    where: dict[str, Any] = {"period": board.period.key, "crop": area.crop}
    if level == "province":
        where["province"] = part.key
    elif level == "commune":
        where.update(province=part.province, commune=part.key)
    else:
        where.update(province=area.province, commune=area.commune, htx=part.key)
    return url_for("reports.overview", **{k: v for k, v in where.items() if v is not None})


def _may_act() -> bool:
    """Generating and confirming are acts of the organisation: not for viewers."""
    user = principal().user
    return user.has_role(Role.ADMIN) or user.has_role(Role.STAFF)


def _roles_check() -> None:
    if not _may_act():
        abort(403)


def _final() -> float:
    return float(current_app.config["REDUCTION_TARGET_PCT"])


def _max_age() -> timedelta:
    return timedelta(seconds=current_app.config["REPORTS_MAX_AGE_SECONDS"])


def _period_choices(today: date, chosen: periods.Period) -> list[periods.Period]:
    found = [
        periods.Period(year, half)
        for year in range(today.year, max(today.year - 3, periods.FIRST_YEAR - 1), -1)
        for half in (None, 2, 1)
    ]
    return found if chosen in found else [chosen, *found]


# ---------------------------------------------------------------- dashboard
@bp.get("/reports")
@login_required
@kinds_required(*scope.READERS)
def overview() -> str:
    """Figures of an area and period, the trajectory to 2035 and the reminders."""
    viewer, today = acting_organisation(), today_in_vietnam()
    view = _chosen_view(viewer, today)
    area, period = view.area, view.period
    fresh = rollup.snapshot(db.session, _max_age())
    board = dashboard.read(db.session, area, period, _final(), fresh.revision, fresh.built_at)
    return render_template(
        "reports/dashboard.html",
        board=board,
        viewer=viewer,
        home=defaults.home_province(viewer),
        charts=_charts(board),
        reminders=periods.reminders(
            viewer.kind.value, today, periodic.delivered(db.session, viewer.id)
        ),
        period_choices=_period_choices(today, period),
        provinces=_with(figures.provinces(db.session), area.province),
        communes=figures.communes(db.session, area.province) if area.province else [],
        cooperatives=figures.cooperatives(db.session, area) if area.commune else [],
        crops=list(crops.catalogue()),
        htx_code=_htx_code(board.area),
    )


def _htx_code(area: figures.Area) -> str | None:
    if area.organisation_id is None:
        return None
    found = db.session.get(Organisation, area.organisation_id)
    return found.code if found is not None else None


def _chosen_view(viewer: Organisation, today: date) -> defaults.View:
    """The request's filters over the viewer's defaults (defaults.chosen_view)."""
    query = DashboardQuery().load(request.args)
    return defaults.chosen_view(db.session, viewer, today, query, request.args.keys())


def _with(choices: list[str], chosen: str | None) -> list[str]:
    """The choices, with the chosen one among them even when it has no records yet."""
    return choices if chosen is None or chosen in choices else sorted([*choices, chosen])


def _charts(board: dashboard.Dashboard) -> dict[str, Any]:
    final, e = board.final_pct, board.emissions
    parts = board.parts[:CHART_PARTS]
    return {
        "trajectory": charts.to_svg(
            charts.trajectory(
                {year: found.reduction_pct for year, found in board.years.items()},
                final,
                (_("Target"), _("Achieved")),
                _("Reduction below 2020 by year, against the target trajectory"),
                number,
            )
        ),
        "parts": charts.to_svg(
            charts.bars(
                [(p.label, p.emissions.reduction_pct) for p in parts],
                board.target_pct,
                (_("Target"), _("no 2020 baseline yet")),
                _("Reduction below 2020 in the period"),
                number,
            )
        )
        if parts
        else None,
        "shares": charts.to_svg(
            charts.shares(
                [
                    (_("Verified seasons"), e.share(e.verified_area_ha)),
                    (_("Alternate wetting and drying (AWD)"), e.share(e.awd_area_ha)),
                    (_("VietGAP"), e.share(e.vietgap_area_ha)),
                    (_("Organic"), e.share(e.organic_area_ha)),
                ],
                _("Share of the seasons' area"),
                number,
            )
        ),
    }


# ---------------------------------------------------------------- progress to 2035
@bp.get("/mrv/progress", endpoint="progress")
@login_required
@kinds_required(*scope.READERS, OrgKind.PRODUCER)
def progress_page() -> str:
    """Verified reductions against the trajectory to 2035, in the area the viewer may see
    (scope.area_for, as the dashboard): the authority anywhere, a commune office its
    commune, an HTX itself, with its seasons not verified yet apart."""
    query = ProgressQuery().load(request.args)
    viewer = acting_organisation()
    area = scope.area_for(
        db.session,
        viewer,
        province=query["province"],
        commune=query["commune"],
        htx=query["htx"],
        crop=query["crop"],
    )
    found = progress.read(
        db.session,
        area,
        query["by"],
        query["year"],
        today_in_vietnam().year,
        _final(),
        with_pending=viewer.kind is OrgKind.PRODUCER,
    )
    return render_template(
        "reports/progress.html", progress=found, area=area, viewer=viewer, query=query
    )


# ---------------------------------------------------------------- periodic reports
@bp.route("/reports/periodic", methods=["GET", "POST"])
@login_required
@kinds_required(*scope.READERS)
def periodic_reports() -> Page:
    viewer, errors = acting_organisation(), {}
    if request.method == "POST":
        _roles_check()
        try:
            values = ReportIn().load(request.form)
            area = scope.area_for(
                db.session, viewer, province=values["province"], commune=values["commune"]
            )
            job = builds.start(
                db.session,
                viewer,
                principal().user,
                values["kind"],
                values["period"],
                area,
                _final(),
            )
        except (ValidationError, scope.FilterRefused, periodic.ReportRefused) as exc:
            db.session.rollback()
            errors = _messages(exc)
        else:
            db.session.commit()
            return redirect(url_for("reports.periodic_job", job_id=job.id), 303)
    today = today_in_vietnam()
    view = _chosen_view(viewer, today)
    return render_template(
        "reports/periodic.html",
        reports=periodic.visible(db.session, viewer),
        pending=builds.pending(db.session, viewer.id),
        viewer=viewer,
        errors=errors,
        provinces=PROVINCES,
        places=figures.places(db.session),
        period_choices=_period_choices(today, view.period),
        report_title=report_title,
        form=request.form if request.method == "POST" else defaults.report_form(view),
    ), (422 if errors else 200)


def _messages(exc: ValidationError | DomainError) -> dict[str, Any]:
    if isinstance(exc, ValidationError):
        return localise(exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages})
    return localise(exc.errors) if exc.errors else {"_": [str(exc.detail or exc.title)]}


@bp.get("/reports/periodic/jobs/<int:job_id>")
@login_required
@kinds_required(*scope.READERS)
def periodic_job(job_id: int) -> Page:
    """A report being generated: its steps while a worker adds up the figures and builds
    the files (the page follows the job, with or without script), then the report itself,
    or why it could not be made."""
    try:
        found = jobs.job_of(db.session, acting_organisation().id, job_id, builds.KIND)
    except DomainError:
        abort(404)
    report = builds.report_of(db.session, found)
    if report is not None:
        return redirect(url_for("reports.periodic_report", report_id=report.id))
    args = found.args
    return render_template(
        "reports/periodic_job.html",
        job=jobs.view(found),
        title=report_title(args["kind"], args["period"]),
        area=area_name(args["province"], args["commune"]),
    )


@bp.get("/reports/periodic/<int:report_id>")
@login_required
@kinds_required(*scope.READERS)
def periodic_report(report_id: int) -> str:
    report = periodic.report_for(db.session, acting_organisation(), report_id)
    return render_template(
        "reports/report.html",
        report=report,
        data=report.data,
        title=report_title(report.kind.value, report.data["period"]["key"]),
    )


@bp.get("/reports/periodic/<int:report_id>.<fmt>")
@login_required
@kinds_required(*scope.READERS)
def periodic_file(report_id: int, fmt: str) -> Response:
    """The report as PDF or XLSX (in Vietnamese), or its data as JSON."""
    report = periodic.report_for(db.session, acting_organisation(), report_id)
    if fmt == "json":
        return current_app.response_class(
            opendata.to_json(report.data), mimetype="application/json"
        )
    if fmt not in files.FORMATS:
        abort(404)
    return send_report_file(report, fmt)


def send_report_file(report: GeneratedReport, fmt: str) -> Response:
    """Stream the report's stored file in `fmt` (a key of files.FORMATS), built first if it
    is not stored (the page's download and the API's)."""
    name = f"bao-cao-{report.kind.value}-{report.data['period']['key']}-{report.id}"
    found = files.stored(db.session, report, fmt, current_app.config["REGISTRY_ID"])
    kept, sha256 = files.key(found), found.sha256
    db.session.commit()
    return web.send(
        partial(store().open, kept),
        mimetype=files.FORMATS[fmt],
        download_name=f"{name}.{fmt}",
        attachment=True,
        etag=sha256,
        cache_control=files.CACHE,
    )


# ---------------------------------------------------------------- commune confirmation
@bp.route("/reports/confirm", methods=["GET", "POST"])
@login_required
@kinds_required(OrgKind.COMMUNE_OFFICE)
def confirm() -> Page:
    """Review the commune's figures for a period, then confirm them (signed, logged)."""
    office, today = acting_organisation(), today_in_vietnam()
    if request.method == "POST":
        _roles_check()
        values = ConfirmIn().load(request.form)
        try:
            made = confirmations.confirm(
                db.session,
                office,
                principal().user,
                values["period"],
                values["digest"],
                _final(),
                keystore().private("log"),
                current_app.config["REGISTRY_ID"],
            )
        except confirmations.FiguresChanged as exc:
            db.session.rollback()
            return _review_page(office, values["period"], today, str(exc.title), 409)
        db.session.commit()
        return redirect(url_for("reports.confirmation", confirmation_id=made.id))
    query = DashboardQuery().load({"period": request.args.get("period", "")})
    owed = defaults.default_view(db.session, office, today).period
    return _review_page(office, query["period"] or owed, today)


def _review_page(
    office: Any, period: periods.Period, today: date, warning: str | None = None, status: int = 200
) -> tuple[str, int]:
    found = confirmations.review(db.session, office, period, _final())
    db.session.commit()
    return render_template(
        "reports/confirm.html",
        review=found,
        office=office,
        warning=warning,
        period_choices=_period_choices(today, period),
        earlier=confirmations.of_office(db.session, office),
    ), status


@bp.get("/reports/confirmations/<int:confirmation_id>")
def confirmation(confirmation_id: int) -> str:
    """A confirmation's signed statement: public, like the log entry that holds it."""
    found = confirmations.confirmation(db.session, confirmation_id)
    return render_template("reports/confirmation.html", confirmation=found)


# ---------------------------------------------------------------- open data
@bp.get("/open-data")
def open_data() -> str:
    return render_template(
        "reports/open_data.html", datasets=opendata.DATASETS, formats=opendata.FORMATS
    )


@bp.get("/open-data/<dataset>.<fmt>")
def download(dataset: str, fmt: str) -> Response:
    found = opendata.DATASETS.get(dataset)
    if found is None or fmt not in opendata.FORMATS:
        abort(404)
    query = DownloadQuery().load(request.args)
    fresh = rollup.snapshot(db.session, _max_age())
    items = opendata.rows(db.session, found, query["year"], query["province"])
    doc = opendata.document(found, items, fresh.revision, schema_url(found))
    body = {
        "json": lambda: opendata.to_json(doc),
        "csv": lambda: opendata.to_csv(found, items),
        "xlsx": lambda: opendata.to_xlsx(found, doc),
    }[fmt]()
    # content_type, not mimetype: FORMATS names the charset already, mimetype would add it again
    response = current_app.response_class(body, content_type=opendata.FORMATS[fmt])
    name = f"{dataset}-v{found.major}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def schema_url(dataset: opendata.Dataset, major: int | None = None) -> str:
    """Where the JSON Schema of a version of the dataset (the current one by default) is
    served, on the registry's public address."""
    return current_app.config["PUBLIC_BASE_URL"] + url_for(
        "reports.json_schema", dataset=dataset.name, major=major or dataset.major
    )


@bp.get("/open-data/schema/<dataset>-v<int:major>.json")
def json_schema(dataset: str, major: int) -> Response:
    """The schema of any version of a dataset: older ones stay served for their readers."""
    found = opendata.DATASETS.get(dataset)
    if found is None or major not in found.schema_majors():
        abort(404)
    path = opendata.schema_file(dataset, major)
    return send_file(path, mimetype="application/schema+json", max_age=3600)
