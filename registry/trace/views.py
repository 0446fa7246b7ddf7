"""HTX pages: fields and their map, seasons, and the phone-first farm diary.

Forms are validated by the same marshmallow schemas as the API; a bad submission re-shows
the form with 422 and a message beside each field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response

from registry import crops
from registry.accounts.access import acting_organisation, kinds_required, principal
from registry.accounts.models import OrgKind
from registry.db import db
from registry.errors import DomainError, problem, wants_problem_json
from registry.idempotency.http import commit_work, idempotent
from registry.ledger import sequencer
from registry.places import PROVINCES
from registry.trace import evidence as evidence_files
from registry.trace import finding, geo, maps, questions, schemas, service
from registry.trace.labels import (
    DIARY_FIELDS,
    KIND_LABELS,
    NEED_LABELS,
    OPTION_LABELS,
    PERIOD_HINTS,
    PROGRESS_LABELS,
    SCHEME_LABELS,
    SEASON_LABELS,
    describe,
    inputs_for,
)
from registry.trace.models import DiaryKind, SeasonType
from registry.validation import localise

bp = Blueprint("trace", __name__)

Page = str | tuple[str, int] | Response
P = ParamSpec("P")
R = TypeVar("R")


def producer_only(view: Callable[P, R]) -> Callable[P, R]:
    """Pages for signed-in staff of an HTX (producer organisation)."""
    return login_required(kinds_required(OrgKind.PRODUCER)(view))


def _load(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Validated values, or None and the field messages in the person's language."""
    try:
        return schema.load(data), {}
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return None, localise(messages)


def _form(keys: list[str]) -> dict[str, Any]:
    """The named form fields, leaving out empty ones so that optional fields stay optional."""
    return {k: request.form[k] for k in keys if request.form.get(k, "").strip()}


# ---------------------------------------------------------------- fields
@bp.get("/fields")
@producer_only
def fields() -> Page:
    """The map of every field, and the list searched, filtered and cut into pages of 50."""
    org_id = principal().organisation_id
    mapped = maps.field_features(db.session, org_id, lambda code: url_for("trace.field", code=code))
    features = [_map_feature(f) for f in mapped["features"]]  # the map without script
    query, errors = _load(schemas.FieldQuery(), request.args.to_dict())
    found = finding.find_fields(db.session, org_id, **_filters(query))
    return render_template(
        "trace/fields.html",
        map_svg=geo.svg_map(features),
        page=found,
        filters=request.args if errors else query,
        errors=errors,
        args=_list_args(query),
        communes=[(c, c) for c in finding.communes_of(db.session, org_id)],
        crops=_crop_options(),
    ), (400 if errors else 200)


def _map_feature(feature: dict[str, Any]) -> geo.MapFeature:
    """A feature of /fields/map.geojson as the server's SVG map draws it."""
    found = feature["properties"]
    return geo.MapFeature(found["code"], found["name"], found["href"], feature["geometry"])


def _list_args(query: dict[str, Any] | None) -> dict[str, str]:
    """The list's filters as its query string has them, without the page: what the links
    between pages keep (none when some were bad)."""
    if query is None:
        return {}
    return {k: v for k, v in request.args.items() if k in query and k != "page" and v.strip()}


def _crop_options() -> list[tuple[str, str]]:
    return [(code, crop.name) for code, crop in crops.catalogue().items()]


def _filters(query: dict[str, Any] | None) -> dict[str, Any]:
    """A list's validated filters for the service; none (the whole list) when some were bad,
    so the page still lists beside the messages."""
    if query is None:
        return {}
    return {**query, "page": query["page"] or 1}


FIELD_KEYS = ["code", "planting_area_code", "name", "area_ha", "province", "commune", "household"]


def _location_from_form() -> dict[str, Any] | str | None:
    """A GeoJSON geometry from the form: pasted GeoJSON, or latitude and longitude."""
    pasted = request.form.get("geojson", "").strip()
    if pasted:
        return pasted
    lat, lon = request.form.get("lat", "").strip(), request.form.get("lon", "").strip()
    if not lat and not lon:
        return None
    try:
        return {"type": "Point", "coordinates": [float(lon), float(lat)]}
    except ValueError:
        return "not-a-number"


def _parse_json(pasted: str) -> Any:
    """Pasted GeoJSON; text that is not JSON is passed on for the schema to refuse."""
    try:
        return json.loads(pasted)
    except ValueError:
        return pasted


@bp.route("/fields/new", methods=["GET", "POST"])
@producer_only
@idempotent
def new_field() -> Page:
    """The new-field form. The phone's outbox (static/js/outbox.js) posts the same form
    asking for JSON, with an `Idempotency-Key`: it gets 201 and the field, or the problem
    details of the app's error handlers (422 with a message by field, 409 for a code
    already taken); a retry gets the first answer, never a second field."""
    errors: dict[str, Any] = {}
    if request.method == "POST" and wants_problem_json():
        return _field_created(_register_from_form())
    if request.method == "POST":
        try:
            field = _register_from_form()
        except ValidationError as exc:
            errors = localise(_messages(exc))
        except DomainError as exc:
            errors = localise(exc.errors)
        else:
            flash(_("Field %(code)s registered.", code=field.code), "success")
            return redirect(url_for("trace.field", code=field.code))
    org = acting_organisation()
    status = 422 if errors else 200
    return render_template(
        "trace/field_new.html",
        errors=errors,
        form=request.form,
        provinces=PROVINCES,
        default_province=org.province,
        default_commune=org.commune,
    ), status


def _register_from_form() -> Any:
    """Register the posted field; raises ValidationError or a DomainError. Not committed:
    `@idempotent` commits it with its answer."""
    data = _form(FIELD_KEYS)
    location = _location_from_form()
    if location is not None:
        data["location"] = _parse_json(location) if isinstance(location, str) else location
    return service.register_field(db.session, acting_organisation(), schemas.FieldIn().load(data))


def _field_created(field: Any) -> Response:
    commit_work()  # the answer shows the field's log index, known once committed
    body = schemas.FieldOut().dump(field)
    body["url"] = url_for("trace.field", code=field.code)
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["url"]
    return response


def _field_page(code: str, errors: dict[str, Any], form: Any) -> str:
    """The field page; `errors` holds the certificate form's ("cert")."""
    found = service.field_by_code(db.session, principal().organisation_id, code)
    feature = geo.MapFeature(found.code, found.name, "#", found.geometry)
    return render_template(
        "trace/field.html",
        field=found,
        map_svg=geo.svg_map([feature]),
        crops=crops.catalogue(),
        season_types=SEASON_LABELS,
        scheme_labels=SCHEME_LABELS,
        errors=errors,
        form=form,
    )


@bp.get("/fields/<code>")
@producer_only
def field(code: str) -> str:
    return _field_page(code, {}, {})


SEASON_KEYS = ["crop", "season_type", "year", "sowing_date", "planting_year", "tree_count"]


def _season_form(code: str, crop_code: str, errors: dict[str, Any], form: Any) -> str:
    """The form that opens a season of one crop: the inputs its kind of period needs."""
    found = service.field_by_code(db.session, principal().organisation_id, code)
    crop = crops.get(crop_code)
    return render_template(
        "trace/season_new.html",
        field=found,
        crop=crop,
        season_types={t: SEASON_LABELS[SeasonType(t)] for t in crop.kind.season_types},
        period_hints={t.value: hint for t, hint in PERIOD_HINTS.items()},
        errors=errors,
        form=form,
        today=service.today_in_vietnam(),
    )


#: What a link may fill in on the season form: the MRV page's baseline guidance opens it on
#: the year 2020 and the season type of the season that lacks its baseline.
PREFILLED = ("year", "season_type")


@bp.get("/fields/<code>/seasons/new")
@producer_only
def new_season(code: str) -> str:
    prefill = {k: request.args[k] for k in PREFILLED if request.args.get(k)}
    return _season_form(code, request.args.get("crop", crops.DEFAULT), {}, prefill)


@bp.post("/fields/<code>/seasons")
@producer_only
def open_season(code: str) -> Page:
    data = {**_form(SEASON_KEYS), "field": code}
    values, errors = _load(schemas.SeasonIn(), data)
    if values is not None:
        try:
            with sequencer.batched(db.session):  # numbered once committed, in a batch
                season = service.open_season(db.session, acting_organisation(), values)
        except DomainError as exc:
            errors = localise(exc.errors)
        else:
            db.session.commit()
            flash(_("Season %(code)s opened.", code=season.code), "success")
            return redirect(url_for("trace.season", code=season.code))
    db.session.rollback()
    crop = data.get("crop", crops.DEFAULT)
    shown = crop if crop in crops.catalogue() else crops.DEFAULT
    return _season_form(code, shown, errors, request.form), 422


@bp.post("/fields/<code>/certifications")
@producer_only
def add_certification(code: str) -> Page:
    """Attach a VietGAP, GlobalGAP, organic or OCOP certificate, with its scan if given."""
    data = _form(["scheme", "number", "issuer", "valid_from", "valid_until", "ocop_stars"])
    try:
        scan = request.files.get("document")
        if scan and scan.filename:
            data["document"] = service.store_evidence(
                db.session, acting_organisation(), evidence_files.app_store(), scan
            ).sha256
        values, errors = _load(schemas.CertificationIn(), data)
        if values is not None:
            with sequencer.batched(db.session):
                service.add_certification(db.session, acting_organisation(), code, values)
            db.session.commit()
            flash(_("Certification added."), "success")
            return redirect(url_for("trace.field", code=code.upper()))
    except DomainError as exc:
        errors = localise(exc.errors) or {"_": [str(exc.title)]}
    db.session.rollback()
    return _field_page(code, {"cert": errors}, request.form), 422


# ---------------------------------------------------------------- seasons and the diary
@bp.get("/seasons")
@producer_only
def seasons() -> Page:
    """The seasons searched and filtered, 50 a page, each marked with what its MRV result
    still lacks in the diary."""
    org_id = principal().organisation_id
    query, errors = _load(schemas.SeasonQuery(), request.args.to_dict())
    found = finding.find_seasons(db.session, org_id, **_filters(query))
    return render_template(
        "trace/seasons.html",
        page=found,
        missing=finding.missing_of(db.session, found.items),
        progress=finding.progress_of(db.session, found.items),
        filters=request.args if errors else query,
        errors=errors,
        args=_list_args(query),
        years=[(y, y) for y in finding.years_of(db.session, org_id)],
        statuses=list(PROGRESS_LABELS.items()),
        crops=_crop_options(),
        season_types=SEASON_LABELS,
        kinds=KIND_LABELS,
        need_labels=NEED_LABELS,
        progress_labels=PROGRESS_LABELS,
    ), (400 if errors else 200)


@bp.get("/seasons/<code>")
@producer_only
def season(code: str) -> str:
    found = service.season_by_code(db.session, principal().organisation_id, code)
    replaced = {e.supersedes_id for e in found.entries if e.supersedes_id}
    end = service.period_end(found)
    return render_template(
        "trace/season.html",
        season=found,
        crop=found.crop_info,
        replaced=replaced,
        kinds=KIND_LABELS,
        season_types=SEASON_LABELS,
        describe=describe,
        questions=questions.of(found),
        baseline=service.baseline_of(db.session, found),
        last_day=end - timedelta(days=1) if end else None,
    )


@bp.route("/seasons/<code>/diary", methods=["GET", "POST"])
@producer_only
@idempotent
def diary_entry(code: str) -> Page:
    """The quick phone form: pick what happened, fill two or three boxes, save. Only the
    kinds of entry the season's crop keeps are offered; another one posted is refused.
    The phone's outbox (static/js/outbox.js) posts the same form asking for JSON, with an
    `Idempotency-Key`: it gets 201 and the entry, or problem details."""
    acting = principal()
    found = service.season_by_code(db.session, acting.organisation_id, code)
    crop = found.crop_info
    kind = request.values.get("kind", "")
    if request.method == "POST" and wants_problem_json():
        return _record_for_outbox(found, kind)
    if kind not in DiaryKind.__members__.values():
        return _kinds_page(found, {})
    if not crop.offers(kind):
        if request.method == "GET":
            return _kinds_page(found, {})
        try:
            service.check_kind(found, DiaryKind(kind))
        except DomainError as exc:
            return _kinds_page(found, localise(exc.errors)), 422
    corrects = request.values.get("supersedes", type=int)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        try:
            _record_from_form(code, DiaryKind(kind))
        except ValidationError as exc:
            db.session.rollback()
            errors = _flat(localise(_messages(exc)))
        except DomainError as exc:
            db.session.rollback()
            errors = _flat(localise(exc.errors)) or {"_": [str(exc.title)]}
        else:
            _saved(found)
            return redirect(url_for("trace.season", code=found.code))
    original = next((e for e in found.entries if e.id == corrects), None)
    form = request.form if request.method == "POST" else _prefill(original)
    return render_template(
        "trace/diary_form.html",
        season=found,
        kind=DiaryKind(kind),
        label=KIND_LABELS[DiaryKind(kind)],
        inputs=inputs_for(crop, kind),
        form=form,
        errors=errors,
        corrects=original,
        option_labels=OPTION_LABELS,
        today=service.today_in_vietnam().isoformat(),
    ), (422 if errors else 200)


def _saved(season: Any) -> None:
    """The page's messages after an entry is saved from the form (never for the outbox's
    JSON posts: a phone sending ten entries would stack ten of them on the next page)."""
    flash(_("Saved in the diary."), "success")
    for question in questions.of(season):
        flash(str(question), "warning")


def _record_for_outbox(season: Any, kind: str) -> Response:
    """The diary form's answer to the outbox: 201 and the entry, or problem details. A
    correction refused because the entry was corrected meanwhile names the latest
    correction (`correct`), so the clerk can send it as a correction of that one or discard
    it."""
    if kind not in DiaryKind.__members__.values() or not season.crop_info.offers(kind):
        message = _("Choose a kind of entry this season keeps.")
        return problem(422, message, errors={"kind": [message]})
    try:
        entry = _record_from_form(season.code, DiaryKind(kind))
    except ValidationError as exc:
        db.session.rollback()
        return problem(422, _("Some fields are not valid."), errors=localise(_messages(exc)))
    except DomainError as exc:
        db.session.rollback()
        target = _correct_instead(season, DiaryKind(kind), exc)
        detail = str(exc.detail) if exc.detail else None
        errors = localise(exc.errors) or None
        extra = {"correct": target} if target is not None else None
        return problem(exc.status, str(exc.title), detail, errors, slug=exc.kind, extra=extra)
    commit_work()  # the answer shows the entry's log index, known once committed
    body = schemas.DiaryEntryOut().dump(entry)
    body["url"] = url_for("trace.season", code=season.code, _anchor=f"entry-{entry.id}")
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = body["url"]
    return response


def _correct_instead(season: Any, kind: DiaryKind, exc: DomainError) -> int | None:
    """The entry a refused correction could correct instead, only when it was refused
    because a colleague corrected the same entry meanwhile. Any other refusal (a date in
    the future, too much area…) would be refused again, or would silently replace a valid
    entry, if it were resent as a correction."""
    supersedes = request.form.get("supersedes", type=int)
    if not isinstance(exc, service.AlreadyCorrected) or supersedes is None:
        return None
    return service.correction_target(season, kind, supersedes)


def _messages(exc: ValidationError) -> dict[str, Any]:
    return exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}


def _kinds_page(season: Any, errors: dict[str, Any]) -> str:
    """What happened today? The kinds of entry the season's crop keeps, in its order."""
    kinds = {DiaryKind(k): KIND_LABELS[DiaryKind(k)] for k in season.crop_info.diary_kinds}
    return render_template("trace/diary_kinds.html", season=season, kinds=kinds, errors=errors)


def _prefill(original: Any) -> dict[str, Any]:
    """The corrected entry's values as the form shows them (5000.0 reads as 5000)."""
    if original is None:
        return {}
    shown = {k: _shown(v) for k, v in original.data.items() if v not in (None, False)}
    return {**shown, "date": original.date.isoformat()}


def _shown(value: Any) -> Any:
    if value is True:
        return "y"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _record_from_form(code: str, kind: DiaryKind) -> Any:
    """Record the posted entry (with its photo, if any); raises ValidationError or a
    DomainError. Not committed: `@idempotent` commits it with the answer it keeps."""
    names = [spec["name"] for spec in DIARY_FIELDS[kind.value]]
    data: dict[str, Any] = _form(names)
    for spec in DIARY_FIELDS[kind.value]:
        if spec.get("type") == "checkbox":
            data[spec["name"]] = spec["name"] in request.form
    entry_data = {
        "season": code,
        "kind": kind.value,
        "date": request.form.get("date") or "",
        "data": data,
        **_form(["supersedes", "reason"]),
    }
    photo = request.files.get("photo")
    if photo and photo.filename:
        device = schemas.PhotoContextIn().load(_form(PHOTO_KEYS))
        org = acting_organisation()
        stored = service.store_evidence(db.session, org, evidence_files.app_store(), photo, device)
        entry_data["evidence"] = [stored.sha256]
    values = schemas.DiaryEntryIn().load(entry_data)
    return service.record_entry(db.session, acting_organisation(), principal().user, values)


PHOTO_KEYS = ["taken_at", "lat", "lon", "accuracy_m"]  # the phone's, for a photo without EXIF


def _flat(errors: dict[str, Any]) -> dict[str, Any]:
    """Messages about the entry's `data` beside the inputs they are about."""
    inner = errors.pop("data", {})
    return {**(inner if isinstance(inner, dict) else {"_": inner}), **errors}


@bp.get("/evidence/<sha256>")
@producer_only
def evidence(sha256: str) -> Response:
    """A stored photo or document, for its own organisation only."""
    record = service.evidence_of(db.session, principal().organisation_id, sha256)
    return evidence_files.send(record)
