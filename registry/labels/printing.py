"""Print sheets of unit labels, rendered in the background with progress.

A sheet of thousands of labels takes seconds, longer than a page should wait; so the
request creates a `PrintJob`, one worker thread per process renders it page by page
(recording progress every few pages in its own session), and the PDF is written to the
store (`registry.storage`) as `prints/{job}.pdf`. The progress page refreshes itself (no
script needed).
Jobs are small and local: a job lost with a restarted process is simply started again."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from registry.accounts.models import Organisation, OrgKind
from registry.db import Db, db, utcnow
from registry.errors import DomainError, NotFound
from registry.labels import sheets
from registry.labels.artwork import LabelArt
from registry.labels.models import JobStatus, Label, PrintJob
from registry.storage import store
from registry.trace.labels import PRODUCT_LABELS

PROGRESS_EVERY = 5  # pages between progress writes
EXECUTOR = "registry.print_jobs"


class PrintRefused(DomainError):
    title = _l("This print sheet cannot be made.")


def pdf_key(job_id: int) -> str:
    return f"prints/{job_id}.pdf"


def start(session: Db, org: Organisation, label: Label, size: str) -> PrintJob:
    """A queued job for the label's unit labels (or the label itself when it has none);
    its progress counts pages."""
    if org.kind is not OrgKind.AUTHORITY and org.code != label.organisation:
        raise NotFound()
    if size not in sheets.SIZES:
        raise PrintRefused(errors={"size": [_l("Choose a size from the list.")]})
    pages = math.ceil(len(_labels(session, label)) / sheets.SIZES[size].per_page)
    job = PrintJob(label_id=label.id, organisation_id=org.id, size=size, total=pages)
    session.add(job)
    session.flush()
    return job


def _labels(session: Db, label: Label) -> list[Label]:
    units = list(
        session.scalars(select(Label).where(Label.parent_id == label.id).order_by(Label.id))
    )
    return units or [label]


def submit(app: Flask, job_id: int) -> None:
    """Render the job on this process's worker thread."""
    executor = app.extensions.setdefault(EXECUTOR, ThreadPoolExecutor(max_workers=1))
    executor.submit(_run, app, job_id)


def _run(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            render(db.session, job_id)
        except Exception as exc:
            db.session.rollback()
            _set(
                db.session,
                job_id,
                status=JobStatus.FAILED,
                error=str(exc)[:300],
                finished_at=utcnow(),
            )
            app.logger.exception("print job %s failed", job_id)
        finally:
            db.session.remove()


def render(session: Db, job_id: int) -> str:
    """Render a job now (the worker's body; tests and the CLI call it directly)."""
    job = session.get(PrintJob, job_id)
    if job is None:
        raise NotFound()
    product = product_name(job.label.product)
    arts = [LabelArt.of(lb, product) for lb in _labels(session, job.label)]
    _set(session, job_id, status=JobStatus.RUNNING)

    def progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            _set(session, job_id, done=done, total=total)

    pdf = sheets.render_sheet(arts, job.size, progress)
    key = pdf_key(job_id)
    store().put(key, pdf, content_type="application/pdf", cache_control="private, no-cache")
    _set(session, job_id, status=JobStatus.DONE, finished_at=utcnow())
    return key


def _set(session: Db, job_id: int, **values: object) -> None:
    session.execute(update(PrintJob).where(PrintJob.id == job_id).values(**values))
    session.commit()


def product_name(product: str) -> str:
    """Printed labels speak Vietnamese whatever the language of the person printing."""
    with force_locale("vi"):
        return str(PRODUCT_LABELS[product])
