"""Trace service, part 1: fields, certifications, seasons and the farm diary.

Every function acts for one organisation (`org`) and raises `NotFound` for another
organisation's records. Changes are logged in the transparency log with codes, figures and
digests only: never the member household. Callers commit."""

from __future__ import annotations

import calendar
import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO, cast

import rfc8785
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from registry import crops
from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.errors import Conflict, DomainError, NotFound
from registry.i18n import vn_date
from registry.ledger import sequencer
from registry.numbers import number
from registry.trace import finding, geo
from registry.trace.evidence import EvidenceNotFound, EvidenceStore
from registry.trace.labels import KIND_LABELS
from registry.trace.models import (
    BASELINE_YEAR,
    Certification,
    DiaryEntry,
    DiaryKind,
    EvidenceFile,
    Field,
    Scheme,
    Season,
    SeasonStatus,
    SeasonType,
)

VIETNAM = timedelta(hours=7)  # UTC+7 all year, no daylight saving


class FieldNotFound(NotFound):
    title = _l("This field does not exist in your organisation.")


class SeasonNotFound(NotFound):
    title = _l("This season does not exist in your organisation.")


class AlreadyCorrected(Conflict):
    """A correction of an entry that someone corrected meanwhile: the one refusal the
    phone's outbox may resend as a correction of the latest correction instead."""


class InvalidEntry(DomainError):
    title = _l("This diary entry cannot be recorded.")


def today_in_vietnam() -> date:
    return (datetime.now(UTC) + VIETNAM).date()


def digest(document: Any) -> str:
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


# ---------------------------------------------------------------- fields
def register_field(session: Db, org: Organisation, values: dict[str, Any]) -> Field:
    """Register a field from `FieldIn` values; its location is checked against its area."""
    try:
        location = geo.validate_location(values["location"], values["area_ha"])
    except geo.GeoError as exc:
        raise InvalidEntry(errors={"location": list(exc.messages)}) from exc
    if _field(session, org.id, values["code"]) is not None:
        raise Conflict(
            _l("A field with this code already exists."),
            errors={"code": [str(_l("Already in use."))]},
        )
    field = Field(
        organisation_id=org.id,
        code=values["code"],
        planting_area_code=values.get("planting_area_code"),
        name=values["name"],
        area_ha=values["area_ha"],
        province=values["province"],
        commune=values["commune"],
        household=values.get("household"),
        geometry=location.geometry,
        drawn_area_ha=location.area_ha,
        search_text=finding.search_text(
            values["code"], values["name"], values.get("planting_area_code")
        ),
        log_index=-1,
    )
    session.add(field)
    session.flush()
    sequencer.record(
        session,
        "field.registered",
        org.code,
        field.code,
        {
            "code": field.code,
            "planting_area_code": field.planting_area_code,
            "area_ha": field.area_ha,
            "province": field.province,
            "commune": field.commune,
            "location": digest(location.geometry),
        },
        [(field, "log_index")],
    )
    return field


def _field(session: Db, organisation_id: int, code: str) -> Field | None:
    return session.scalar(
        select(Field).where(Field.organisation_id == organisation_id, Field.code == code.upper())
    )


def field_by_code(session: Db, organisation_id: int, code: str) -> Field:
    field = _field(session, organisation_id, code)
    if field is None:
        raise FieldNotFound()
    return field


def fields_of(session: Db, organisation_id: int) -> list[Field]:
    query = select(Field).where(Field.organisation_id == organisation_id).order_by(Field.code)
    return list(session.scalars(query))


def add_certification(
    session: Db, org: Organisation, field_code: str, values: dict[str, Any]
) -> Certification:
    field = field_by_code(session, org.id, field_code)
    if values.get("document"):
        _require_evidence(session, org.id, [values["document"]], "document")
    cert = Certification(
        field=field,
        scheme=Scheme(values["scheme"]),
        number=values["number"],
        issuer=values["issuer"],
        valid_from=values["valid_from"],
        valid_until=values["valid_until"],
        ocop_stars=values.get("ocop_stars"),
        document_sha256=values.get("document"),
    )
    session.add(cert)
    session.flush()
    sequencer.record(
        session,
        "certification.added",
        org.code,
        field.code,
        {
            "scheme": cert.scheme.value,
            "number": cert.number,
            "issuer": cert.issuer,
            "valid_from": cert.valid_from.isoformat(),
            "valid_until": cert.valid_until.isoformat(),
            "ocop_stars": cert.ocop_stars,
            "document": cert.document_sha256,
        },
    )
    return cert


# ---------------------------------------------------------------- seasons
def open_season(session: Db, org: Organisation, values: dict[str, Any]) -> Season:
    """Open a season from `SeasonIn` values: a rice season, the next crop cycle of an annual
    crop on the field that year, or an orchard's growing year."""
    field = field_by_code(session, org.id, values["field"])
    crop = crops.get(values["crop"])
    season_type = SeasonType(values["season_type"])
    cycle = _next_cycle(session, field, values["year"], season_type)
    season = Season(
        field=field,
        code=season_type.code(field.code, values["year"], cycle),
        crop=crop.code,
        season_type=season_type,
        year=values["year"],
        cycle=cycle,
        planting_year=values.get("planting_year"),
        tree_count=values.get("tree_count"),
        sowing_date=values["sowing_date"],
    )
    session.add(season)
    session.flush()
    facts = {
        "field": field.code,
        "crop": season.crop,
        "season_type": season_type.value,
        "year": season.year,
        "sowing_date": season.sowing_date.isoformat(),
        "cycle": cycle if season_type.numbered else None,
        "planting_year": season.planting_year,
        "tree_count": season.tree_count,
    }
    sequencer.record(
        session,
        "season.opened",
        org.code,
        season.code,
        {k: v for k, v in facts.items() if v is not None},
    )
    return season


def _next_cycle(session: Db, field: Field, year: int, season_type: SeasonType) -> int:
    """1, or the next number of a numbered period; a second season of a kind is refused."""
    taken = session.scalar(
        select(func.max(Season.cycle)).where(
            Season.field_id == field.id, Season.year == year, Season.season_type == season_type
        )
    )
    if taken is None:
        return 1
    if season_type.numbered:
        return int(taken) + 1
    raise Conflict(
        _l("This field already has this season."),
        errors={"season_type": [str(_l("Already in use."))]},
    )


def season_by_code(session: Db, organisation_id: int, code: str) -> Season:
    season = session.scalar(
        select(Season)
        .join(Field)
        .where(Field.organisation_id == organisation_id, Season.code == code.upper())
    )
    if season is None:
        raise SeasonNotFound()
    return season


def baseline_of(session: Db, season: Season) -> Season | None:
    """The 2020 period of the same crop on the same field (the plans' reference year): the
    same season type and cycle number first. None for a 2020 season itself."""
    if season.is_baseline:
        return None
    candidates = session.scalars(
        select(Season)
        .where(
            Season.field_id == season.field_id,
            Season.year == BASELINE_YEAR,
            Season.crop == season.crop,
        )
        .order_by(Season.id)
    )
    return min(
        candidates,
        key=lambda s: (s.season_type != season.season_type, s.cycle != season.cycle),
        default=None,
    )


def seasons_of(session: Db, organisation_id: int) -> list[Season]:
    query = (
        select(Season)
        .join(Field)
        .where(Field.organisation_id == organisation_id)
        .order_by(Season.sowing_date.desc(), Season.code)
    )
    return list(session.scalars(query))


# ---------------------------------------------------------------- diary
def record_entry(session: Db, org: Organisation, user: User, values: dict[str, Any]) -> DiaryEntry:
    """Append a diary entry from `DiaryEntryIn` values (a correction when it supersedes).
    The entry's kind must be one the season's crop keeps (crop catalogue)."""
    season = season_by_code(session, org.id, values["season"])
    kind = DiaryKind(values["kind"])
    check_kind(season, kind)
    _check_date(season, kind, values["date"])
    previous = _superseded(session, season, kind, values.get("supersedes"))
    _check_data(season, kind, values, previous)
    _require_evidence(session, org.id, values["evidence"], "evidence")
    content = {
        "season": season.code,
        "kind": kind.value,
        "date": values["date"].isoformat(),
        "data": values["data"],
        "evidence": values["evidence"],
        "supersedes": previous.id if previous else None,
    }
    entry = DiaryEntry(
        season=season,
        kind=kind,
        date=values["date"],
        data=values["data"],
        evidence=values["evidence"],
        supersedes=previous,
        reason=values.get("reason"),
        digest=digest(content),
        recorded_by_id=user.id,
        log_index=-1,
    )
    session.add(entry)
    session.flush()
    sequencer.record(
        session,
        "season.diary",
        org.code,
        season.code,
        {
            "entry": entry.id,
            "kind": kind.value,
            "digest": entry.digest,
            "supersedes": entry.supersedes_id,
        },
        [(entry, "log_index")],
    )
    if kind is DiaryKind.HARVEST:
        _harvested(season, entry)
    return entry


def check_kind(season: Season, kind: DiaryKind) -> None:
    """Refuse a kind of entry the season's crop does not keep (a field message on `kind`)."""
    crop = season.crop_info
    if not crop.offers(kind.value):
        message = _l(
            "“%(kind)s” is not kept for %(crop)s: choose another kind of entry.",
            kind=KIND_LABELS[kind],
            crop=crop.name.lower(),
        )
        raise InvalidEntry(errors={"kind": [str(message)]})


def _harvested(season: Season, entry: DiaryEntry) -> None:
    """The season's harvest: the latest entry's for a crop harvested once, the sum of the
    current harvests (pickings, cuttings) for one harvested several times."""
    if season.crop_info.several_harvests:
        harvests = [e for e in current_entries(season) if e.kind is DiaryKind.HARVEST]
        season.harvest_date = max(e.date for e in harvests)
        season.harvested_kg = sum(float(e.data["kg"]) for e in harvests)
    else:
        season.harvest_date, season.harvested_kg = entry.date, float(entry.data["kg"])
    season.status = SeasonStatus.HARVESTED


def period_end(season: Season) -> date | None:
    """The first day after a fixed-length period (an orchard's growing year); None when the
    period runs to its last harvest."""
    months = season.crop_info.kind.period_months
    if months is None:
        return None
    start = season.sowing_date
    years, index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _check_date(season: Season, kind: DiaryKind, on: date) -> None:
    if on > today_in_vietnam():
        raise InvalidEntry(errors={"date": [str(_l("The date is in the future."))]})
    days = season.crop_info.kind.preseason_days
    if on < season.sowing_date - timedelta(days=days):
        message = (
            _l("The date is more than %(days)d days before sowing.", days=days)
            if days
            else _l(
                "The date is before the season starts (%(date)s).", date=vn_date(season.sowing_date)
            )
        )
        raise InvalidEntry(errors={"date": [str(message)]})
    end = period_end(season)
    if end is not None and on >= end:
        last_day = vn_date(end - timedelta(days=1))
        message = _l("The date is after the season ends (%(date)s).", date=last_day)
        raise InvalidEntry(errors={"date": [str(message)]})
    if kind is DiaryKind.HARVEST and on < season.sowing_date:
        raise InvalidEntry(errors={"date": [str(_l("The harvest cannot be before sowing."))]})


def _check_data(
    season: Season, kind: DiaryKind, values: dict[str, Any], previous: DiaryEntry | None
) -> None:
    """What an entry's data must agree with beyond its own schema."""
    data = values["data"]
    if kind is DiaryKind.PLANTING and data["planting_year"] > values["date"].year:
        raise InvalidEntry(
            errors=_in_data("planting_year", _l("The year is after the entry's date."))
        )
    if kind is DiaryKind.TREES and data.get("area_ha"):
        earlier = sum(
            float(e.data.get("area_ha") or 0)
            for e in current_entries(season)
            if e.kind is DiaryKind.TREES and e is not previous
        )
        if earlier + float(data["area_ha"]) > season.field.area_ha:
            message = _l(
                "Trees on more than the field's %(ha)s ha cannot be cut.",
                ha=number(season.field.area_ha, "#,##0.####"),
            )
            raise InvalidEntry(errors=_in_data("area_ha", message))


def _in_data(name: str, message: Any) -> dict[str, Any]:
    """A message about an input of the entry's data, shaped as the schema's are."""
    return {"data": {name: [str(message)]}}


def _superseded(
    session: Db, season: Season, kind: DiaryKind, entry_id: int | None
) -> DiaryEntry | None:
    if entry_id is None:
        return None
    previous = session.get(DiaryEntry, entry_id)
    if previous is None or previous.season_id != season.id:
        raise InvalidEntry(errors={"supersedes": [str(_l("No such entry in this season."))]})
    if previous.kind is not kind:
        raise InvalidEntry(
            errors={
                "supersedes": [str(_l("A correction keeps the kind of the entry it corrects."))]
            }
        )
    if session.scalar(select(DiaryEntry.id).where(DiaryEntry.supersedes_id == entry_id)):
        raise AlreadyCorrected(
            errors={"supersedes": [str(_l("This entry was already corrected."))]}
        )
    return previous


def _require_evidence(session: Db, organisation_id: int, hashes: list[str], name: str) -> None:
    if not hashes:
        return
    known = set(
        session.scalars(
            select(EvidenceFile.sha256).where(
                EvidenceFile.organisation_id == organisation_id, EvidenceFile.sha256.in_(hashes)
            )
        )
    )
    if missing := [h for h in hashes if h not in known]:
        raise InvalidEntry(
            errors={name: [str(_l("Upload the file first: %(sha)s", sha=missing[0][:12]))]}
        )


# ---------------------------------------------------------------- evidence
def store_evidence(
    session: Db,
    org: Organisation,
    store: EvidenceStore,
    upload: FileStorage | None,
    device: dict[str, Any] | None = None,
) -> EvidenceFile:
    """Keep an uploaded photo or document (re-encoded, EXIF stripped) for the organisation.
    `device` (`PhotoContextIn` values) is when and where the phone says the photo was taken:
    kept where the photo's own EXIF says nothing, marked as the phone's."""
    if upload is None or not upload.filename:
        raise InvalidEntry(errors={"file": [str(_l("Choose a photo or a PDF file."))]})
    stored = store.save(cast(BinaryIO, upload.stream), upload.filename, upload.mimetype)
    record = session.get(EvidenceFile, (org.id, stored.sha256))
    if record is None:
        record = EvidenceFile(
            organisation_id=org.id,
            sha256=stored.sha256,
            content_type=stored.content_type,
            size=stored.size,
            original_name=stored.original_name,
            meta=_with_device(stored.metadata, device or {}),
        )
        session.add(record)
        session.flush()
    return record


def _with_device(metadata: dict[str, Any], device: dict[str, Any]) -> dict[str, Any]:
    """The EXIF's time and position, or else the phone's (`*_source: "device"`)."""
    found = dict(metadata)
    if not found.get("taken_at") and device.get("taken_at"):
        taken = device["taken_at"].astimezone(UTC).isoformat(timespec="seconds")
        found |= {"taken_at": taken, "taken_at_naive": False, "taken_at_source": "device"}
    if not found.get("gps") and device.get("lat") is not None:
        position = {"lat": device["lat"], "lon": device["lon"], "alt": None}
        found |= {"gps": position | {"accuracy_m": device.get("accuracy_m")}}
        found["gps_source"] = "device"
    return found


def evidence_of(session: Db, organisation_id: int, sha256: str) -> EvidenceFile:
    record = session.get(EvidenceFile, (organisation_id, sha256))
    if record is None:
        raise EvidenceNotFound()
    return record


def correction_target(season: Season, kind: DiaryKind, supersedes: int) -> int | None:
    """The entry that a correction refused as AlreadyCorrected could correct instead: the
    latest correction of the entry it meant to correct (for the phone's outbox, whose
    corrections may arrive after a colleague's)."""
    by_id = {e.id: e for e in season.entries}
    later = {e.supersedes_id: e for e in season.entries if e.supersedes_id}
    entry = by_id.get(supersedes)
    while entry is not None and entry.id in later:
        entry = later[entry.id]
    return entry.id if entry is not None and entry.kind is kind else None


def current_entries(season: Season) -> list[DiaryEntry]:
    """The diary as it stands: entries that no later correction replaced."""
    replaced = {e.supersedes_id for e in season.entries if e.supersedes_id}
    return [e for e in season.entries if e.id not in replaced]
