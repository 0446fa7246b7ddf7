"""A `registry worker` killed with SIGKILL halfway through an import on PostgreSQL: the rows
it had applied vanish with its transaction, a second worker finds the job stalled (no more
heartbeats), runs it again and imports every row exactly once; running the finished job yet
again changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db
from registry.jobs import queue
from registry.jobs.models import Job, JobStatus
from registry.ledger.models import LogEntry
from registry.trace import import_jobs
from registry.trace import spreadsheets as sheets
from registry.trace.models import Field
from tests.conftest import Factory

ROWS = 800
REGISTRY = Path(sys.executable).with_name("registry")


def many_fields(count: int) -> bytes:
    return sheets.write_xlsx(
        {
            "fields": [
                {
                    "code": f"K-{number:04d}",
                    "name": f"Ruộng {number}",
                    "area_ha": 0.5,
                    "province": "Hải Phòng",
                    "commune": "phường Đồ Sơn",
                    "household": "Hộ ông Nguyễn Văn Ba",
                    "location": {"type": "Point", "coordinates": [106.78, 20.71]},
                }
                for number in range(count)
            ]
        }
    )


@pytest.fixture
def start_worker(app: Flask) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts `registry worker` processes on the test database; stops those left."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REGISTRY_KEYS_DIR": app.config["KEYS_DIR"],
        "LOG_ORIGIN": app.config["LOG_ORIGIN"],
        "SECRET_KEY": "test-secret",
        "JOBS_HEARTBEAT_SECONDS": "1",
        "JOBS_STALLED_SECONDS": "3",
        "JOBS_STALLED_CRON": "* * * * * */2",  # every 2 seconds (croniter's sixth field)
    }

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [str(REGISTRY), "worker", "--concurrency", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def job_state(job_id: int) -> tuple[JobStatus, int, int]:
    db.session.rollback()  # a fresh snapshot
    job = db.session.get(Job, job_id)
    assert job is not None
    db.session.refresh(job)
    return job.status, job.done, job.attempts


def count(model: type) -> int:
    db.session.rollback()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_worker_killed_mid_import_loses_nothing_and_imports_nothing_twice(
    app: Flask, ctx: None, make: Factory, start_worker: Callable[[], subprocess.Popen[bytes]]
) -> None:
    if queue.runtime(app).embedded:
        pytest.skip("separate workers need PostgreSQL; SQLite runs jobs inside `registry run`")
    made = make.org(kind=OrgKind.PRODUCER)
    org = db.session.get(Organisation, made.id)
    user = db.session.get(User, make.user(made).id)
    assert org is not None and user is not None
    entries_before = count(LogEntry)
    job = import_jobs.start(db.session, org, user, "lon.xlsx", many_fields(ROWS), dry_run=False)
    db.session.commit()

    first = start_worker()
    wait_until(lambda: job_state(job.id)[1] >= 100, 120, "the first rows")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    status, done, attempts = job_state(job.id)
    assert status is JobStatus.RUNNING and done < ROWS and attempts == 1, "killed too late"
    assert count(Field) == 0  # its transaction died with it

    second = start_worker()
    wait_until(lambda: job_state(job.id)[0] is JobStatus.DONE, 180, "the second worker")
    status, done, attempts = job_state(job.id)
    assert (done, attempts) == (ROWS, 2)
    # the rows' log entries are numbered just after the commit that marked the job done
    wait_until(lambda: count(LogEntry) == entries_before + ROWS, 30, "the entries numbered")
    assert count(Field) == ROWS
    assert db.session.get(Job, job.id).result["saved"] is True  # type: ignore[index,union-attr]

    queue._defer_now(queue.runtime(app), job.id, job.kind, None)  # as if killed after commit
    wait_until(lambda: _queue_finished(), 60, "the job run again")
    assert count(Field) == ROWS and job_state(job.id) == (JobStatus.DONE, ROWS, 2)
    second.terminate()
    assert second.wait(timeout=30) == 0, second.stderr.read().decode()[-2000:]  # type: ignore[union-attr]


def _queue_finished() -> bool:
    db.session.rollback()
    waiting = db.session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE task_name = 'trace.import' AND status IN ('todo', 'doing')"
        )
    )
    return waiting == 0
