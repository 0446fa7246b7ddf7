"""The PDF and XLSX of a periodic report, built once and kept in the store by SHA-256.

A report's data is frozen when it is generated (periodic.py), so its files never change
either: the first download builds a file, puts it in the store (`registry.storage`) as
`reports/ab/abcdef….pdf` and records its digest in `report_files`; every later download, on
any web server, streams the stored bytes with the digest as ETag. A file that went missing
from the store is built again (the data it is drawn from is in the database). Callers
commit.

A build is reproducible (pdf.py, xlsx.py): the same data makes the same bytes, dated by
the data and not by the clock, so a file built again is the file it replaces, under the
same key, and a build whose bytes the store holds already writes nothing."""

from __future__ import annotations

import hashlib

from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from registry.db import Db
from registry.reports import opendata, pdf, xlsx
from registry.reports.models import GeneratedReport, ReportFile
from registry.storage import store

OFFICIAL_LANGUAGE = "vi"  # report files are official documents: always in Vietnamese
FORMATS = {"pdf": "application/pdf", "xlsx": opendata.FORMATS["xlsx"]}
CACHE = "private, max-age=86400, immutable"


def key(found: ReportFile) -> str:
    return f"reports/{found.sha256[:2]}/{found.sha256}.{found.format}"


def stored(session: Db, report: GeneratedReport, fmt: str, registry_id: str) -> ReportFile:
    """The report's file in `fmt` (a key of FORMATS), built and stored when it is not."""
    found = session.get(ReportFile, (report.id, fmt))
    if found is not None and store().exists(key(found)):
        return found
    body = build(report, fmt, registry_id)
    made = ReportFile(
        report_id=report.id,
        format=fmt,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
    )
    if not store().exists(key(made)):  # else: the same bytes, stored by an earlier build
        store().put(key(made), body, content_type=FORMATS[fmt], cache_control=CACHE)
    if found is not None:  # its object was lost: the new build takes its place
        found.sha256, found.size = made.sha256, made.size
        session.flush()
        return found
    return _record(session, made)


def _record(session: Db, made: ReportFile) -> ReportFile:
    """Two first downloads at once both build, as a rule the same bytes (other versions
    of ReportLab or openpyxl may write them otherwise); the row written first wins, and a
    build of other bytes (a valid file too) stays unreferenced in the store."""
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:
        first = session.get(ReportFile, (made.report_id, made.format))
        assert first is not None
        return first
    return made


def build(report: GeneratedReport, fmt: str, registry_id: str) -> bytes:
    with force_locale(OFFICIAL_LANGUAGE):
        if fmt == "pdf":
            return pdf.render(report.data, report.digest, report.log_index, registry_id)
        return xlsx.render(report.data, report.digest, report.log_index)
