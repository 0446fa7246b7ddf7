"""`registry worker`, and `registry run` with the embedded worker on SQLite."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from flask.cli import run_command as flask_run
from werkzeug.serving import is_running_from_reloader

from registry.jobs import queue

EMBEDDED_NOTE = (
    "The database is SQLite: background jobs run on a worker inside `registry run` "
    "(the embedded default), and no separate worker is needed or possible. Set DATABASE_URL "
    "to PostgreSQL to run workers as separate processes."
)


@click.command("worker")
@click.option(
    "--concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Jobs run at once by this worker (each on its own thread).",
)
@click.option(
    "--queues",
    default="",
    help="Comma-separated queues to take jobs from (default: all, periodic included).",
)
@with_appcontext
def worker_command(concurrency: int, queues: str) -> None:
    """Run a background-job worker until SIGINT or SIGTERM. It needs only DATABASE_URL and
    STORAGE_URL (and the keys a job signs with), so it can run on any machine."""
    if queue.runtime().embedded:
        click.echo(EMBEDDED_NOTE, err=True)
        sys.exit(1)
    names = [name.strip() for name in queues.split(",") if name.strip()]
    click.echo(f"worker: concurrency {concurrency}, queues {', '.join(names) or 'all'}")
    queue.run_worker(current_app._get_current_object(), concurrency, names)  # type: ignore[attr-defined]


@click.command(
    "run",
    params=flask_run.params,
    help=f"{flask_run.help}\n\nOn SQLite it also starts the embedded background-job worker.",
    short_help=flask_run.short_help,
)
@click.pass_context
def run_command(ctx: click.Context, **options: Any) -> None:
    """Flask's `run`, plus the embedded worker where the database is SQLite: not in the
    reloader's watching parent, only in the process that serves."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    reload = options.get("reload")
    watching = (reload or (reload is None and app.debug)) and not is_running_from_reloader()
    if queue.runtime(app).embedded and not watching and not os.environ.get("REGISTRY_NO_WORKER"):
        queue.start_embedded(app)
        click.echo(" * Background jobs: the embedded worker runs in this process")
    ctx.invoke(flask_run, **options)
