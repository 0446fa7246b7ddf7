"""procrastinate, wired to the Flask app (docs/architecture.md, "Background jobs").

Each Flask app gets its own procrastinate `App` (`init_app`): every kind of job registered
with `@task` becomes a procrastinate task named by its kind, whose body is the runner of
registry/jobs/tasks.py around the Flask app; the schedule of registry/jobs/periodic.py
becomes its periodic tasks, on their own queue.

- PostgreSQL (production): procrastinate's tables live in the registry's database (created
  by an Alembic migration). A job is deferred on the SQLAlchemy session's own psycopg
  connection, inside the transaction of the change that asks for it. Workers are
  `registry worker` processes, on any machine that reaches the database and the store;
  they beat every `JOBS_HEARTBEAT_SECONDS`, and the jobs of a worker silent for
  `JOBS_STALLED_SECONDS` (killed, or its machine lost) are retried by `retry_stalled`.
- SQLite (the embedded default: demo, laptop): procrastinate's in-memory queue, with one
  worker on a thread of `registry run` (`start_embedded`). Jobs are deferred once the
  transaction commits; the `Job` rows are the durable part: those still queued or running
  when the process starts again are deferred again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import procrastinate
from flask import Flask, current_app
from procrastinate import utils as pc_utils
from procrastinate.job_context import JobContext
from procrastinate.jobs import JobDeferrer
from procrastinate.manager import JobManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from procrastinate.testing import InMemoryConnector
from sqlalchemy import event
from sqlalchemy.orm import Session

from registry.db import Db, db
from registry.jobs import periodic, service, tasks

log = logging.getLogger(__name__)

EXTENSION = "registry.jobs"
PERIODIC_QUEUE = "periodic"
PENDING = "registry.jobs.pending"  # session.info: jobs to defer once it commits (SQLite)
T = TypeVar("T")

# The modules that define kinds of job: imported before the queue is built, so that every
# process (web server or worker) knows every task. A new kind of job adds its module here.
TASK_MODULES: tuple[str, ...] = (
    "registry.trace.import_jobs",
    "registry.trace.import_checks",
    "registry.labels.printing",
    "registry.labels.issue_jobs",
    "registry.reports.builds",
    "registry.verify.recompute",
)


class ThreadSafeInMemoryConnector(InMemoryConnector):
    """procrastinate's in-memory queue shared by the web server's threads and the embedded
    worker: while the worker's event loop runs, a call from another thread is run on that
    loop, so the queue's dictionaries are only ever touched by one thread."""

    def _call(self, method: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kw: Any) -> T:
        loop = self._loop
        if loop is not None and loop.is_running() and threading.get_ident() != self._loop_thread_id:
            return asyncio.run_coroutine_threadsafe(method(*args, **kw), loop).result(timeout=60)
        return pc_utils.async_to_sync(method, *args, **kw)

    def execute_query(self, query: str, **arguments: Any) -> None:
        self._call(self.execute_query_async, query, **arguments)

    def execute_query_one(self, query: str, **arguments: Any) -> dict[str, Any]:
        return self._call(self.execute_query_one_async, query, **arguments)

    def execute_query_all(self, query: str, **arguments: Any) -> list[dict[str, Any]]:
        return self._call(self.execute_query_all_async, query, **arguments)

    def execute_query_one_with_connection(
        self, connection: Any, query: str, **arguments: Any
    ) -> dict[str, Any]:
        return self._call(self.execute_query_one_async, query, **arguments)

    def execute_query_all_with_connection(
        self, connection: Any, query: str, **arguments: Any
    ) -> list[dict[str, Any]]:
        return self._call(self.execute_query_all_async, query, **arguments)


@dataclass
class Runtime:
    """The queue of one Flask app."""

    flask: Flask
    queue: procrastinate.App
    embedded: bool  # SQLite: the in-memory queue and a worker thread of `registry run`
    worker: EmbeddedWorker | None = field(default=None)
    deferrer: JobManager = field(default_factory=lambda: JobManager(SyncPsycopgConnector()))

    @property
    def user_queues(self) -> list[str]:
        return sorted({spec.queue for spec in tasks.TASKS.values()})

    def worker_options(self) -> dict[str, Any]:
        config = self.flask.config
        return {
            "update_heartbeat_interval": float(config["JOBS_HEARTBEAT_SECONDS"]),
            "stalled_worker_timeout": float(config["JOBS_STALLED_SECONDS"]),
            "install_signal_handlers": False,
        }


def runtime(app: Flask | None = None) -> Runtime:
    found: Runtime = (app or current_app).extensions[EXTENSION]
    return found


def init_app(app: Flask) -> None:
    import importlib

    for module in TASK_MODULES:
        importlib.import_module(module)
    with app.app_context():
        embedded = db.engine.dialect.name == "sqlite"
        url = db.engine.url
    if embedded:
        connector: Any = ThreadSafeInMemoryConnector()
    else:
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        connector = procrastinate.PsycopgConnector(conninfo=conninfo, min_size=1, max_size=8)
    queue = procrastinate.App(connector=connector)
    found = Runtime(app, queue, embedded)
    for spec in tasks.TASKS.values():
        _register(found, spec)
    _register_periodic(found)
    app.extensions[EXTENSION] = found


def _register(found: Runtime, spec: tasks.TaskSpec) -> None:
    strategy = procrastinate.RetryStrategy(
        max_attempts=spec.retries,
        exponential_wait=int(found.flask.config["JOBS_RETRY_WAIT_SECONDS"]),
        retry_exceptions=tasks.TRANSIENT,  # type: ignore[arg-type]
    )

    def body(context: JobContext, job_id: int) -> None:
        def will_retry(exc: BaseException) -> bool:
            return strategy.get_retry_decision(exception=exc, job=context.job) is not None

        tasks.run(found.flask, spec, job_id, will_retry)

    found.queue.task(name=spec.kind, queue=spec.queue, retry=strategy, pass_context=True)(body)


def _register_periodic(found: Runtime) -> None:
    config = found.flask.config

    async def retry_stalled(context: JobContext, timestamp: int) -> None:
        await _retry_stalled(found, context.app, float(config["JOBS_STALLED_SECONDS"]))

    async def remove_old(context: JobContext, timestamp: int) -> None:
        await context.app.job_manager.delete_old_jobs(
            nb_hours=periodic.QUEUE_ROWS_KEPT_HOURS, include_failed=True
        )

    framework = [
        ("jobs.retry_stalled", config["JOBS_STALLED_CRON"], retry_stalled),
        ("jobs.remove_old_queue_rows", periodic.REMOVE_OLD_CRON, remove_old),
    ]
    for name, cron, body in framework:
        task = found.queue.task(name=name, queue=PERIODIC_QUEUE, pass_context=True)(body)
        found.queue.periodic(cron=cron, periodic_id=name)(task)
    for entry in periodic.SCHEDULE:
        _register_scheduled(found, entry)


def _register_scheduled(found: Runtime, entry: periodic.Scheduled) -> None:
    def body(timestamp: int) -> None:
        with found.flask.app_context():
            try:
                entry.func(db.session, timestamp)
            finally:
                db.session.remove()

    task = found.queue.task(name=entry.name, queue=PERIODIC_QUEUE)(body)
    found.queue.periodic(cron=entry.cron, periodic_id=entry.name)(task)


async def _retry_stalled(found: Runtime, queue: procrastinate.App, seconds: float) -> int:
    """Retry the jobs of workers that stopped beating (killed, or their machine lost); their
    records show them queued again. Returns how many."""
    manager = queue.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    for job in stalled:
        log.warning("job %s (%s): its worker stopped; retrying", job.id, job.task_name)
        await manager.retry_job(job)
    ids = [int(str(job.task_kwargs["job_id"])) for job in stalled if "job_id" in job.task_kwargs]
    if ids:
        await pc_utils.sync_to_async(_requeue, found.flask, ids)
    return len(stalled)


def _requeue(app: Flask, job_ids: list[int]) -> None:
    with app.app_context():
        try:
            service.requeue(db.session, job_ids)
            db.session.commit()
        finally:
            db.session.remove()


# ---------------------------------------------------------------- deferring
def defer(session: Db, job_id: int, kind: str, lock: str | None) -> None:
    """Hand job `job_id` to the queue in `session`'s transaction (see the module doc)."""
    found = runtime()
    if found.embedded:
        session.info.setdefault(PENDING, []).append((found, job_id, kind, lock))
        return
    _defer_on(found, session.connection().connection.driver_connection, job_id, kind, lock)


def _defer_on(found: Runtime, connection: Any, job_id: int, kind: str, lock: str | None) -> None:
    """Insert procrastinate's row on a psycopg `connection`, in its transaction. Through a
    synchronous connector of its own: inside a worker, the app's connector runs its async
    pool, and would not take a synchronous connection."""
    job = found.queue.tasks[kind].configure(lock=lock).job
    JobDeferrer(found.deferrer, job, connection).defer(job_id=job_id)


def _defer_now(found: Runtime, job_id: int, kind: str, lock: str | None) -> None:
    """Defer outside any caller's transaction (in its own on PostgreSQL)."""
    task = found.queue.tasks[kind]
    if found.embedded:
        task.configure(lock=lock).defer(job_id=job_id)
        return
    with found.flask.app_context(), db.engine.begin() as conn:
        _defer_on(found, conn.connection.driver_connection, job_id, kind, lock)


@event.listens_for(Session, "after_commit")
def _deferred_after_commit(session: Session) -> None:
    for found, job_id, kind, lock in session.info.pop(PENDING, []):
        _defer_now(found, job_id, kind, lock)


@event.listens_for(Session, "after_rollback")
def _dropped_after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


# ---------------------------------------------------------------- workers
def run_worker(app: Flask, concurrency: int = 1, queues: list[str] | None = None) -> None:
    """A worker in the foreground until SIGINT or SIGTERM (`registry worker`). Stalled jobs
    are looked for at once, so that a worker started after a crash takes over."""
    found = runtime(app)

    async def serve() -> None:
        async with found.queue.open_async():
            await _retry_stalled(found, found.queue, float(app.config["JOBS_STALLED_SECONDS"]))
            options = {**found.worker_options(), "install_signal_handlers": True}
            if queues:
                options["queues"] = queues
            await found.queue.run_worker_async(concurrency=concurrency, **options)

    asyncio.run(serve())


class EmbeddedWorker:
    """A worker on a daemon thread of this process: the embedded default's, beside the
    development server, and the browser tests'."""

    def __init__(self, found: Runtime) -> None:
        self.found = found
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self.thread = threading.Thread(target=self._main, name="registry-jobs", daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(timeout=30)

    def _main(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # stopped by `stop`
            asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        async with self.found.queue.open_async():
            self.ready.set()
            await self.found.queue.run_worker_async(concurrency=2, **self.found.worker_options())

    def stop(self, timeout: float = 30) -> bool:
        """Stop taking jobs and wait up to `timeout` seconds for those running to end;
        whether the worker is done (a job still running goes on, on its own thread)."""
        if self._loop is not None and self._task is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self.thread.join(timeout=timeout)
        return not self.thread.is_alive()


def start_embedded(app: Flask) -> EmbeddedWorker:
    """Start this process's worker thread (once). On SQLite the jobs left queued or running
    by a previous process are deferred again first."""
    found = runtime(app)
    if found.worker is not None:
        return found.worker
    found.worker = EmbeddedWorker(found)
    found.worker.start()
    if found.embedded:
        with app.app_context():
            try:
                _requeue_unfinished(found)
            finally:
                db.session.remove()
    return found.worker


def _requeue_unfinished(found: Runtime) -> None:
    """The in-memory queue died with the last process: hand its unfinished jobs to this one,
    with their locks. A running job keeps its status: its task starts again as a new
    attempt, and a held job's parts can still close it meanwhile."""
    for job in service.unfinished(db.session):
        log.info("job %s (%s) deferred again after a restart", job.id, job.kind)
        _defer_now(found, job.id, job.kind, job.lock)
    db.session.rollback()


def run_until_empty(app: Flask, queues: list[str] | None = None, timeout: float = 120) -> None:
    """Run every job queued (and those they queue) to its end, then return: the tests'
    helper. Periodic tasks are left alone unless `queues` names theirs. With a worker thread
    running in this process, waits for it instead."""
    found = runtime(app)
    if found.worker is None:
        found.queue.run_worker(
            wait=False,
            listen_notify=False,
            concurrency=1,
            queues=queues or found.user_queues,
            **found.worker_options(),
        )
        return
    deadline = time.monotonic() + timeout
    with app.app_context():
        try:
            while service.unfinished(db.session):
                db.session.rollback()
                if time.monotonic() > deadline:
                    raise TimeoutError("jobs still unfinished")
                time.sleep(0.05)
        finally:
            db.session.remove()
