"""Defining the kinds of job, and running one: what every task gets for free.

A kind of job is a function registered with `@task("domain.what")`. It takes a `JobRun`
and the keyword arguments given to `enqueue` (plain JSON values: ids, keys, flags, never
ORM objects), runs inside an app context with the asker's language, and returns a small
JSON summary (kept as `Job.result`) or None. Around it the runner:

- returns at once when the job's record is gone or finished already: a task run twice
  (a worker killed after the task committed) does nothing the second time;
- marks the record running and counts the attempt, in its own transaction;
- on success marks it done, unless the task did so itself inside its own transaction
  (`JobRun.finish`, the way to make a task that writes records idempotent: its records
  and "done" commit together, or neither does), or returned `HELD` (others end the job);
- when `JobRun.finish` finds the job taken over by another run (a stalled job retried while
  its first worker was only slow), rolls the work back and leaves the job to that run;
- on an exception, rolls back and records a readable error: transient ones (the database
  went away) are retried with exponential back-off by procrastinate and the page says so;
  others, and the last attempt, leave the job failed with the error shown to the person.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import psycopg
from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc

from registry.db import Db, db
from registry.errors import DomainError
from registry.jobs import service
from registry.storage.s3 import TRANSIENT as STORAGE_TRANSIENT
from registry.validation import localise

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

# Returned by a task whose job others end (a parent whose parts finish it, with
# `service.finish` or `service.record_failure`): the job stays running.
HELD: Final = object()
DEFAULT_QUEUE = "default"
DEFAULT_RETRIES = 4  # five tries in all


class Transient(Exception):
    """Raised by a task for a failure worth trying again later (a store that timed out)."""


# The failures that pass: a dropped or refused database connection, SQLite's "database is
# locked", or what a task calls transient. Anything else fails at once, since running the
# same input again gives the same error.
TRANSIENT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
    *STORAGE_TRANSIENT,
    Transient,
)


@dataclass(frozen=True)
class TaskSpec:
    kind: str
    func: Callable[..., Any]
    queue: str
    retries: int


TASKS: dict[str, TaskSpec] = {}


def task(
    kind: str, *, queue: str = DEFAULT_QUEUE, retries: int = DEFAULT_RETRIES
) -> Callable[[F], F]:
    """Register `func(run: JobRun, **args)` as the body of jobs of `kind` ("domain.what").
    A transient failure is tried again up to `retries` times. Write in the docstring how
    the task is idempotent."""

    def register(func: F) -> F:
        if kind in TASKS and TASKS[kind].func is not func:
            raise ValueError(f"job kind {kind!r} is registered twice")
        TASKS[kind] = TaskSpec(kind, func, queue, retries)
        return func

    return register


@dataclass(frozen=True)
class JobRun:
    """What a task knows of its job, and how it reports."""

    job_id: int
    kind: str
    organisation_id: int
    user_id: int | None
    attempt: int  # 1 on the first try

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Committed at once in its own transaction, so that pages see it."""
        service.progress(self.job_id, done, total, message)

    def finish(
        self, session: Db, result: dict[str, Any] | None = None, result_key: str | None = None
    ) -> None:
        """Mark the job done in `session`'s transaction: the caller commits its work and this
        together, so that a second run finds the job done and does nothing."""
        service.finish(
            session, self.job_id, attempt=self.attempt, result=result, result_key=result_key
        )


def run(
    flask_app: Flask, spec: TaskSpec, job_id: int, will_retry: Callable[[BaseException], bool]
) -> Any:
    """Run job `job_id` (procrastinate's task body; `will_retry` tells whether procrastinate
    will try an exception again)."""
    with flask_app.app_context():
        try:
            return _run(spec, job_id, will_retry)
        finally:
            db.session.remove()


def _run(spec: TaskSpec, job_id: int, will_retry: Callable[[BaseException], bool]) -> Any:
    job = service.start(db.session, job_id)
    if job is None:
        log.info("job %s is finished or gone: nothing to do", job_id)
        return None
    job_run = JobRun(job.id, job.kind, job.organisation_id, job.user_id, job.attempts)
    locale, args = job.locale, dict(job.args)
    try:
        with force_locale(locale):
            result = spec.func(job_run, **args)
    except service.JobTakenOver:
        db.session.rollback()  # the run that holds the job now records how it ends
        log.warning("job %s (%s): taken over by another run", job_id, spec.kind)
        return None
    except Exception as exc:
        db.session.rollback()
        retry = will_retry(exc)
        if not retry:
            log.exception("job %s (%s) failed", job_id, spec.kind)
        with force_locale(locale):
            service.record_failure(job_id, readable(exc), final=not retry, attempt=job_run.attempt)
        raise
    if result is HELD:
        return None
    service.finish_if_open(job_id, job_run.attempt, result)
    return None


def readable(exc: BaseException) -> str:
    """What the person who asked is told, in their language; never a traceback."""
    if isinstance(exc, DomainError):
        return " ".join([str(exc.detail or exc.title), *_texts(localise(exc.errors))])[:2000]
    if isinstance(exc, TRANSIENT):
        return str(TRANSIENT_MESSAGE)
    return str(UNEXPECTED_MESSAGE)


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in _texts(value)]
    if isinstance(messages, list | tuple):
        return [text for value in messages for text in _texts(value)]
    return [str(messages)]


TRANSIENT_MESSAGE = _l("The database or the file store could not be reached for a moment.")
UNEXPECTED_MESSAGE = _l(
    "The work stopped on an unexpected error. The registry's operators can see what happened "
    "in its log; please try again later."
)
