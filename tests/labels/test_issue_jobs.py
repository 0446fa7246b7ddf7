"""Large label issuance as a job: above the setting's number of unit labels the API answers
202 with the job (Location, job JSON) and the page follows it to the label; smaller
requests stay answered at once. Each request is issued once (one label, its units, one
`label.issued` entry) however often its job runs, and a job that cannot issue says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from registry.accounts.models import Organisation
from registry.db import db
from registry.jobs import queue
from registry.jobs import service as jobs_service
from registry.jobs.models import Job, JobStatus
from registry.labels import issuance, issue_jobs, signer
from registry.labels.models import Label, LabelRequest, RequestStatus
from registry.ledger.models import LogEntry
from registry.trace.models import Batch
from tests.accounts.test_api import bearer
from tests.conftest import Factory, csrf_token, login
from tests.labels.test_views import staff

RunJobs = Callable[..., None]
RW = ("read", "write")
ABOVE = 5  # unit labels issued at once at most, in these tests


@pytest.fixture(autouse=True)
def _small_threshold(app: Flask) -> Iterator[None]:
    before = app.config[issue_jobs.SETTING]
    app.config[issue_jobs.SETTING] = ABOVE
    yield
    app.config[issue_jobs.SETTING] = before


@pytest.fixture
def member(app: Flask, make: Factory, packed: Batch) -> dict[str, str]:
    holder = db.session.get(Organisation, packed.organisation_id)
    assert holder is not None
    return bearer(app, make.user(holder), RW)


@pytest.fixture
def operator(app: Flask, make: Factory, authority: Organisation) -> dict[str, str]:
    return bearer(app, make.user(authority), RW)


def ask(client: FlaskClient, auth: dict[str, str], batch: Batch, units: int) -> int:
    body = {"batch": batch.id, "units": units, "unit_kg": 1}
    asked = client.post("/api/v1/labels/requests", json=body, headers=auth)
    assert asked.status_code == 201, asked.json
    return int(asked.json["id"])


def counts(app: Flask) -> tuple[int, int]:
    """Labels (batch and unit) and `label.issued` entries."""
    with app.app_context():
        labels = db.session.scalar(select(func.count()).select_from(Label))
        logged = db.session.scalar(select(func.count()).where(LogEntry.type == "label.issued"))
        db.session.remove()
    return int(labels or 0), int(logged or 0)


def job_of(app: Flask, job_id: int) -> Job:
    db.session.expire_all()
    found = db.session.get(Job, job_id)
    assert found is not None
    return found


def test_a_large_request_is_answered_202_and_issued_by_its_job(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
) -> None:
    small = ask(client, member, packed, ABOVE)
    at_once = client.post(f"/api/v1/labels/requests/{small}/issue", headers=operator)
    assert at_once.status_code == 201 and at_once.json["status"] == "valid"
    large = ask(client, member, packed, ABOVE + 7)
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    assert accepted.status_code == 202, accepted.json
    job = accepted.json
    assert accepted.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["result"]) == ("labels.issue", "queued", None)
    again = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    assert again.status_code == 202 and again.json["id"] == job["id"]  # the same job
    assert counts(app) == (1 + ABOVE, 1)  # nothing of the large one yet
    run_jobs()
    followed = client.get(accepted.headers["Location"], headers=operator)
    assert followed.status_code == 200 and followed.json["status"] == "done"
    result = followed.json["result"]
    status = client.get(f"/api/v1/labels/{result['serial']}").json
    assert result == status  # what a 201 would have answered
    assert counts(app) == (1 + ABOVE + 1 + ABOVE + 7, 2)
    decided = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    assert decided.status_code == 422  # refused at once, no job queued
    with app.app_context():
        kinds = db.session.scalars(select(Job.kind)).all()
    assert kinds == ["labels.issue"]


def test_a_retried_large_issuance_gets_the_first_answer(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
) -> None:
    large = ask(client, member, packed, ABOVE + 1)
    key = {**operator, "Idempotency-Key": "large-1"}
    first = client.post(f"/api/v1/labels/requests/{large}/issue", headers=key)
    run_jobs()
    replayed = client.post(f"/api/v1/labels/requests/{large}/issue", headers=key)
    assert first.status_code == replayed.status_code == 202
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.headers["Location"] == first.headers["Location"]
    assert counts(app) == (1 + ABOVE + 1, 1)


def test_the_page_follows_the_job_to_the_label(
    app: Flask, client: FlaskClient, make: Factory, packed: Batch, authority, run_jobs: RunJobs
) -> None:
    login(client, staff(packed.organisation, make))
    token = csrf_token(client, f"/batches/{packed.id}")
    form = {"csrf_token": token, "units": str(ABOVE + 3), "unit_kg": "5"}
    asked = client.post(f"/batches/{packed.id}/labels", data=form)
    client.post("/logout", data={"csrf_token": token})
    login(client, make.user(authority))
    token = csrf_token(client, "/labels/queue")
    queued = client.post(asked.location + "/issue", data={"csrf_token": token})
    assert queued.status_code == 303 and "/labels/issue/" in queued.location
    page = client.get(queued.location).get_data(as_text=True)
    assert 'data-issue-job="queued"' in page and 'http-equiv="refresh"' in page
    assert "Đang chờ" in page  # waiting for a worker
    run_jobs()
    done = client.get(queued.location)
    assert done.status_code == 302 and "/labels/" in done.location
    label = client.get(done.location).get_data(as_text=True)
    serial = done.location.rsplit("/", 1)[1]
    assert f"Đã cấp nhãn {serial}" in label
    assert counts(app) == (1 + ABOVE + 3, 1)


def test_a_job_run_again_after_its_issue_committed_issues_nothing(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
) -> None:
    """The issue's transaction committed but the job was not marked done (a worker killed
    between the two, or the request issued some other way): a run finds the request issued
    and reports its label; a run after the job is done does nothing at all."""
    large = ask(client, member, packed, ABOVE + 2)
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    job_id = accepted.json["id"]
    run_jobs()
    job = job_of(app, job_id)
    first = dict(job.result or {})
    job.status, job.result = JobStatus.RUNNING, None  # as if killed before its finish
    db.session.commit()
    queue._defer_now(queue.runtime(app), job_id, issue_jobs.KIND, None)
    run_jobs()
    job = job_of(app, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2
    assert job.result is not None and job.result["serial"] == first["serial"]
    queue._defer_now(queue.runtime(app), job_id, issue_jobs.KIND, None)
    run_jobs()
    assert job_of(app, job_id).attempts == 2  # done already: left alone
    assert counts(app) == (1 + ABOVE + 2, 1)


def test_a_job_killed_before_its_commit_issues_once_when_tried_again(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Everything was signed and written but the connection dropped before the commit: the
    transaction rolls back whole and the retry issues the request once."""
    real, tries = issue_jobs.result_of, []

    def drops_once(label: Label) -> dict:
        tries.append(label.serial)
        if len(tries) == 1:
            raise sa_exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return real(label)

    monkeypatch.setattr(issue_jobs, "result_of", drops_once)
    large = ask(client, member, packed, ABOVE + 4)
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    run_jobs()
    job = job_of(app, accepted.json["id"])
    assert job.status is JobStatus.DONE and job.attempts == 2, job.error
    assert len(set(tries)) == 2  # the first serials were rolled back with their labels
    assert job.result is not None and job.result["serial"] == tries[1]
    assert counts(app) == (1 + ABOVE + 4, 1)
    with app.app_context():
        request = db.session.get(LabelRequest, large)
        assert request is not None and request.status is RequestStatus.ISSUED


def test_a_job_that_cannot_issue_says_why(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    packed: Batch,
    authority: Organisation,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
) -> None:
    large = ask(client, member, packed, ABOVE + 1)
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    with app.app_context():  # refused by the authority while the job waited
        actor = db.session.get(Organisation, authority.id)
        assert actor is not None
        issuance.refuse(db.session, actor, large, "Lô hàng đang được kiểm tra lại.")
        db.session.commit()
    run_jobs()
    failed = client.get(accepted.headers["Location"], headers=operator).json
    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["error"] == "Yêu cầu này đã được xử lý."
    login(client, make.user(authority))
    page = client.get(f"/labels/issue/{failed['id']}").get_data(as_text=True)
    assert "Yêu cầu này đã được xử lý." in page and 'http-equiv="refresh"' not in page
    assert counts(app) == (0, 0)
    other = make.user(make.org(code="HTX-KHAC"))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/labels/queue")})
    login(client, other)
    assert client.get(f"/labels/issue/{failed['id']}").status_code == 404


def test_a_job_asked_for_in_english_says_why_in_english(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    authority: Organisation,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
) -> None:
    large = ask(client, member, packed, ABOVE + 1)
    english = {**operator, "Accept-Language": "en"}
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=english)
    with app.app_context():
        actor = db.session.get(Organisation, authority.id)
        assert actor is not None
        issuance.refuse(db.session, actor, large, "Checked again.")
        db.session.commit()
    run_jobs()
    failed = client.get(accepted.headers["Location"], headers=operator).json
    assert failed["error"] == "This request was already decided."


def test_the_job_tells_the_unit_labels_signed_as_it_goes(
    app: Flask,
    client: FlaskClient,
    packed: Batch,
    member: dict[str, str],
    operator: dict[str, str],
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """issuance.issue's progress goes to the job (at most every PROGRESS_EVERY units, here 4
    in chunks of 3), and the job ends with its count: 30 of 30 unit labels."""
    monkeypatch.setattr(issuance, "PROGRESS_EVERY", 4)
    monkeypatch.setattr(signer, "CHUNK", 3)
    real, told = jobs_service.progress, []

    def seen(job_id: int, done: int, total: int, message: str = "") -> None:
        told.append((done, total))
        real(job_id, done, total, message)

    monkeypatch.setattr(jobs_service, "progress", seen)
    large = ask(client, member, packed, 30)
    accepted = client.post(f"/api/v1/labels/requests/{large}/issue", headers=operator)
    run_jobs()
    assert told == [(0, 30), (6, 30), (12, 30), (18, 30), (24, 30), (30, 30)]
    followed = client.get(accepted.headers["Location"], headers=operator).json
    assert followed["status"] == "done" and (followed["done"], followed["total"]) == (30, 30)
    assert counts(app) == (1 + 30, 1)


def test_the_page_and_the_api_show_the_unit_labels_signed_so_far(
    app: Flask,
    client: FlaskClient,
    make: Factory,
    packed: Batch,
    member: dict[str, str],
    authority: Organisation,
) -> None:
    large = ask(client, member, packed, ABOVE + 1)
    person = make.user(authority)
    auth = bearer(app, person, RW)
    job_id = client.post(f"/api/v1/labels/requests/{large}/issue", headers=auth).json["id"]
    with app.app_context():
        jobs_service.start(db.session, job_id)  # as a worker 40,000 units into 100,000
        jobs_service.progress(job_id, 40_000, 100_000)
    login(client, person)
    page = client.get(f"/labels/issue/{job_id}").get_data(as_text=True)
    assert 'data-issue-job="running"' in page and "40.000/100.000" in page
    followed = client.get(f"/api/v1/jobs/{job_id}", headers=auth).json
    assert (followed["done"], followed["total"], followed["percent"]) == (40_000, 100_000, 40)
