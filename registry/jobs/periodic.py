"""The registry's schedule: every periodic job, in one place.

Crons are in UTC (Vietnam is UTC+7). procrastinate defers each one once per time, however
many workers run (their deferrals are deduplicated in the database), on the `periodic`
queue. Each entry is `func(session, timestamp)`, idempotent (it may run twice, or late) and
committing its own work.

Besides these, registry/jobs/queue.py schedules the queue's own upkeep: `jobs.retry_stalled`
(`JOBS_STALLED_CRON`, every minute by default: jobs of workers that stopped beating are
retried) and `jobs.remove_old_queue_rows` (procrastinate's rows of jobs finished more than
`QUEUE_ROWS_KEPT_HOURS` ago; the registry's `Job` records stay).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from registry.db import Db

QUEUE_ROWS_KEPT_HOURS = 72
REMOVE_OLD_CRON = "40 20 * * *"  # 03:40 in Vietnam


@dataclass(frozen=True)
class Scheduled:
    name: str
    cron: str
    func: Callable[[Db, int], None]


def rebuild_reports(session: Db, timestamp: int) -> None:
    """Every cell of sums recomputed from every record at night, then every report file
    missing from the store built (reports/builds.py `nightly`)."""
    from registry.reports import builds

    builds.nightly(session)


def remind(session: Db, timestamp: int) -> None:
    """Record the reporting calendar's reminders due today (shown on each organisation's
    dashboard until delivered)."""
    from registry.reminders import service as reminders
    from registry.trace.service import today_in_vietnam

    reminders.record_due(session, today_in_vietnam())
    session.commit()


def prune_imports(session: Db, timestamp: int) -> None:
    """Uploaded spreadsheets, their marked copies and their jobs go after a week (the
    uploads name member households)."""
    from registry.db import utcnow
    from registry.trace import import_jobs

    import_jobs.prune(session, utcnow())


def prune_print_sheets(session: Db, timestamp: int) -> None:
    """Print sheets and their jobs go `PRINT_SHEETS_KEEP_DAYS` (30 by default) after they
    were made; a sheet still being made stays."""
    from flask import current_app

    from registry.db import utcnow
    from registry.labels import printing

    days = max(0, int(current_app.config[printing.KEEP_SETTING]))
    printing.prune(session, utcnow(), timedelta(days=days))


def publish_log_tiles(session: Db, timestamp: int) -> None:
    """Publish the log's tiles and checkpoint to the store (DESIGN.md §6b), as
    `registry log publish-tiles` does: tiles already written are skipped."""
    from registry.ledger import publish

    publish.publish_job(session)


def sequence_log(session: Db, timestamp: int) -> None:
    """Number the log entries a writer left in the pool when it died after committing
    (registry/ledger/sequencer.py), as `registry log sequence` does; nothing when the pool is
    empty."""
    from registry.ledger import sequencer

    sequencer.sequence_all(session)


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled("reports.remind", "0 0 * * *", remind),  # 07:00 in Vietnam
    Scheduled("reports.rebuild", "0 19 * * *", rebuild_reports),  # 02:00 in Vietnam
    Scheduled("ledger.sequence", "* * * * *", sequence_log),
    Scheduled("ledger.publish_tiles", "* * * * *", publish_log_tiles),
    Scheduled("trace.prune_imports", "10 20 * * *", prune_imports),  # 03:10 in Vietnam
    Scheduled("labels.prune_print_sheets", "20 20 * * *", prune_print_sheets),  # 03:20
)
