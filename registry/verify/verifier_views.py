"""Verifier pages (DESIGN.md §7, issue 8): the organisation's signing keys (pasted, or made
in the browser with WebCrypto), the review page with the report's diary and photo
evidence, the statement to sign and the signature that records a decision, the
authority's accreditation of verifiers, and revoking an approval. Declared ties (conflicts
of interest) have their pages in `ties_views`, registered under this blueprint.

The rules live in `registry.verify.approvals`; these views only collect the form, show its
errors beside the fields (422, or 403 for a conflict of interest or a lapsed
accreditation) and never see a private key."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from registry import crops as crop_catalogue
from registry.accounts.access import acting_organisation, kinds_required, principal, roles_required
from registry.accounts.models import Organisation, OrgKind, Role
from registry.db import db
from registry.errors import DomainError, NotFound
from registry.numbers import whole
from registry.places import PROVINCES
from registry.reports.labels_text import local_time
from registry.trace import evidence as evidence_files
from registry.trace import service as trace
from registry.trace.labels import KIND_LABELS, SEASON_LABELS, describe
from registry.trace.models import DiaryEntry, EvidenceFile
from registry.validation import localise
from registry.verify import approvals, reports, signing
from registry.verify.chart import gas_bars
from registry.verify.models import (
    Accreditation,
    Approval,
    Decision,
    MrvReport,
    ReportSeason,
    ReviewComment,
    VerifierKey,
)
from registry.verify.ties_views import bp as ties_bp

bp = Blueprint("verifier", __name__)
bp.register_blueprint(ties_bp)

Page = str | tuple[str, int] | Response
DECIDERS = (Role.ADMIN, Role.STAFF)
KEY_STATES = {"retired": _l("retired"), "compromised": _l("compromised")}
KEY_STATUS_LABELS = {
    "active": _l("active"),
    "retired": _l("retired"),
    "compromised": _l("compromised"),
}
DECISION_LABELS = {Decision.APPROVED: _l("Approval"), Decision.REJECTED: _l("Rejection")}
ACCREDITATION_LABELS = {
    "active": _l("active"),
    "suspended": _l("suspended"),
    "expired": _l("expired"),
    "future": _l("not yet valid"),
}
SIGNATURE = re.compile(r"[A-Za-z0-9_-]{86}")
MAX_KEY_TEXT = 2000
MAX_TEXT = 2000
MAX_REASON = 300


def _errors(exc: DomainError) -> dict[str, Any]:
    """The service's field messages in the person's language; a message that belongs to no
    field (a conflict of interest, a lapsed accreditation) goes under "_"."""
    db.session.rollback()
    errors: dict[str, Any] = localise(exc.errors) if exc.errors else {}
    return errors or {"_": [str(exc.detail or exc.title)]}


def _submitted(report_id: int) -> MrvReport:
    report = db.session.get(MrvReport, report_id)
    if report is None or report.submitted_at is None:
        abort(404)
    return report


# ---------------------------------------------------------------- keys
@bp.route("/verifier/keys", methods=["GET", "POST"])
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def keys() -> Page:
    """The organisation's public keys; register one pasted or made in this browser."""
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        public_key = request.form.get("public_key", "").strip()
        label = request.form.get("label", "").strip()
        if not public_key:
            errors = {"public_key": [_("Paste the public key.")]}
        elif len(public_key) > MAX_KEY_TEXT:
            errors = {"public_key": [_("Not an Ed25519 public key (PEM, or base64 of the key).")]}
        elif len(label) > 80:
            errors = {"label": [_("At most 80 characters.")]}
        else:
            try:
                key = approvals.register_key(db.session, acting_organisation(), public_key, label)
            except DomainError as exc:
                errors, status = _errors(exc), exc.status
            else:
                db.session.commit()
                flash(_("Key %(kid)s registered.", kid=key.kid), "success")
                return redirect(url_for("verifier.keys"))
        status = status if status != 200 else 422
    return _keys_page(errors, request.form), status


def _keys_page(errors: dict[str, Any], form: Any) -> str:
    org = acting_organisation()
    return render_template(
        "verifier/keys.html",
        org=org,
        keys=approvals.keys_of(db.session, org.id),
        key_status=approvals.key_status,
        status_labels=KEY_STATUS_LABELS,
        key_states=KEY_STATES,
        errors=errors,
        form=form,
    )


@bp.post("/verifier/keys/<kid>/revoke")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def revoke_key(kid: str) -> Page:
    """Retire a key, or declare it compromised; it signs nothing more from then on."""
    state = request.form.get("state", "")
    if state not in KEY_STATES:
        return _keys_page({f"state-{kid}": [_("Choose retired or compromised.")]}, {}), 422
    approvals.revoke_key(db.session, acting_organisation(), kid, compromised=state == "compromised")
    db.session.commit()
    flash(_("Key %(kid)s revoked (%(state)s).", kid=kid, state=KEY_STATES[state]), "success")
    return redirect(url_for("verifier.keys"))


# ---------------------------------------------------------------- review
@dataclass
class Photo:
    """An evidence file as the review page shows it, with where and when it was taken."""

    sha256: str
    url: str
    image: bool
    lat: float | None = None
    lon: float | None = None
    taken_at: str | None = None
    naive: bool = False
    distance_m: float | None = None


@dataclass
class SeasonReview:
    item: ReportSeason
    entries: list[DiaryEntry]
    photos: dict[str, Photo] = field(default_factory=dict)
    later: int = 0  # diary entries recorded after the report was submitted


def _centre(geometry: dict[str, Any]) -> tuple[float, float] | None:
    """Mean position (lon, lat) of a Point or Polygon: enough to tell near from far."""
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Point" and isinstance(coordinates, list):
        return float(coordinates[0]), float(coordinates[1])
    if geometry.get("type") == "Polygon" and coordinates and coordinates[0]:
        ring = coordinates[0]
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return None


def _distance_m(a: tuple[float, float], lat: float, lon: float) -> float:
    """Great-circle distance in metres from (lon, lat) `a` to the photo."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], lon, lat))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def _photo(report: MrvReport, sha: str, centre: tuple[float, float] | None) -> Photo:
    record = db.session.get(EvidenceFile, (report.organisation_id, sha))
    url = url_for("verifier.evidence", report_id=report.id, sha256=sha)
    if record is None:
        return Photo(sha, url, image=False)
    meta = record.meta or {}
    photo = Photo(sha, url, image=record.content_type.startswith("image/"))
    gps = meta.get("gps")
    if isinstance(gps, dict) and gps.get("lat") is not None and gps.get("lon") is not None:
        photo.lat, photo.lon = float(gps["lat"]), float(gps["lon"])
        if centre is not None:
            photo.distance_m = _distance_m(centre, photo.lat, photo.lon)
    if isinstance(meta.get("taken_at"), str):
        photo.taken_at, photo.naive = meta["taken_at"], bool(meta.get("taken_at_naive"))
    return photo


def _seasons(report: MrvReport) -> list[SeasonReview]:
    """Each season with the diary as submitted (entries whose digest the frozen content
    lists) and its evidence."""
    frozen = {s.get("season"): s for s in (report.content or {}).get("seasons", [])}
    shown = []
    for item in sorted(report.seasons, key=lambda rs: rs.season.code):
        digests = set(frozen.get(item.season.code, {}).get("diary", []))
        entries = [e for e in item.season.entries if e.digest in digests]
        later = [e for e in trace.current_entries(item.season) if e.digest not in digests]
        centre = _centre(item.season.field.geometry or {})
        photos = {sha: _photo(report, sha, centre) for e in entries for sha in e.evidence}
        shown.append(SeasonReview(item, entries, photos, len(later)))
    return shown


def _review_page(
    report: MrvReport,
    decision_errors: dict[str, Any] | None = None,
    correction_errors: dict[str, Any] | None = None,
    form: Any = None,
) -> str:
    org = acting_organisation()
    blocked = None
    try:
        approvals.check_may_decide(db.session, org, report)
    except DomainError as exc:
        db.session.rollback()
        blocked = str(exc.detail or exc.title)
    active_keys = [k for k in approvals.keys_of(db.session, org.id) if _usable(k)]
    comments = db.session.scalars(
        select(ReviewComment).where(ReviewComment.report_id == report.id).order_by(ReviewComment.id)
    )
    return render_template(
        "verifier/review.html",
        report=report,
        totals=reports.totals(report),
        seasons=_seasons(report),
        season_types=SEASON_LABELS,
        kinds=KIND_LABELS,
        describe=describe,
        approvals=approvals.approvals_of_report(db.session, report.id),
        decision_labels=DECISION_LABELS,
        comments=list(comments),
        blocked=blocked,
        can_act=any(principal().user.has_role(r) for r in DECIDERS),
        keys=active_keys,
        decision_errors=decision_errors or {},
        correction_errors=correction_errors or {},
        form=form if form is not None else MultiDict(),
    )


def _usable(key: VerifierKey) -> bool:
    return approvals.key_status(key) == "active"


@bp.get("/mrv/reports/<int:report_id>/review")
@login_required
@kinds_required(OrgKind.VERIFIER)
def review(report_id: int) -> str:
    """Everything a verifier checks before deciding, and the decision panel."""
    return _review_page(_submitted(report_id))


@bp.get("/mrv/reports/<int:report_id>/seasons/<code>")
@login_required
@kinds_required(OrgKind.VERIFIER)
def season_result(report_id: int, code: str) -> str:
    """How a season's reported result was computed: the result the report was made with."""
    report = _submitted(report_id)
    item = next((rs for rs in report.seasons if rs.season.code == code.upper()), None)
    if item is None:
        abort(404)
    chart = gas_bars(
        item.result.result,
        (_("This season"), "2020"),
        _("Emissions by gas, kg CO₂e per ha"),
        whole,
    )
    return render_template(
        "verifier/season_result.html",
        report=report,
        item=item,
        r=item.result,
        entries={e.id: e for e in item.season.entries},
        kinds=KIND_LABELS,
        season_types=SEASON_LABELS,
        chart=chart,
    )


@bp.get("/mrv/reports/<int:report_id>/evidence/<sha256>")
@login_required
def evidence(report_id: int, sha256: str) -> Response:
    """A photo or document of a submitted report, for verifiers and the report's own HTX;
    only files that the frozen report content cites."""
    acting = principal()
    report = db.session.get(MrvReport, report_id)
    if report is None or report.submitted_at is None or not report.content:
        abort(404)
    if acting.kind is not OrgKind.VERIFIER and acting.organisation_id != report.organisation_id:
        abort(404)
    cited = {sha for s in report.content.get("seasons", []) for sha in s.get("evidence", [])}
    if sha256 not in cited:
        abort(404)
    return evidence_files.send(trace.evidence_of(db.session, report.organisation_id, sha256))


@bp.post("/mrv/reports/<int:report_id>/corrections")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def corrections(report_id: int) -> Page:
    """Send the report back to the HTX with what to correct (logged)."""
    report = _submitted(report_id)
    text = request.form.get("text", "")
    if len(text) > MAX_TEXT:
        errors: dict[str, Any] = {"text": [_("At most %(n)d characters.", n=MAX_TEXT)]}
        return _review_page(report, correction_errors=errors, form=request.form), 422
    try:
        approvals.request_correction(
            db.session, acting_organisation(), principal().user, report.id, text
        )
    except DomainError as exc:
        status = exc.status
        return _review_page(report, correction_errors=_errors(exc), form=request.form), status
    db.session.commit()
    flash(_("Your request for correction was sent to the HTX and logged."), "success")
    return redirect(url_for("verifier.review", report_id=report.id))


# ---------------------------------------------------------------- statement and signature
@bp.post("/mrv/reports/<int:report_id>/statement")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def statement(report_id: int) -> Page:
    """Build the statement to sign (every check that needs no signature is made here)."""
    report = _submitted(report_id)
    choice = request.form.get("decision", "")
    kid = request.form.get("kid", "").strip()
    reason = request.form.get("reason", "").strip()
    errors: dict[str, Any] = {}
    if choice not in {d.value for d in Decision}:
        errors["decision"] = [_("Choose approve or reject.")]
    elif choice == Decision.REJECTED.value and not reason:
        errors["reason"] = [_("Give the reasons for the rejection: the HTX reads them.")]
    if len(reason) > MAX_REASON:
        errors["reason"] = [_("At most %(n)d characters.", n=MAX_REASON)]
    if not kid:
        errors["kid"] = [_("Choose one of your keys.")]
    status = 422
    if not errors:
        decision = Decision(choice)
        try:
            built = approvals.new_statement(
                db.session,
                acting_organisation(),
                report.id,
                decision,
                kid,
                reason if decision is Decision.REJECTED else None,
            )
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
        else:
            return _sign_page(report, built, {})
    return _review_page(report, decision_errors=errors, form=request.form), status


def _sign_page(
    report: MrvReport, statement: dict[str, Any], errors: dict[str, Any], signature: str = ""
) -> str:
    try:
        to_sign = signing.b64url(signing.statement_bytes(statement))
    except (TypeError, ValueError):
        to_sign = ""  # not a statement the registry made: nothing to sign in the browser
    download = url_for(
        "verifier.statement_file",
        report_id=report.id,
        type=statement.get("type"),
        kid=statement.get("kid"),
        signed_at=statement.get("signed_at"),
        reason=statement.get("reason"),
    )
    return render_template(
        "verifier/sign.html",
        report=report,
        statement=statement,
        pretty=json.dumps(statement, ensure_ascii=False, indent=2),
        signed_local=local_time(statement["signed_at"]),
        compact=json.dumps(statement, ensure_ascii=False, separators=(",", ":")),
        to_sign=to_sign,
        download=download,
        filename=f"statement-{report.id}.json",
        errors=errors,
        signature=signature,
    )


@bp.get("/mrv/reports/<int:report_id>/statement.json")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def statement_file(report_id: int) -> Response:
    """The statement as a file for `registry verifier sign`: rebuilt from its type, key and
    time, so it is exactly the one shown on the page."""
    report = _submitted(report_id)
    org = acting_organisation()
    decision = {v: k for k, v in approvals.TYPES.items()}.get(request.args.get("type", ""))
    try:
        signed_at = datetime.fromisoformat(request.args.get("signed_at", "").replace("Z", "+00:00"))
    except ValueError:
        abort(404)
    if decision is None or signed_at.tzinfo is None:
        abort(404)
    approvals.check_may_decide(db.session, org, report)
    key = approvals.usable_key(db.session, org, request.args.get("kid", ""), signed_at)
    built = approvals.build_statement(
        report, org, decision, key.kid, signed_at, request.args.get("reason") or None
    )
    response = current_app.response_class(
        json.dumps(built, ensure_ascii=False, indent=2) + "\n", mimetype="application/json"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="statement-{report.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _well_formed(posted: Any) -> bool:
    """An object with the statement's text fields as text and a time with its offset, so
    that only the service's word-for-word comparison decides the rest."""
    if not isinstance(posted, dict):
        return False
    if not all(isinstance(posted.get(k), str) for k in ("type", "kid", "signed_at")):
        return False
    try:
        signed_at = datetime.fromisoformat(posted["signed_at"].replace("Z", "+00:00"))
    except ValueError:
        return False
    return signed_at.tzinfo is not None


@bp.post("/mrv/reports/<int:report_id>/decision")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.VERIFIER)
def decision(report_id: int) -> Page:
    """Record the signed decision: the registry checks the statement word for word and the
    signature against the verifier's registered key before anything is recorded."""
    report = _submitted(report_id)
    try:
        posted = json.loads(request.form.get("statement", ""))
    except ValueError:
        posted = None
    if not _well_formed(posted):
        errors = {"statement": [_("The statement is missing or damaged: build a new one.")]}
        return _review_page(report, decision_errors=errors), 422
    signature = "".join(request.form.get("signature", "").split()).rstrip("=")
    errors = {}
    status = 422
    if not signature:
        errors["signature"] = [
            _("Paste the signature printed by the command, or sign in this browser.")
        ]
    elif not SIGNATURE.fullmatch(signature):
        errors["signature"] = [_("Not an Ed25519 signature: it has 86 characters of base64url.")]
    else:
        try:
            recorded = approvals.record_decision(
                db.session, acting_organisation(), report.id, posted, signature
            )
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
        else:
            db.session.commit()
            if recorded.decision is Decision.APPROVED:
                flash(_("Approval signed and recorded. The report is approved."), "success")
            else:
                flash(_("Rejection signed and recorded. The HTX sees your reasons."), "success")
            return redirect(url_for("verify.report", report_id=report.id))
    return _sign_page(report, posted, errors, signature), status


# ---------------------------------------------------------------- accreditation
def _accreditation_status(accreditation: Accreditation, today: date) -> str:
    if accreditation.suspended_at is not None:
        return "suspended"
    if accreditation.valid_until < today:
        return "expired"
    if accreditation.valid_from > today:
        return "future"
    return "active"


def _verifiers_page(errors: dict[str, Any], form: Any) -> str:
    verifiers = list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.VERIFIER)
            .order_by(Organisation.code)
        )
    )
    accreditations: dict[int, list[Accreditation]] = {v.id: [] for v in verifiers}
    for a in db.session.scalars(select(Accreditation).order_by(Accreditation.id.desc())):
        accreditations.setdefault(a.organisation_id, []).append(a)
    return render_template(
        "verifier/verifiers.html",
        verifiers=verifiers,
        verifier_names={v.code: f"{v.name} ({v.code})" for v in verifiers},
        accreditations=accreditations,
        status_of=_accreditation_status,
        status_labels=ACCREDITATION_LABELS,
        today=trace.today_in_vietnam(),
        provinces=PROVINCES,
        crops={code: crop.name for code, crop in crop_catalogue.catalogue().items()},
        errors=errors,
        accredit_errors={k: v for k, v in errors.items() if not k.startswith("reason-")},
        form=form,
    )


def _accreditation_values(form: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    errors: dict[str, Any] = {}
    crops = form.getlist("crops")
    provinces = form.getlist("provinces")
    if not crops or any(c not in crop_catalogue.codes() for c in crops):
        errors["crops"] = [_("Choose the crops.")]
    if not provinces or any(p not in PROVINCES for p in provinces):
        errors["provinces"] = [_("Choose at least one province.")]
    dates: dict[str, date] = {}
    for name in ("valid_from", "valid_until"):
        try:
            dates[name] = date.fromisoformat(form.get(name, ""))
        except ValueError:
            errors[name] = [_("Not a valid date.")]
    if errors:
        return None, errors
    return {"crops": crops, "provinces": provinces, **dates}, {}


@bp.route("/verifiers", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
@kinds_required(OrgKind.AUTHORITY)
def verifiers() -> Page:
    """The authority accredits verifiers (crops, provinces, period) and suspends them."""
    if request.method == "GET":
        return _verifiers_page({}, MultiDict({"crops": "rice"}))
    verifier = db.session.scalar(
        select(Organisation).where(
            Organisation.code == request.form.get("organisation", ""),
            Organisation.kind == OrgKind.VERIFIER,
        )
    )
    values, errors = _accreditation_values(request.form)
    if verifier is None:
        errors["organisation"] = [_("Choose a verifier.")]
    status = 422
    if verifier is not None and values is not None:
        try:
            approvals.accredit(db.session, verifier, acting_organisation(), **values)
        except DomainError as exc:
            errors, status = _errors(exc), exc.status
        else:
            db.session.commit()
            flash(_("%(name)s accredited.", name=verifier.name), "success")
            return redirect(url_for("verifier.verifiers"))
    return _verifiers_page(errors, request.form), status


@bp.post("/verifiers/accreditations/<int:accreditation_id>/suspend")
@roles_required(Role.ADMIN)
@kinds_required(OrgKind.AUTHORITY)
def suspend(accreditation_id: int) -> Page:
    accreditation = db.session.get(Accreditation, accreditation_id)
    if accreditation is None:
        abort(404)
    reason = request.form.get("reason", "").strip()
    if not reason or len(reason) > MAX_REASON:
        message = _("Give the reason for the suspension (at most %(n)d characters).", n=MAX_REASON)
        form = MultiDict({"crops": "rice"})
        return _verifiers_page({f"reason-{accreditation_id}": [message]}, form), 422
    if accreditation.suspended_at is None:
        approvals.suspend(db.session, accreditation, acting_organisation(), reason)
        db.session.commit()
    name = accreditation.organisation.name
    flash(_("Accreditation of %(name)s suspended.", name=name), "success")
    return redirect(url_for("verifier.verifiers"))


# ---------------------------------------------------------------- revoking an approval
@bp.post("/mrv/approvals/<int:approval_id>/revoke")
@roles_required(*DECIDERS)
@kinds_required(OrgKind.AUTHORITY, OrgKind.VERIFIER)
def revoke_approval(approval_id: int) -> Page:
    """The authority, or the verifier that signed it, revokes an approval with a reason;
    the seasons that depended on it are no longer verified."""
    found = approvals.approval(db.session, approval_id)
    report = found.report
    try:
        seasons = approvals.revoke(
            db.session,
            acting_organisation(),
            approval_id,
            request.form.get("reason", "")[:MAX_REASON],
        )
    except DomainError as exc:
        if isinstance(exc, NotFound) or exc.status == 403:
            raise
        return render_template(
            "verify/report.html",
            report=report,
            totals=reports.totals(report),
            season_types=SEASON_LABELS,
            revoke_errors={approval_id: _errors(exc)},
        ), exc.status
    db.session.commit()
    flash(
        _(
            "Approval revoked. These seasons are no longer verified: %(seasons)s.",
            seasons=", ".join(seasons),
        ),
        "success",
    )
    return redirect(url_for("verify.report", report_id=report.id))


# ---------------------------------------------------------------- for the report page
@bp.app_template_global()
def verifier_approvals(report_id: int) -> list[Approval]:
    return approvals.approvals_of_report(db.session, report_id)


@bp.app_template_global()
def verifier_comments(report_id: int) -> list[ReviewComment]:
    return list(
        db.session.scalars(
            select(ReviewComment)
            .where(ReviewComment.report_id == report_id)
            .order_by(ReviewComment.id)
        )
    )


@bp.app_template_global()
def verifier_may_revoke(found: Approval) -> bool:
    """The authority, or the verifier that signed, with a role that may act."""
    if not current_user.is_authenticated or found.revoked_at is not None:
        return False
    user = current_user._get_current_object()
    if not any(user.has_role(r) for r in DECIDERS):
        return False
    kind = user.organisation.kind
    return bool(
        kind is OrgKind.AUTHORITY
        or (kind is OrgKind.VERIFIER and user.organisation_id == found.verifier_id)
    )


@bp.app_template_global()
def verifier_decision_label(decision: Decision) -> str:
    return str(DECISION_LABELS[decision])


@bp.app_template_filter("rfc3339_local")
def rfc3339_local(value: str | None) -> str:
    """An RFC 3339 time (a photo's EXIF time) as dd/mm/yyyy hh:mm, keeping its offset."""
    if not value:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    shown = when.strftime("%d/%m/%Y %H:%M")
    offset = when.strftime("%z")
    return f"{shown} UTC{offset[:3]}:{offset[3:]}" if offset else shown
