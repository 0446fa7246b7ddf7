"""A job's progress as JSON for the page that follows it (templates/jobs/_progress.html and
static/js/job-progress.js): the signed-in organisation's own jobs only."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_login import login_required

from registry.accounts.access import principal
from registry.db import db
from registry.jobs import service
from registry.jobs.schemas import JobOut

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_json(job_id: int) -> Response:
    job = service.job_of(db.session, principal().organisation_id, job_id)
    response = jsonify(JobOut().dump(service.view(job)))
    response.headers["Cache-Control"] = "private, no-store"
    return response
