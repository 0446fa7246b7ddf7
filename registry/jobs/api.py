"""The status of a background job, for the organisation that asked for it."""

from __future__ import annotations

from flask_smorest import Blueprint

from registry.accounts.access import principal, token_required
from registry.api import BEARER
from registry.db import db
from registry.jobs import service
from registry.jobs.schemas import JobOut

blp = Blueprint("jobs_api", __name__, description="Background jobs (imports and other long work)")


@blp.get("/jobs/<int:job_id>")
@blp.doc(security=BEARER)
@blp.response(200, JobOut)
@token_required("read")
def job_status(job_id: int) -> service.JobView:
    """A job of the caller's organisation: its status, progress and, once done, its result.
    Poll it every few seconds until `status` is `done` or `failed`; a job queued again
    after a failed try says so with `attempts` and `error`."""
    job = service.job_of(db.session, principal().organisation_id, job_id)
    return service.view(job)
