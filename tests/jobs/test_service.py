"""The job core on SQLite and PostgreSQL: a job runs once its transaction commits and never
when it rolls back, reports progress that other sessions see, keeps its result, retries
transient failures, fails with a readable error, and does nothing when run again."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import jobs
from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.errors import DomainError, NotFound
from registry.jobs import queue, service
from registry.jobs.models import Job, JobStatus
from tests.conftest import Factory

RunJobs = Callable[..., None]
CALLS: Counter[int] = Counter()  # task bodies run, by job id
SEEN: dict[int, Any] = {}


@jobs.task("test.count", retries=2)
def count_rows(run: jobs.JobRun, rows: int, fail_times: int = 0, rule: bool = False) -> dict:
    """Idempotent: it writes nothing but its result."""
    CALLS[run.job_id] += 1
    if rule:
        raise Refused(errors={"file": ["Tệp trống."]})
    if CALLS[run.job_id] <= fail_times:
        raise sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    for done in range(0, rows + 1, 10):
        run.progress(done, rows, f"{done} rows")
    return {"rows": rows, "attempt": run.attempt}


@jobs.task("test.store", retries=2)
def write_file(run: jobs.JobRun, fail_with: str) -> dict:
    """Idempotent: it writes nothing but its result. Fails once as the file store would."""
    CALLS[run.job_id] += 1
    if CALLS[run.job_id] == 1:
        failures = {
            "unreachable": EndpointConnectionError(endpoint_url="http://s3.invalid"),
            "dropped": ConnectionClosedError(endpoint_url="http://s3.invalid"),
            "timeout": TimeoutError("the shared folder did not answer"),
        }
        raise failures[fail_with]
    return {"attempt": run.attempt}


@jobs.task("test.watch")
def watch_progress(run: jobs.JobRun) -> None:
    """Reports progress while its own transaction is open, and lets the test look."""
    db.session.execute(text("SELECT 1"))
    run.progress(3, 7, "halfway")
    SEEN["reported"].set()
    SEEN["looked"].wait(timeout=30)


class Refused(DomainError):
    title = "The file cannot be read."


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    CALLS.clear()  # (job ids start again from 1 in each test on SQLite)


@pytest.fixture
def htx(ctx: None, make: Factory) -> tuple[Organisation, User]:
    org = make.org(kind=OrgKind.PRODUCER)
    user = make.user(org)
    return db.session.get(Organisation, org.id), db.session.get(User, user.id)  # type: ignore[return-value]


def queued_rows(app: Flask) -> int:
    """Jobs waiting in procrastinate's queue (its table, or its memory on SQLite)."""
    found = queue.runtime(app)
    if found.embedded:
        return sum(j["status"] == "todo" for j in found.queue.connector.jobs.values())  # type: ignore[attr-defined]
    return int(db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs")) or 0)


def test_a_job_runs_once_committed_with_its_progress_and_result(
    app: Flask, htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=25)
    db.session.commit()
    assert job.status is JobStatus.QUEUED and job.args == {"rows": 25}
    assert queued_rows(app) == 1
    run_jobs()
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done is not None and done.status is JobStatus.DONE
    assert done.result == {"rows": 25, "attempt": 1} and done.attempts == 1
    assert (done.done, done.total) == (20, 25)  # the last progress reported
    assert done.started_at and done.finished_at and done.error is None
    assert jobs.view(done).percent == 100 and CALLS[job.id] == 1


def test_a_job_asked_for_in_a_transaction_rolled_back_never_runs(
    app: Flask, htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job_id = jobs.enqueue(db.session, "test.count", org, user, rows=1).id
    db.session.rollback()
    assert queued_rows(app) == 0
    run_jobs()
    assert CALLS[job_id] == 0 and db.session.get(Job, job_id) is None


def test_a_job_run_again_after_it_finished_does_nothing(
    app: Flask, htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=5)
    db.session.commit()
    run_jobs()
    queue._defer_now(queue.runtime(app), job.id, job.kind, None)  # as a worker killed late
    run_jobs()
    db.session.expire_all()
    assert CALLS[job.id] == 1 and db.session.get(Job, job.id).attempts == 1  # type: ignore[union-attr]


def test_a_transient_failure_is_retried_and_the_job_then_succeeds(
    htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=5, fail_times=2)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done is not None and done.status is JobStatus.DONE
    assert CALLS[job.id] == 3 and done.attempts == 3 and done.result == {"rows": 5, "attempt": 3}
    assert done.error is None


@pytest.mark.parametrize("failure", ["unreachable", "dropped", "timeout"])
def test_a_file_store_that_fails_for_a_moment_is_tried_again(
    htx: tuple[Organisation, User], run_jobs: RunJobs, failure: str
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.store", org, user, fail_with=failure)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done is not None and done.status is JobStatus.DONE
    assert done.attempts == 2 and done.result == {"attempt": 2}


def test_a_transient_failure_that_lasts_fails_after_the_retries_with_a_readable_error(
    htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=5, fail_times=99)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    failed = db.session.get(Job, job.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert CALLS[job.id] == 3 and failed.attempts == 3  # the first try and two retries
    assert failed.error == "Không kết nối được cơ sở dữ liệu hoặc kho tệp trong chốc lát."
    assert "OperationalError" not in (failed.error or "")


def test_a_broken_rule_fails_at_once_in_the_askers_language(
    htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    with force_locale("en"):
        english = jobs.enqueue(db.session, "test.count", org, user, rows=1, rule=True)
    vietnamese = jobs.enqueue(db.session, "test.count", org, user, rows=1, rule=True)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    for job in (english, vietnamese):
        found = db.session.get(Job, job.id)
        assert found is not None and found.status is JobStatus.FAILED and found.attempts == 1
        assert CALLS[job.id] == 1
    assert english.locale == "en" and vietnamese.locale == "vi"
    assert db.session.get(Job, english.id).error == "The file cannot be read. Tệp trống."  # type: ignore[union-attr]


def test_progress_is_seen_by_pages_while_the_task_holds_its_transaction(
    app: Flask, htx: tuple[Organisation, User]
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.watch", org, user)
    db.session.commit()
    SEEN.update(reported=threading.Event(), looked=threading.Event())
    worker = threading.Thread(target=queue.run_until_empty, args=(app,))
    worker.start()
    try:
        assert SEEN["reported"].wait(timeout=30)
        with Session(db.engine) as other:  # another request's session
            seen = service.view(other.get(Job, job.id))  # type: ignore[arg-type]
        assert (seen.status, seen.done, seen.total, seen.message) == (
            JobStatus.RUNNING,
            3,
            7,
            "halfway",
        )
        assert seen.percent == 42
    finally:
        SEEN["looked"].set()
        worker.join(timeout=60)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status is JobStatus.DONE  # type: ignore[union-attr]


def test_finishing_a_job_another_run_has_taken_over_refuses_the_work(
    htx: tuple[Organisation, User],
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=1)
    db.session.commit()
    first = service.start(db.session, job.id)
    assert first is not None and first.attempts == 1
    again = service.start(db.session, job.id)  # a second worker took the job over
    assert again is not None and again.attempts == 2
    with pytest.raises(service.JobTakenOver):
        service.finish(db.session, job.id, attempt=1, result={"by": 1})
    db.session.rollback()
    service.finish(db.session, job.id, attempt=2, result={"by": 2})
    db.session.commit()
    assert service.start(db.session, job.id) is None  # finished: a third run stops at once
    assert db.session.scalar(select(Job.result).where(Job.id == job.id)) == {"by": 2}


def test_an_organisation_sees_its_own_jobs_only(
    htx: tuple[Organisation, User], make: Factory
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=1)
    db.session.commit()
    assert jobs.job_of(db.session, org.id, job.id) is job
    other = make.org()
    with pytest.raises(NotFound):
        jobs.job_of(db.session, other.id, job.id)
    with pytest.raises(NotFound):
        jobs.job_of(db.session, org.id, job.id, kind="trace.import")


def test_an_unknown_kind_is_a_programming_error(htx: tuple[Organisation, User]) -> None:
    org, user = htx
    with pytest.raises(KeyError):
        jobs.enqueue(db.session, "test.nothing", org, user)


@jobs.task("test.disconnect", retries=2)
def lose_the_connection(run: jobs.JobRun) -> dict:
    """Its first try's database connection is cut (PostgreSQL ends the backend)."""
    CALLS[run.job_id] += 1
    if run.attempt == 1:
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    return {"pid": db.session.scalar(text("SELECT pg_backend_pid()"))}


def test_a_real_database_disconnect_is_retried(
    app: Flask, htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    if queue.runtime(app).embedded:
        pytest.skip("SQLite has no connection to lose")
    org, user = htx
    job = jobs.enqueue(db.session, "test.disconnect", org, user)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done is not None and done.status is JobStatus.DONE
    assert CALLS[job.id] == 2 and done.attempts == 2 and done.error is None


def test_jobs_left_by_a_process_that_stopped_are_deferred_again_at_start_up(
    app: Flask, htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    found = queue.runtime(app)
    if not found.embedded:
        pytest.skip("on PostgreSQL the queue itself is durable")
    org, user = htx
    waiting = jobs.enqueue(db.session, "test.count", org, user, lock="org-1", rows=1)
    running = jobs.enqueue(db.session, "test.count", org, user, rows=2)
    db.session.commit()
    service.start(db.session, running.id)  # it was running when the process stopped
    connector = found.queue.connector
    connector.reset()  # type: ignore[attr-defined]  # the memory went with it
    run_jobs()
    assert CALLS == Counter()
    queue._requeue_unfinished(found)  # what `registry run` does as it starts
    deferred = connector.jobs.values()  # type: ignore[attr-defined]
    again = {j["args"]["job_id"]: j["lock"] for j in deferred if j["queue_name"] == "default"}
    assert again == {waiting.id: "org-1", running.id: None}  # each with its lock
    assert db.session.get(Job, running.id).status is JobStatus.RUNNING  # type: ignore[union-attr]
    run_jobs()
    db.session.expire_all()
    for job in (waiting, running):
        assert db.session.get(Job, job.id).status is JobStatus.DONE  # type: ignore[union-attr]
    assert CALLS[waiting.id] == CALLS[running.id] == 1


@jobs.task("test.held")
def hand_over(run: jobs.JobRun) -> object:
    """A parent whose parts end it."""
    CALLS[run.job_id] += 1
    return jobs.HELD


@jobs.task("test.overtaken")
def overtaken(run: jobs.JobRun) -> None:
    """Another run takes the job over while this one works: its work must not count."""
    CALLS[run.job_id] += 1
    service.start(db.session, run.job_id)  # (the other run: attempts 2)
    db.session.execute(text("SELECT 1"))
    run.finish(db.session, result={"by": run.attempt})
    db.session.commit()


def test_a_held_job_stays_running_until_another_transaction_ends_it(
    htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    ok = jobs.enqueue(db.session, "test.held", org, user)
    bad = jobs.enqueue(db.session, "test.held", org, user)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Job, ok.id).status is JobStatus.RUNNING  # type: ignore[union-attr]
    service.finish(db.session, ok.id, attempt=1, result={"parts": 3})
    service.fail(db.session, bad.id, "Phần 2 không xong.")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Job, ok.id).result == {"parts": 3}  # type: ignore[union-attr]
    failed = db.session.get(Job, bad.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == "Phần 2 không xong." and failed.finished_at is not None


def test_the_failure_of_a_run_taken_over_leaves_the_job_to_the_run_that_holds_it(
    htx: tuple[Organisation, User],
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.count", org, user, rows=1)
    db.session.commit()
    assert service.start(db.session, job.id) is not None  # attempt 1, then only slow
    assert service.start(db.session, job.id) is not None  # attempt 2 took it over
    service.record_failure(job.id, "first run's error", final=True, attempt=1)
    service.record_failure(job.id, "first run's error", final=False, attempt=1)
    db.session.expire_all()
    held = db.session.get(Job, job.id)
    assert held is not None
    assert (held.status, held.error) == (JobStatus.RUNNING, None)
    service.finish(db.session, job.id, attempt=2, result={"by": 2})  # its work still counts
    db.session.commit()
    service.record_failure(job.id, "too late", final=True, attempt=2)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status is JobStatus.DONE  # type: ignore[union-attr]


def test_a_run_taken_over_leaves_the_job_to_the_run_that_holds_it(
    htx: tuple[Organisation, User], run_jobs: RunJobs
) -> None:
    org, user = htx
    job = jobs.enqueue(db.session, "test.overtaken", org, user)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    held = db.session.get(Job, job.id)
    assert held is not None and CALLS[job.id] == 1
    assert (held.status, held.attempts, held.error, held.result) == (
        JobStatus.RUNNING,
        2,
        None,
        None,
    )
