"""Spreadsheet imports as background jobs: the upload is accepted at once, a worker checks and
imports its rows (imports.py), and the page or the API follows the job.

`start` refuses at once what the file itself shows (not a CSV nor a workbook, too large, a
kind that does not exist), stores the upload (import_checks) and queues a `trace.import`
job; imports of one organisation run one at a time (they write the same records). The job
keeps the report as its result and, when rows have problems, queues the marked copy.
A checked file is imported once: asking again (a second press) gets the import already
asked for, and an import that finds another of the same file done saves nothing again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from registry import jobs
from registry.accounts.models import Organisation, User
from registry.db import Db, db
from registry.errors import DomainError, NotFound
from registry.jobs.models import Job, JobStatus
from registry.storage import Missing, store
from registry.trace import import_checks, imports
from registry.trace import spreadsheets as sheets
from registry.trace.import_schemas import summary

KIND = "trace.import"


class UploadGone(DomainError):
    status = 409
    title = _l("The file of this check is no longer kept: choose it again to import it.")


class NothingToImport(DomainError):
    status = 409
    title = _l("Only a check that found no problem can be imported this way.")


def start(
    session: Db,
    org: Organisation,
    user: User,
    filename: str,
    data: bytes,
    kind: str | None = None,
    dry_run: bool = True,
) -> Job:
    """Store the upload and queue its check (`dry_run`) or import; the caller commits. File
    problems that need no reading of the rows raise `DomainError`s at once."""
    if kind is not None and kind not in sheets.KINDS:
        raise sheets.UnreadableFile(errors={"kind": [_l("Choose fields, seasons or diary.")]})
    sheets.detect(data)
    check = import_checks.new(org.id, data)
    return queue_stored(session, org, user, check.token, filename, kind, dry_run)


def queue_stored(
    session: Db,
    org: Organisation,
    user: User,
    token: str,
    filename: str,
    kind: str | None,
    dry_run: bool,
) -> Job:
    """Queue the check or import of an upload stored under `token`; the caller commits."""
    return jobs.enqueue(
        session,
        KIND,
        org,
        user,
        lock=f"{KIND}:{org.id}",
        token=token,
        filename=filename,
        kind=kind,
        dry_run=dry_run,
    )


def import_checked(session: Db, org: Organisation, user: User, checked: Job) -> Job:
    """Import the file of a clean check (`checked`, done) without sending it again."""
    result = checked.result or {}
    if checked.status is not JobStatus.DONE or not result.get("dry_run") or result["error_count"]:
        raise NothingToImport()
    args = checked.args
    earlier = _import_of(session, org.id, args["token"])
    if earlier is not None:  # a second press, a form sent again: the import already asked for
        return earlier
    if not store().exists(import_checks.of(org.id, args["token"]).upload):
        raise UploadGone()
    return queue_stored(session, org, user, args["token"], args["filename"], args["kind"], False)


def _import_of(session: Db, org_id: int, token: str, but: int | None = None) -> Job | None:
    """The import (not a check) of the upload stored under `token` that is queued, running
    or has saved its rows, other than job `but`: a stored file is imported once."""
    found = session.scalars(
        select(Job)
        .where(Job.organisation_id == org_id, Job.kind == KIND, Job.status != JobStatus.FAILED)
        .order_by(Job.id)
    )
    for job in found:
        if job.id == but or job.args.get("token") != token or job.args.get("dry_run", True):
            continue
        if job.status is not JobStatus.DONE or (job.result or {}).get("saved"):
            return job
    return None


@jobs.task(KIND)
def run_import(
    run: jobs.JobRun, token: str, filename: str, kind: str | None, dry_run: bool
) -> dict[str, Any] | None:
    """Check or import a stored upload; the report is the job's result.

    Idempotent: an import is all or nothing in one transaction, and the job is marked done
    in that same transaction (`before_commit`), so a worker killed before the commit leaves
    nothing written and the job to run again, and one killed after it leaves the job done,
    which a second run finds and leaves. A check writes nothing but the job's result and
    the marked copy's files and job, committed together."""
    org = db.session.get(Organisation, run.organisation_id)
    user = db.session.get(User, run.user_id) if run.user_id is not None else None
    if org is None or user is None:
        raise NotFound()
    if not dry_run:  # imports of one organisation run one at a time (their lock)
        earlier = _import_of(db.session, org.id, token, but=run.job_id)
        if earlier is not None and earlier.status is JobStatus.DONE:
            run.finish(db.session, result=earlier.result)  # its rows are saved once already
            db.session.commit()
            return None
    check = import_checks.of(org.id, token)
    try:
        data = check.store.get(check.upload)
    except Missing:
        raise UploadGone() from None

    def done(report: imports.ImportReport) -> None:
        run.finish(db.session, result=summary(report))

    report = imports.import_file(
        db.session,
        org,
        user,
        filename,
        data,
        kind,
        dry_run,
        progress=run.progress,
        before_commit=done,
    )
    if report.saved:
        return None  # finished with the rows
    result = summary(report)
    if not report.ok:
        locale = str(get_locale() or "vi")
        import_checks.keep(db.session, check, report, org, user, locale)
        result["check"] = token
    run.finish(db.session, result=result)
    db.session.commit()
    return None


def recent(session: Db, org_id: int, limit: int = 5) -> list[Job]:
    """The organisation's last imports and checks, newest first."""
    query = (
        select(Job)
        .where(Job.organisation_id == org_id, Job.kind == KIND)
        .order_by(Job.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def prune(session: Db, now: datetime) -> int:
    """Remove imports, checks and marked copies asked for before `now - KEEP`, with their
    stored files (uploads name member households), except a file a newer job still uses.
    Idempotent; commits. Returns how many jobs went."""
    cutoff = now - import_checks.KEEP
    kinds = (KIND, import_checks.COPY_KIND)
    old = list(session.scalars(select(Job).where(Job.kind.in_(kinds), Job.created_at < cutoff)))
    recent_tokens = {
        job.args.get("token")
        for job in session.scalars(select(Job).where(Job.kind.in_(kinds), Job.created_at >= cutoff))
    }
    files = store()
    for job in old:
        token = job.args.get("token")
        if token and token not in recent_tokens:
            for key in import_checks.of(job.organisation_id, token, files).every_key():
                files.delete(key)
    session.execute(delete(Job).where(Job.id.in_([job.id for job in old])))
    session.commit()
    return len(old)
