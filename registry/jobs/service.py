"""The job records: enqueue, start, progress, finish, fail, and what pages read.

`enqueue` writes the record and hands the job to the queue in the caller's transaction
(registry/jobs/queue.py): on PostgreSQL procrastinate's row is inserted on the same
connection, so the job exists exactly when the change that asked for it is committed; on
the embedded SQLite default the job goes to the in-process queue once the transaction
commits. The caller commits.

Progress is written in its own short transaction so that pages see it while the task's own
transaction is still open. SQLite lets one connection write at a time, and a task that holds
its transaction open (an import) holds that right: there progress is kept in this process's
memory, which is where the embedded worker runs and the pages are served.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry.db import Db, db, utcnow
from registry.errors import Conflict, NotFound
from registry.jobs.models import Job, JobStatus

if TYPE_CHECKING:
    from registry.accounts.models import Organisation, User

MESSAGE_MAX = 200


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    message: str


_LIVE: dict[int, Progress] = {}  # SQLite only: progress of jobs running in this process
_LIVE_LOCK = threading.Lock()


class JobTakenOver(Conflict):
    """The job was finished, or started again by another worker, while this run worked:
    this run's work must not be committed."""

    title = _l("This job was taken over by another worker.")


def enqueue(
    session: Db,
    kind: str,
    org: Organisation,
    user: User | None,
    /,
    *,
    lock: str | None = None,
    **args: Any,
) -> Job:
    """A queued job of `kind` for `org`, asked by `user` (None for a machine or the registry
    itself), with `args` (JSON values) for its task. `lock` names a resource: jobs sharing it
    run one at a time. Runs once the caller commits; nothing runs if it rolls back."""
    from registry.jobs import queue, tasks

    if kind not in tasks.TASKS:
        raise KeyError(f"no task registered for job kind {kind!r}")
    job = Job(
        kind=kind,
        organisation_id=org.id,
        user_id=user.id if user is not None else None,
        args=args,
        lock=lock,
        locale=str(get_locale() or "vi"),
    )
    session.add(job)
    session.flush()
    queue.defer(session, job.id, kind, lock)
    return job


def start(session: Db, job_id: int) -> Job | None:
    """Mark the job running and count the attempt (committed); None when the job is gone or
    finished already, so that a task run twice stops at once."""
    attempts = session.scalar(
        update(Job)
        .where(Job.id == job_id, Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=func.coalesce(Job.started_at, utcnow()),
        )
        .returning(Job.attempts)
    )
    session.commit()
    if attempts is None:
        return None
    return session.get(Job, job_id)


def progress(job_id: int, done: int, total: int, message: str = "") -> None:
    """How far the job has got, visible to pages at once."""
    found = Progress(max(0, done), max(0, total), message[:MESSAGE_MAX])
    if db.engine.dialect.name == "sqlite":
        with _LIVE_LOCK:
            _LIVE[job_id] = found
        return
    with Session(db.engine) as own:
        own.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(done=found.done, total=found.total, message=found.message)
        )
        own.commit()


def finish(
    session: Db,
    job_id: int,
    *,
    attempt: int,
    result: dict[str, Any] | None = None,
    result_key: str | None = None,
) -> None:
    """Mark the job done in `session`'s transaction (the caller commits). `attempt` is the
    run's (`JobRun.attempt`): when the job was finished or started again by another worker
    meanwhile, `JobTakenOver` is raised, the caller's work rolls back and the run that holds
    the job does it."""
    values: dict[str, Any] = {
        "status": JobStatus.DONE,
        "result": result,
        "result_key": result_key,
        "message": "",
        "error": None,
        "finished_at": utcnow(),
    }
    live = _take_live(job_id)
    if live is not None:
        values.update(done=live.done, total=live.total)
    changed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.attempts == attempt)
        .values(**values)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise JobTakenOver()


def finish_if_open(job_id: int, attempt: int, result: dict[str, Any] | None) -> None:
    """After the task returned: mark the job done unless the task did (and committed)."""
    session = db.session
    session.rollback()
    status = session.scalar(select(Job.status).where(Job.id == job_id))
    if status is JobStatus.RUNNING:
        finish(session, job_id, attempt=attempt, result=result)
    session.commit()


def fail(session: Db, job_id: int, error: str, *, attempt: int | None = None) -> None:
    """Mark a running job failed with a readable `error`, in `session`'s transaction (the
    caller commits): how the parts of a held job end their parent when one part fails.
    With `attempt`, only while that attempt holds the job (see `record_failure`)."""
    _take_live(job_id)
    session.execute(
        update(Job)
        .where(_held(job_id, attempt))
        .values(status=JobStatus.FAILED, error=error[:2000], finished_at=utcnow())
    )


def record_failure(job_id: int, error: str, *, final: bool, attempt: int | None = None) -> None:
    """After a failed attempt (the runner; in a fresh transaction of its own): the job fails
    when `final`, else it waits for its retry, queued again with the error beside it.

    `attempt` is the failed run's: a run overtaken by another (a stalled job retried while
    its first worker was only slow) then changes nothing, rather than failing or queueing
    the job under the feet of the run that holds it now."""
    session = db.session
    session.rollback()
    if final:
        fail(session, job_id, error, attempt=attempt)
    else:
        session.execute(
            update(Job).where(_held(job_id, attempt)).values(status=JobStatus.QUEUED, error=error)
        )
    session.commit()


def _held(job_id: int, attempt: int | None) -> Any:
    """The job, while running (under `attempt`, when given)."""
    held = (Job.id == job_id) & (Job.status == JobStatus.RUNNING)
    return held if attempt is None else held & (Job.attempts == attempt)


def requeue(session: Db, job_ids: list[int]) -> None:
    """Jobs whose worker stopped are queued again (their retry is handed to procrastinate by
    the caller). The caller commits."""
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.QUEUED)
        )


def unfinished(session: Db) -> list[Job]:
    """Jobs not yet done or failed, oldest first."""
    query = select(Job).where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
    return list(session.scalars(query.order_by(Job.id)))


def _take_live(job_id: int) -> Progress | None:
    with _LIVE_LOCK:
        return _LIVE.pop(job_id, None)


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class JobView:
    """A job as pages and the API show it, with live progress where it is kept in memory."""

    id: int
    kind: str
    organisation_id: int
    status: JobStatus
    done: int
    total: int
    message: str
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    result_key: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def retrying(self) -> bool:
        """Queued again after a failed attempt."""
        return self.status is JobStatus.QUEUED and self.attempts > 0

    @property
    def percent(self) -> int | None:
        """0–100; None while the total is not known."""
        if self.status is JobStatus.DONE:
            return 100
        if self.total <= 0:
            return None
        return min(100, self.done * 100 // self.total)


def view(job: Job) -> JobView:
    with _LIVE_LOCK:
        live = _LIVE.get(job.id) if job.status is JobStatus.RUNNING else None
    done, total, message = (
        (live.done, live.total, live.message) if live else (job.done, job.total, job.message)
    )
    return JobView(
        job.id,
        job.kind,
        job.organisation_id,
        job.status,
        done,
        total,
        message,
        job.attempts,
        job.error,
        job.result,
        job.result_key,
        job.created_at,
        job.started_at,
        job.finished_at,
    )


def job_of(session: Db, organisation_id: int, job_id: int, kind: str | None = None) -> Job:
    """The organisation's own job (of `kind`, when given); NotFound for another's."""
    job = session.get(Job, job_id)
    if job is None or job.organisation_id != organisation_id or kind not in (None, job.kind):
        raise NotFound()
    return job
