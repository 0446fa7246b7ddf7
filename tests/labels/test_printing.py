"""Print sheets: a job made from the label page renders in the background, shows its
progress without script, and serves the PDF to its organisation only."""

from __future__ import annotations

import time

from flask import Flask
from flask.testing import FlaskClient

from registry.db import db
from registry.labels.models import JobStatus, PrintJob
from tests.conftest import Factory, csrf_token, login
from tests.labels.conftest import authority, packed  # noqa: F401
from tests.labels.test_views import issue_through_pages, staff


def finished(job_id: int, seconds: float = 30) -> PrintJob:
    deadline = time.monotonic() + seconds
    while True:
        db.session.expire_all()
        job = db.session.get(PrintJob, job_id)
        assert job is not None
        if job.status in (JobStatus.DONE, JobStatus.FAILED) or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_a_sheet_of_unit_labels_is_made_in_the_background(
    app: Flask, client: FlaskClient, make: Factory, packed, authority
) -> None:
    serial = issue_through_pages(client, make, packed, authority)  # 10 units, as the authority
    token = csrf_token(client, f"/labels/{serial}")
    wrong = client.post(f"/labels/{serial}/print", data={"csrf_token": token, "size": "A3"})
    assert wrong.status_code == 422
    made = client.post(f"/labels/{serial}/print", data={"csrf_token": token, "size": "a4"})
    assert made.status_code == 302
    job_id = int(made.location.rsplit("/", 1)[1])
    job = finished(job_id)
    assert job.status is JobStatus.DONE, job.error
    assert (job.done, job.total) == (1, 1)  # 10 labels fit one A4 page of 32
    page = client.get(made.location)
    assert "Refresh" not in page.headers and "PDF" in page.get_data(as_text=True)
    pdf = client.get(f"/labels/print/{job_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    client.post("/logout", data={"csrf_token": token})
    login(client, make.user(make.org(code="RET-KHAC")))
    assert client.get(f"/labels/print/{job_id}.pdf").status_code == 404
    assert client.get(f"/labels/{serial}").status_code == 404


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
