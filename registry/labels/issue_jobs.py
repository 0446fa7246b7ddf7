"""Large label issuance as a background job: a request of more unit labels than
`LABELS_ISSUE_JOB_ABOVE_UNITS` is signed and written by a worker (issuance.issue, whose
signing pool takes seconds for 100,000 units), while the page or the API that asked follows
the job, which counts the unit labels signed so far (issuance's `progress`, every few
thousand); smaller ones stay answered at once.

`start` refuses at once what issuance would refuse before any signing (not allowed,
already decided, criteria not met: issuance.checked) and queues a `labels.issue` job, or
hands back the job already queued for the same request. The caller commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from registry import jobs
from registry.accounts.models import Organisation, User
from registry.db import Db, db, utcnow
from registry.errors import Conflict, NotFound
from registry.jobs.models import Job, JobStatus
from registry.labels import issuance, schemas, status
from registry.labels.models import Label, LabelRequest, RequestStatus
from registry.numbers import number
from registry.trace.service import today_in_vietnam

KIND = "labels.issue"
SETTING = "LABELS_ISSUE_JOB_ABOVE_UNITS"


class IssuingElsewhere(Conflict):
    title = _l("This request is being issued already.")


def in_background(session: Db, request_id: int) -> bool:
    """Whether the request asks for more unit labels than are issued while a page waits."""
    units = session.scalar(select(LabelRequest.units).where(LabelRequest.id == request_id))
    return units is not None and units > int(current_app.config[SETTING])


def start(session: Db, actor: Organisation, user: User, request_id: int, today: date) -> Job:
    """The job issuing the request: a new one, or the one already queued or running for it
    (a second click, a retry), so that a request is never issued by two jobs at once."""
    issuance.checked(session, actor, request_id, today)
    running = _open_job(session, request_id)
    if running is not None:
        if running.organisation_id != actor.id:
            raise IssuingElsewhere()
        return running
    return jobs.enqueue(
        session, KIND, actor, user, lock=f"{KIND}:{request_id}", request_id=request_id
    )


def _open_job(session: Db, request_id: int) -> Job | None:
    unfinished = session.scalars(
        select(Job).where(Job.kind == KIND, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
    )
    return next((job for job in unfinished if job.args.get("request_id") == request_id), None)


@jobs.task(KIND)
def issue_request(run: jobs.JobRun, request_id: int) -> None:
    """Issue the request's label and unit labels; the job's result is the label's status
    object (as the API answers a request issued at once).

    Idempotent: the labels, the request's decision, the one `label.issued` log entry and the
    job's "done" commit together in one transaction (issuance.issue, then `run.finish`).
    A worker killed before that commit leaves nothing issued and the request pending, and
    the job is run again; a run that finds the request issued already (its transaction
    committed, or another way) issues nothing and reports that label."""
    from registry.labels.api import issuer  # the API module queues these jobs

    session = db.session
    request = session.scalar(
        select(LabelRequest).where(LabelRequest.id == request_id).with_for_update()
    )
    if request is None:
        raise NotFound()
    label = _issued(session, request)
    if label is None:
        actor = session.get_one(Organisation, run.organisation_id)
        message = _("Signing %(n)s unit labels", n=number(request.units))
        run.progress(0, request.units, message)
        label = issuance.issue(
            session,
            actor,
            request_id,
            issuer(),
            today_in_vietnam(),
            progress=lambda done, total: run.progress(done, total, message),
        )
    run.finish(session, result=result_of(label))
    session.commit()


def _issued(session: Db, request: LabelRequest) -> Label | None:
    if request.status is not RequestStatus.ISSUED:
        return None
    return session.scalar(
        select(Label).where(Label.request_id == request.id, Label.parent_id.is_(None))
    )


def result_of(label: Label) -> dict[str, Any]:
    """The label's status object as JSON values: what the API answers for a label issued."""
    found = status.state(label, utcnow(), frozenset())
    dumped: dict[str, Any] = schemas.LabelStatusOut().dump(
        schemas.status_object(label, found.status, found.reason)
    )
    return dumped


def label_of(session: Db, job: Job) -> Label | None:
    """The batch label a done job issued."""
    if job.status is not JobStatus.DONE or not job.result:
        return None
    return session.scalar(select(Label).where(Label.serial == job.result["serial"]))
