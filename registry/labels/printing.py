"""Print sheets of unit labels, rendered by a background job with progress.

A sheet of thousands of labels takes seconds, longer than a page should wait: the request
queues a `labels.print_sheet` job (registry.jobs) and a worker, on any machine, renders it
page by page, reporting the pages done, and puts the PDF in the store (`registry.storage`)
as `prints/{job}.pdf`, which any web server then streams. The page that follows the job
refreshes itself (no script needed). Sheets made more than `PRINT_SHEETS_KEEP_DAYS` ago
go with their jobs (`prune`, nightly): a sheet is made again from its label in seconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from registry import jobs
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import Db, db
from registry.errors import DomainError, NotFound
from registry.labels import sheets
from registry.labels.artwork import LabelArt
from registry.labels.models import Label
from registry.storage import store
from registry.trace.labels import PRODUCT_LABELS

KIND = "labels.print_sheet"
PROGRESS_EVERY = 5  # pages between progress reports
KEEP_SETTING = "PRINT_SHEETS_KEEP_DAYS"


class PrintRefused(DomainError):
    title = _l("This print sheet cannot be made.")


class LabelGone(NotFound):
    title = _l("The label of this print sheet no longer exists.")


def pdf_key(job_id: int) -> str:
    return f"prints/{job_id}.pdf"


def start(session: Db, org: Organisation, user: User, label: Label, size: str) -> jobs.Job:
    """Queue the sheet of the label's unit labels (or of the label itself when it has none)
    in `size`; the caller commits."""
    if org.kind is not OrgKind.AUTHORITY and org.code != label.organisation:
        raise NotFound()
    if size not in sheets.SIZES:
        raise PrintRefused(errors={"size": [_l("Choose a size from the list.")]})
    return jobs.enqueue(session, KIND, org, user, label_id=label.id, size=size)


def _arts(session: Db, label: Label) -> list[LabelArt]:
    """The artwork of the label's unit labels in serial order, or of the label itself when
    it has none (only the columns printed are read: a sheet may hold 100,000 labels)."""
    product = product_name(label.product)
    printed = (
        Label.serial,
        Label.url,
        Label.g_co2e_per_kg,
        Label.reduction_permille,
        Label.removals_kg_co2_per_kg,
    )
    units = session.execute(select(*printed).where(Label.parent_id == label.id).order_by(Label.id))
    return [LabelArt.of(row, product) for row in units] or [LabelArt.of(label, product)]


@jobs.task(KIND)
def print_sheet(run: jobs.JobRun, label_id: int, size: str) -> None:
    """Render the sheet and put it at `pdf_key(job)`.

    Idempotent: its only write is the PDF under a key named by the job, which a second run
    (a worker killed after the put, before the job was marked done) writes again with the
    same labels; the job is marked done with the key once the PDF is stored."""
    key, result = render(db.session, run, label_id, size)
    run.finish(db.session, result=result, result_key=key)
    db.session.commit()


def render(session: Db, run: jobs.JobRun, label_id: int, size: str) -> tuple[str, dict[str, Any]]:
    """Render the job's sheet into the store now, reporting pages done; returns the key
    and the job's result (pages, labels, size)."""
    label = session.get(Label, label_id)
    if label is None:
        raise LabelGone()
    serial, arts = label.serial, _arts(session, label)
    session.rollback()  # no read held open while drawing (on SQLite it would stop writers)

    def progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            run.progress(done, total)

    pdf = sheets.render_sheet(arts, size, progress)
    key = pdf_key(run.job_id)
    store().put(key, pdf, content_type="application/pdf", cache_control="private, no-cache")
    pages = -(-len(arts) // sheets.SIZES[size].per_page)
    return key, {"serial": serial, "size": size, "labels": len(arts), "pages": pages}


def prune(session: Db, now: datetime, keep: timedelta) -> int:
    """Remove the sheets finished (made, or failed) before `now - keep`, their PDFs from the
    store first, then their jobs. A sheet still queued or being made stays, however old
    its job, and so does one finished since. Idempotent; commits. Returns how many went."""
    finished = func.coalesce(jobs.Job.finished_at, jobs.Job.created_at)
    old = list(
        session.scalars(
            select(jobs.Job).where(
                jobs.Job.kind == KIND,
                jobs.Job.status.in_((jobs.JobStatus.DONE, jobs.JobStatus.FAILED)),
                finished < now - keep,
            )
        )
    )
    files = store()
    for job in old:  # a failed run may have stored the PDF before failing
        for key in {job.result_key or pdf_key(job.id), pdf_key(job.id)}:
            files.delete(key)
    session.execute(delete(jobs.Job).where(jobs.Job.id.in_([job.id for job in old])))
    session.commit()
    return len(old)


def product_name(product: str) -> str:
    """Printed labels speak Vietnamese whatever the language of the person printing."""
    with force_locale("vi"):
        return str(PRODUCT_LABELS[product])
