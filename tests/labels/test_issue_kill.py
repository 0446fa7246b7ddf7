"""A `registry worker` killed with SIGKILL in the middle of issuing 100,000 unit labels on
PostgreSQL: nothing of that issuance stays (no label, no `label.issued` entry, the request
still pending), a second worker finds the job stalled, issues the request once, and the job
run yet again changes nothing."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from registry.accounts.models import Organisation, User
from registry.db import db
from registry.jobs import queue
from registry.jobs.models import Job, JobStatus
from registry.labels import issuance, issue_jobs
from registry.labels.models import Label, LabelRequest, RequestStatus
from registry.ledger.models import LogEntry
from registry.trace.models import Batch
from registry.trace.service import today_in_vietnam
from tests.conftest import Factory
from tests.jobs.test_worker_kill import count, job_state, start_worker, wait_until  # noqa: F401

UNITS = issuance.MAX_UNITS  # 100,000 packages of 10 g: seconds of signing and writing
Start = Callable[[], subprocess.Popen[bytes]]


def issued_entries() -> int:
    db.session.rollback()
    query = select(func.count()).where(LogEntry.type == "label.issued")
    return int(db.session.scalar(query) or 0)


def running_message(job_id: int) -> str:
    db.session.rollback()
    found = db.session.get(Job, job_id)
    assert found is not None
    db.session.refresh(found)
    return found.message if found.status is JobStatus.RUNNING else ""


def request_status(request_id: int) -> RequestStatus:
    db.session.rollback()
    found = db.session.get(LabelRequest, request_id)
    assert found is not None
    db.session.refresh(found)
    return found.status


def test_a_worker_killed_mid_issuance_issues_the_request_once(
    app: Flask,
    ctx: None,
    make: Factory,
    packed: Batch,
    authority: Organisation,
    start_worker: Start,
) -> None:
    if queue.runtime(app).embedded:
        pytest.skip("separate workers need PostgreSQL; SQLite runs jobs inside `registry run`")
    holder = db.session.get(Organisation, packed.organisation_id)
    assert holder is not None
    asked = issuance.request_label(db.session, holder, packed.id, UNITS, 0.01)
    user = db.session.get(User, make.user(authority).id)
    actor = db.session.get(Organisation, authority.id)
    assert user is not None and actor is not None
    job = issue_jobs.start(db.session, actor, user, asked.id, today_in_vietnam())
    db.session.commit()
    job_id, request_id = job.id, asked.id

    first = start_worker()
    wait_until(lambda: running_message(job_id) != "", 120, "the issuance to start")
    time.sleep(1.5)  # signing and writing the units
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    status, _, attempts = job_state(job_id)
    assert status is JobStatus.RUNNING and attempts == 1, "killed too late"
    assert count(Label) == 0 and issued_entries() == 0  # its transaction died with it
    assert request_status(request_id) is RequestStatus.PENDING

    second = start_worker()
    wait_until(lambda: job_state(job_id)[0].finished, 300, "the second worker")
    status, _, attempts = job_state(job_id)
    assert (status, attempts) == (JobStatus.DONE, 2)
    assert count(Label) == 1 + UNITS and issued_entries() == 1
    assert request_status(request_id) is RequestStatus.ISSUED
    result = db.session.get(Job, job_id).result  # type: ignore[union-attr]
    label = db.session.scalar(select(Label).where(Label.parent_id.is_(None)))
    assert label is not None and result is not None and result["serial"] == label.serial

    queue._defer_now(queue.runtime(app), job_id, issue_jobs.KIND, None)  # killed after commit
    wait_until(lambda: _queue_finished(), 60, "the job run again")
    assert job_state(job_id)[::2] == (JobStatus.DONE, 2)
    assert count(Label) == 1 + UNITS and issued_entries() == 1
    second.terminate()
    assert second.wait(timeout=60) == 0, second.stderr.read().decode()[-2000:]  # type: ignore[union-attr]


def _queue_finished() -> bool:
    db.session.rollback()
    waiting = db.session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE task_name = :kind AND status IN ('todo', 'doing')"
        ),
        {"kind": issue_jobs.KIND},
    )
    return waiting == 0
