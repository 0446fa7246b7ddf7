"""The registry's schedule (registry/jobs/periodic.py): registered with the queue, and each
entry doing its work when run, twice if need be."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from registry.accounts.models import Organisation, OrgKind, User
from registry.db import db, utcnow
from registry.jobs import periodic, queue
from registry.jobs.models import Job
from registry.ledger import service as ledger
from registry.ledger.models import LogPending
from registry.reports.models import RollupState
from registry.storage import store
from registry.trace import import_checks, import_jobs
from tests.conftest import Factory
from tests.trace.test_import_views import workbook


def test_the_schedule_is_registered_with_the_queue(app: Flask) -> None:
    registered = queue.runtime(app).queue.periodic_registry.periodic_tasks
    crons = {periodic_id: task.cron for (_name, periodic_id), task in registered.items()}
    assert crons["reports.remind"] == "0 0 * * *" and crons["reports.rebuild"] == "0 19 * * *"
    assert {
        "jobs.retry_stalled",
        "ledger.sequence",
        "ledger.publish_tiles",
        "trace.prune_imports",
        "labels.prune_print_sheets",
    } <= set(crons)
    assert all(task.task.queue == queue.PERIODIC_QUEUE for task in registered.values())


def test_the_sequence_job_numbers_entries_a_dead_writer_left_in_the_pool(ctx: None) -> None:
    moment = utcnow().replace(microsecond=0)
    entry = ledger.encode_entry("demo.left", moment, "REGISTRY", "x", {"n": 1})
    db.session.add(
        LogPending(
            type="demo.left", actor="REGISTRY", subject="x", time=moment, entry=entry, fill=[]
        )
    )
    db.session.commit()
    size = ledger.size(db.session)
    scheduled = {item.name: item for item in periodic.SCHEDULE}["ledger.sequence"]
    scheduled.func(db.session, 0)
    scheduled.func(db.session, 0)  # idempotent: nothing left the second time
    assert ledger.size(db.session) == size + 1
    assert ledger.entry(db.session, size) == entry


def test_the_nightly_rebuild_builds_the_cells_of_sums(ctx: None) -> None:
    periodic.rebuild_reports(db.session, 0)
    periodic.rebuild_reports(db.session, 0)
    state = db.session.get(RollupState, 1)
    assert state is not None and state.full_at > utcnow() - timedelta(minutes=5)


def test_uploads_go_with_their_jobs_after_a_week_unless_a_newer_job_uses_them(
    ctx: None, make: Factory
) -> None:
    made = make.org(kind=OrgKind.PRODUCER)
    org, user = db.session.get(Organisation, made.id), db.session.get(User, make.user(made).id)
    assert org is not None and user is not None
    old = import_jobs.start(db.session, org, user, "cu.xlsx", workbook())
    checked = import_jobs.start(db.session, org, user, "kiem.xlsx", workbook())
    token = checked.args["token"]
    again = import_jobs.queue_stored(db.session, org, user, token, "kiem.xlsx", None, False)
    db.session.commit()
    week_ago = utcnow() - import_checks.KEEP - timedelta(hours=1)
    db.session.execute(
        update(Job).where(Job.id.in_([old.id, checked.id])).values(created_at=week_ago)
    )
    db.session.commit()
    periodic.prune_imports(db.session, 0)
    left = db.session.scalars(select(Job.id)).all()
    assert left == [again.id]
    assert not store().exists(import_checks.of(org.id, old.args["token"]).upload)
    assert store().exists(import_checks.of(org.id, checked.args["token"]).upload)  # still used
