"""Background jobs: work that takes longer than a page should wait, run by workers.

The whole API (docs/architecture.md, "Background jobs"):

    from registry import jobs

    @jobs.task("labels.print_sheet")
    def print_sheet(run: jobs.JobRun, label_id: int, size: str) -> dict | None:
        '''Idempotent: ...say how...'''
        run.progress(done, total, "…")          # seen by pages at once
        ...                                     # its own commits; or, to make records
        run.finish(db.session, result={...})    # and "done" commit together, before commit
        return {...}                            # small JSON summary, kept as Job.result
        # or return jobs.HELD: the job stays running until others end it (a parent job
        # whose parts call jobs.service.finish / jobs.service.fail in their transactions)

    job = jobs.enqueue(db.session, "labels.print_sheet", org, user, label_id=1, size="a4")
    db.session.commit()                         # the job runs once this commits

A new kind's module is listed in `registry.jobs.queue.TASK_MODULES`; a periodic job goes in
`registry/jobs/periodic.py`. Pages show a job with templates/jobs/_progress.html and poll
`/jobs/<id>.json`; the API returns it from `/api/v1/jobs/<id>`. Tests run the queued jobs
with the `run_jobs` fixture (tests/conftest.py).
"""

from registry.jobs.models import Job, JobStatus
from registry.jobs.service import JobView, enqueue, job_of, view
from registry.jobs.tasks import HELD, JobRun, Transient, task

__all__ = [
    "HELD",
    "Job",
    "JobRun",
    "JobStatus",
    "JobView",
    "Transient",
    "enqueue",
    "job_of",
    "task",
    "view",
]
