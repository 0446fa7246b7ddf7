"""Uploaded spreadsheets kept in the file store, and the copy with their problems marked
(spreadsheets.marking) so that the clerk never has to send a file again to get it.

Every upload is stored at once under a random token in the organisation's own folder,
`import-checks/{organisation id}/{token}/` (registry.storage): `upload` as received, then,
when its check or import finds row problems, `problems.json` (every problem, with where each
sheet's header was) and `marked.xlsx`, the marked copy, made by a background job
(`trace.marked_copy`): loading and saving a workbook of 5,000 rows takes seconds, longer than
a page should wait, and the report lists the problems meanwhile. The token is random (128
bits) and the folder is the organisation's own, so only the HTX that uploaded the file finds
it; another HTX gets 404.

No table of their own: these are scratch files, like the print sheets' PDFs, not records of
the registry. The upload names member households, so the files go with the import jobs
after `KEEP` (import_jobs.prune, nightly).
"""

from __future__ import annotations

import enum
import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from registry import jobs
from registry.accounts.models import Organisation, User
from registry.db import Db
from registry.errors import NotFound
from registry.jobs.models import Job, JobStatus
from registry.storage import Missing, Store, store
from registry.trace import spreadsheets as sheets
from registry.trace.imports import ImportReport, RowError

FOLDER = "import-checks"
KEEP = timedelta(days=7)
COPY_KIND = "trace.marked_copy"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # secrets.token_urlsafe(16)
ERRORS_HEADER = _l("Errors to fix")  # the marked copy's errors column (columns.ERRORS_COLUMN)
XLSX = sheets.XLSX_MIME


class CopyState(enum.StrEnum):
    WAITING = "waiting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    """One stored upload of an organisation, with its problems once found."""

    store: Store
    org_id: int
    token: str

    def key(self, name: str) -> str:
        return f"{FOLDER}/{int(self.org_id)}/{self.token}/{name}"

    @property
    def upload(self) -> str:
        return self.key("upload")

    @property
    def problems(self) -> str:
        return self.key("problems.json")

    @property
    def marked(self) -> str:
        return self.key("marked.xlsx")

    def every_key(self) -> list[str]:
        return [self.upload, self.problems, self.marked]

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads(self.store.get(self.problems))
        return meta

    def state(self, session: Db) -> CopyState:
        """Ready once the copy is stored; failed when its job failed; waiting meanwhile."""
        if self.store.exists(self.marked):
            return CopyState.READY
        job = session.get(Job, self.meta().get("job", 0))
        failed = job is None or job.status is JobStatus.FAILED
        return CopyState.FAILED if failed else CopyState.WAITING

    def download_name(self) -> str:
        """The uploaded file's name with "-loi-can-sua" ("errors to fix"), as a workbook."""
        stem = PurePath(str(self.meta()["filename"]).replace("\\", "/")).stem[:80] or "nhap"
        return f"{stem}-loi-can-sua.xlsx"


def new(org_id: int, data: bytes, files: Store | None = None) -> Check:
    """Store an upload of `org_id` under a new token."""
    check = Check(files or store(), org_id, secrets.token_urlsafe(16))
    check.store.put(check.upload, data)
    return check


def of(org_id: int, token: str, files: Store | None = None) -> Check:
    """The organisation's stored upload `token` (which may be gone: `find` checks)."""
    if not TOKEN.match(token):
        raise NotFound()
    return Check(files or store(), org_id, token)


def find(org_id: int, token: str, files: Store | None = None) -> Check:
    """The organisation's upload `token` with its problems; NotFound for another's, for one
    removed, or for one that had no problems."""
    check = of(org_id, token, files)
    if not check.store.exists(check.problems):
        raise NotFound()
    return check


def save_problems(check: Check, report: ImportReport, locale: str, job_id: int | None) -> None:
    """Keep every problem of `report` beside the upload; `locale` is the clerk's language
    (the copy's errors column is named in it) and `job_id` the job making the copy."""
    meta = {
        "filename": report.filename,
        "locale": locale,
        "job": job_id,
        "layouts": [asdict(layout) for layout in report.layouts],
        "problems": [asdict(error) for error in report.every_error],
    }
    check.store.put(
        check.problems,
        json.dumps(meta, ensure_ascii=False).encode(),
        content_type="application/json",
    )


def keep(
    session: Db,
    check: Check,
    report: ImportReport,
    org: Organisation,
    user: User | None,
    locale: str,
) -> Job:
    """Keep the problems of `report` and queue the marked copy (the caller commits)."""
    job = jobs.enqueue(session, COPY_KIND, org, user, token=check.token)
    save_problems(check, report, locale, job.id)
    return job


def make(check: Check) -> bytes:
    """Make the marked copy now and store it whole (the job's body; tests call it too)."""
    meta = check.meta()
    layouts = [sheets.Layout(**layout) for layout in meta["layouts"]]
    problems = [RowError(**problem) for problem in meta["problems"]]
    with force_locale(str(meta["locale"])):
        header = str(ERRORS_HEADER)
    data = sheets.marked_copy(check.store.get(check.upload), layouts, problems, header)
    check.store.put(check.marked, data, content_type=XLSX)
    return data


@jobs.task(COPY_KIND)
def make_marked_copy(run: jobs.JobRun, token: str) -> None:
    """The marked copy of an organisation's stored upload. Idempotent: the copy is made from
    the stored upload and problems alone and written whole under a fixed key, so a second
    run writes the same file again (or stops at once, the job being done). A file removed
    meanwhile (pruned) leaves nothing to make."""
    check = of(run.organisation_id, token)
    try:
        make(check)
    except Missing:
        raise NotFound() from None
