"""`registry mrv recompute`: queue a recompute of many seasons (registry/verify/recompute.py)
as the authority, and follow its progress until it ends (or leave it to the workers)."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from registry.accounts.models import Organisation, OrgKind
from registry.db import db
from registry.errors import DomainError
from registry.jobs.models import Job, JobStatus
from registry.numbers import number
from registry.places import PROVINCES
from registry.validation import localise
from registry.verify import recompute


@click.command("recompute")
@click.option("--province", type=click.Choice(PROVINCES), help="the seasons of this province")
@click.option("--year", type=int, help="the seasons of this year")
@click.option(
    "--methodology",
    help="the seasons whose newest result was made with an older version of this methodology",
)
@click.option(
    "--seasons-from",
    "seasons_file",
    type=click.File("r", encoding="utf-8"),
    help="a file of season ids (one a line, or separated by commas or spaces); - for stdin",
)
@click.option("--all", "everything", is_flag=True, help="every season of the registry")
@click.option(
    "--chunk",
    default=recompute.CHUNK,
    show_default=True,
    type=int,
    help=f"seasons a part ({recompute.CHUNK_MIN:,}-{recompute.CHUNK_MAX:,})",
)
@click.option("--org", "org_code", help="the authority's code (default: the only authority)")
@click.option("--follow/--no-follow", default=True, show_default=True, help="wait for the end")
@with_appcontext
def recompute_command(
    province: str | None,
    year: int | None,
    methodology: str | None,
    seasons_file: IO[str] | None,
    everything: bool,
    chunk: int,
    org_code: str | None,
    follow: bool,
) -> None:
    """Recompute the results of many seasons as jobs spread over the workers (`registry
    worker`); prints the job's progress until it ends. Exit status 2: nothing queued."""
    asked: dict[str, Any] = {"everything": everything, "chunk": chunk}
    for name, value in (("province", province), ("year", year), ("methodology", methodology)):
        if value is not None:
            asked[name] = value
    if seasons_file is not None:
        asked["seasons"] = _ids(seasons_file.read())
    try:
        job = recompute.start(db.session, _authority(org_code), None, **asked)
    except DomainError as exc:
        db.session.rollback()
        for name, messages in localise(exc.errors or {"_schema": [exc.title]}).items():
            click.echo(
                _("error: %(field)s: %(text)s", field=name, text=" ".join(messages)), err=True
            )
        sys.exit(2)
    db.session.commit()
    click.echo(_("Recompute queued as job %(id)d.", id=job.id))
    if follow:
        sys.exit(0 if _follow(job.id) else 1)


def _ids(text: str) -> list[Any]:
    """The ids as written; the scope's schema refuses what is not a whole number."""
    words = text.replace(",", " ").split()
    return [int(w) if w.isdigit() else w for w in words]


def _authority(code: str | None) -> Organisation:
    query = select(Organisation).where(Organisation.kind == OrgKind.AUTHORITY)
    if code is not None:
        query = query.where(Organisation.code == code)
    found = list(db.session.scalars(query.limit(2)))
    if len(found) != 1:
        raise click.ClickException(_("Name the authority with --org."))
    return found[0]


def _follow(job_id: int, every: float = 1.0) -> bool:
    """Print the job's progress whenever it moves, until it ends; True when it is done."""
    shown = None
    while True:
        db.session.rollback()
        job = db.session.get_one(Job, job_id, populate_existing=True)
        line = _line(job)
        if line != shown:
            click.echo(line)
            shown = line
        if job.status.finished:
            return job.status is JobStatus.DONE
        pause(every)


def _line(job: Job) -> str:
    if job.status is JobStatus.FAILED:
        return _("Failed: %(error)s", error=job.error or "—")
    if job.status is JobStatus.DONE:
        found = job.result or {}
        return _(
            "Done: %(seasons)s seasons recomputed, %(stored)s new results.",
            seasons=number(job.done if job.total else found.get("seasons", 0)),
            stored=number(found.get("stored", 0)),
        )
    if not job.total:
        return _("Waiting for a worker…") if job.status is JobStatus.QUEUED else _("Working…")
    return _(
        "%(done)s of %(total)s seasons done (%(message)s)",
        done=number(job.done),
        total=number(job.total),
        message=job.message,
    )


def pause(seconds: float) -> None:
    """Between two looks at the job (the tests run the jobs here instead)."""
    time.sleep(seconds)
