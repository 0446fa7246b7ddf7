"""Trace service, part 1: fields, certifications, seasons and the farm diary.

Every function acts for one organisation (`org`) and raises `NotFound` for another
organisation's records. Changes are logged in the transparency log with codes, figures and
digests only: never the member household. Callers commit."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO, cast

import rfc8785
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.errors import Conflict, DomainError, NotFound
from registry.ledger import service as ledger
from registry.trace import geo
from registry.trace.evidence import EvidenceNotFound, EvidenceStore
from registry.trace.models import (
    Certification,
    Crop,
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
PRESEASON_DAYS = 120  # flooding, straw incorporation may be recorded this long before sowing


class FieldNotFound(NotFound):
    title = _l("This field does not exist in your organisation.")


class SeasonNotFound(NotFound):
    title = _l("This season does not exist in your organisation.")


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
        log_index=-1,
    )
    session.add(field)
    session.flush()
    field.log_index = ledger.append(
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
    ledger.append(
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
    field = field_by_code(session, org.id, values["field"])
    season_type = SeasonType(values["season_type"])
    code = f"{field.code}-{values['year']}-{season_type.short}"
    if session.scalar(
        select(Season.id).where(
            Season.field_id == field.id,
            Season.year == values["year"],
            Season.season_type == season_type,
        )
    ):
        raise Conflict(
            _l("This field already has this season."),
            errors={"season_type": [str(_l("Already in use."))]},
        )
    season = Season(
        field=field,
        code=code,
        crop=Crop(values["crop"]),
        season_type=season_type,
        year=values["year"],
        sowing_date=values["sowing_date"],
    )
    session.add(season)
    session.flush()
    ledger.append(
        session,
        "season.opened",
        org.code,
        code,
        {
            "field": field.code,
            "crop": season.crop.value,
            "season_type": season_type.value,
            "year": season.year,
            "sowing_date": season.sowing_date.isoformat(),
        },
    )
    return season


def season_by_code(session: Db, organisation_id: int, code: str) -> Season:
    season = session.scalar(
        select(Season)
        .join(Field)
        .where(Field.organisation_id == organisation_id, Season.code == code.upper())
    )
    if season is None:
        raise SeasonNotFound()
    return season


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
    """Append a diary entry from `DiaryEntryIn` values (a correction when it supersedes)."""
    season = season_by_code(session, org.id, values["season"])
    kind = DiaryKind(values["kind"])
    _check_date(season, kind, values["date"])
    previous = _superseded(session, season, kind, values.get("supersedes"))
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
    entry.log_index = ledger.append(
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
    )
    if kind is DiaryKind.HARVEST:
        season.harvest_date, season.harvested_kg = entry.date, float(entry.data["kg"])
        season.status = SeasonStatus.HARVESTED
    return entry


def _check_date(season: Season, kind: DiaryKind, on: date) -> None:
    if on > today_in_vietnam():
        raise InvalidEntry(errors={"date": [str(_l("The date is in the future."))]})
    if on < season.sowing_date - timedelta(days=PRESEASON_DAYS):
        raise InvalidEntry(
            errors={
                "date": [
                    str(
                        _l(
                            "The date is more than %(days)d days before sowing.",
                            days=PRESEASON_DAYS,
                        )
                    )
                ]
            }
        )
    if kind is DiaryKind.HARVEST and on < season.sowing_date:
        raise InvalidEntry(errors={"date": [str(_l("The harvest cannot be before sowing."))]})


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
        raise Conflict(errors={"supersedes": [str(_l("This entry was already corrected."))]})
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
    session: Db, org: Organisation, store: EvidenceStore, upload: FileStorage | None
) -> EvidenceFile:
    """Keep an uploaded photo or document (re-encoded, EXIF stripped) for the organisation."""
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
            meta=stored.metadata,
        )
        session.add(record)
        session.flush()
    return record


def evidence_of(session: Db, organisation_id: int, sha256: str) -> EvidenceFile:
    record = session.get(EvidenceFile, (organisation_id, sha256))
    if record is None:
        raise EvidenceNotFound()
    return record


def current_entries(season: Season) -> list[DiaryEntry]:
    """The diary as it stands: entries that no later correction replaced."""
    replaced = {e.supersedes_id for e in season.entries if e.supersedes_id}
    return [e for e in season.entries if e.id not in replaced]
