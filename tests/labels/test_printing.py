"""Print sheets: a job queued from the label page renders on a worker, shows its progress in
pages without script, serves the PDF from the store to its organisation only, does nothing
more when run again, and says readably why a sheet could not be made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import flask_babel
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from registry import jobs
from registry.db import db, utcnow
from registry.jobs import periodic, queue
from registry.jobs.models import Job, JobStatus
from registry.labels import printing
from registry.labels.models import Label
from registry.storage import store
from tests.conftest import Factory, csrf_token, login
from tests.labels.conftest import authority, packed  # noqa: F401
from tests.labels.test_views import issue_through_pages, staff

RunJobs = Callable[..., None]


def ask_for_sheet(client: FlaskClient, serial: str, size: str = "a4") -> int:
    token = csrf_token(client, f"/labels/{serial}")
    made = client.post(f"/labels/{serial}/print", data={"csrf_token": token, "size": size})
    assert made.status_code == 302, made.get_data(as_text=True)
    return int(made.location.rsplit("/", 1)[1])


def the_job(job_id: int) -> Job:
    db.session.expire_all()
    found = db.session.get(Job, job_id)
    assert found is not None
    return found


def test_a_sheet_of_unit_labels_is_made_by_a_job(
    app: Flask, client: FlaskClient, make: Factory, packed, authority, run_jobs: RunJobs
) -> None:
    serial = issue_through_pages(client, make, packed, authority)  # 10 units, as the authority
    token = csrf_token(client, f"/labels/{serial}")
    wrong = client.post(f"/labels/{serial}/print", data={"csrf_token": token, "size": "A3"})
    assert wrong.status_code == 422
    assert "chọn một khổ giấy trong danh sách" in wrong.get_data(as_text=True)
    job_id = ask_for_sheet(client, serial)
    waiting = client.get(f"/labels/print/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and 'data-job-status="queued"' in waiting
    assert client.get(f"/labels/print/{job_id}.pdf").status_code == 404  # not made yet
    run_jobs()
    job = the_job(job_id)
    assert job.status is JobStatus.DONE, job.error
    assert job.kind == printing.KIND and job.result_key == printing.pdf_key(job_id)
    assert job.result == {"serial": serial, "size": "a4", "labels": 10, "pages": 1}
    assert (job.done, job.total) == (1, 1)  # 10 labels fit one A4 page of 32
    page = client.get(f"/labels/print/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Tải tệp PDF" in page
    pdf = client.get(f"/labels/print/{job_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].endswith(f"nhan-{serial}-a4.pdf")
    assert client.get(f"/jobs/{job_id}.json").json["status"] == "done"
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/labels/{serial}")})
    login(client, make.user(authority, locale="en"))  # a colleague who reads English
    flask_babel.refresh()  # the client's requests share the fixtures' context and its locale
    english = client.get(f"/labels/print/{job_id}").get_data(as_text=True)
    assert "The sheet is ready: 1 page." in english and "Download the PDF" in english
    flask_babel.refresh()
    token = csrf_token(client, f"/labels/{serial}")
    client.post("/logout", data={"csrf_token": token})
    login(client, make.user(make.org(code="RET-KHAC")))
    assert client.get(f"/labels/print/{job_id}").status_code == 404
    assert client.get(f"/labels/print/{job_id}.pdf").status_code == 404
    assert client.get(f"/labels/{serial}").status_code == 404


def test_a_sheet_rendered_twice_is_the_same_file_and_one_job(
    app: Flask, client: FlaskClient, make: Factory, packed, authority, run_jobs: RunJobs
) -> None:
    """A worker killed after the PDF was stored, before the job was marked done: the job is
    run again and makes the same sheet under the same key; a run after it ended does
    nothing."""
    serial = issue_through_pages(client, make, packed, authority)
    job_id = ask_for_sheet(client, serial, "a4")
    run_jobs()
    first = store().get(printing.pdf_key(job_id))
    job = the_job(job_id)
    job.status, job.result, job.result_key = JobStatus.RUNNING, None, None  # as if killed
    db.session.commit()
    store().delete(printing.pdf_key(job_id))
    queue._defer_now(queue.runtime(app), job_id, printing.KIND, None)
    run_jobs()
    job = the_job(job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2
    assert store().get(printing.pdf_key(job_id)) == first  # drawn again, byte for byte
    queue._defer_now(queue.runtime(app), job_id, printing.KIND, None)  # once more, after done
    run_jobs()
    assert the_job(job_id).attempts == 2  # the finished job was left alone


def test_a_sheet_that_cannot_be_made_says_why(
    app: Flask, client: FlaskClient, make: Factory, packed, authority, run_jobs: RunJobs
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    job_id = ask_for_sheet(client, serial)
    label = db.session.scalar(select(Label).where(Label.serial == serial))
    assert label is not None
    db.session.get(Job, job_id).args = {"label_id": label.id + 10_000, "size": "a4"}  # type: ignore[union-attr]
    db.session.commit()
    run_jobs()
    job = jobs.view(the_job(job_id))
    assert job.status is JobStatus.FAILED and job.attempts == 1  # not worth trying again
    page = client.get(f"/labels/print/{job_id}").get_data(as_text=True)
    assert "Không hoàn thành được công việc" in page
    assert "Nhãn của tờ in này không còn nữa." in page
    assert 'http-equiv="refresh"' not in page
    assert client.get(f"/labels/print/{job_id}.pdf").status_code == 404


def test_the_holder_gets_the_artwork(
    app: Flask, client: FlaskClient, make: Factory, packed, authority
) -> None:
    serial = issue_through_pages(client, make, packed, authority)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/labels/queue")})
    login(client, staff(packed.organisation, make))
    png = client.get(f"/labels/{serial}/artwork.png")
    svg = client.get(f"/labels/{serial}/artwork.svg")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    assert svg.status_code == 200 and "PHÁT THẢI THẤP" in svg.get_data(as_text=True)


def test_sheets_go_with_their_jobs_after_the_setting_unless_still_being_made(
    app: Flask, client: FlaskClient, make: Factory, packed, authority, run_jobs: RunJobs
) -> None:
    """PRINT_SHEETS_KEEP_DAYS after a sheet was made (or failed), the nightly job removes its
    PDF and its job; a sheet queued or being made stays however old its job, and so does one
    made within the days kept."""
    assert app.config[printing.KEEP_SETTING] == 30  # the default
    app.config[printing.KEEP_SETTING] = 10
    serial = issue_through_pages(client, make, packed, authority)
    made = {name: ask_for_sheet(client, serial) for name in ("old", "new", "failed", "running")}
    run_jobs()
    waiting = ask_for_sheet(client, serial)  # queued, not run yet
    long_ago, lately = utcnow() - timedelta(days=11), utcnow() - timedelta(days=9)
    changes = {
        "old": {"finished_at": long_ago},
        "new": {"finished_at": lately},  # asked long ago, made lately
        "failed": {"status": JobStatus.FAILED, "finished_at": long_ago, "result_key": None},
        "running": {"status": JobStatus.RUNNING, "finished_at": None},  # made again, under way
    }
    for name, values in changes.items():
        db.session.execute(
            update(Job).where(Job.id == made[name]).values(created_at=long_ago, **values)
        )
    db.session.execute(
        update(Job).where(Job.id == waiting).values(created_at=long_ago - timedelta(days=99))
    )
    db.session.commit()
    try:
        with app.app_context():
            periodic.prune_print_sheets(db.session, 0)
            periodic.prune_print_sheets(db.session, 0)  # idempotent: nothing more goes
    finally:
        app.config[printing.KEEP_SETTING] = 30
    db.session.expire_all()
    left = set(db.session.scalars(select(Job.id).where(Job.kind == printing.KIND)))
    assert left == {made["new"], made["running"], waiting}
    ours = {*made.values(), waiting}
    kept = {job_id for job_id in ours if store().exists(printing.pdf_key(job_id))}
    assert kept == {made["new"], made["running"]}
    assert client.get(f"/labels/print/{made['old']}.pdf").status_code == 404
    assert client.get(f"/labels/print/{made['new']}.pdf").status_code == 200
