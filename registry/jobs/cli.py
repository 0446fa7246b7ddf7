"""`registry worker`, and `registry run` with the embedded worker on SQLite."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
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
    reloader's watching parent, only in the process that serves.

    It stops on SIGINT (Ctrl-C) and on SIGTERM alike (`_stop_on_signals`): the server
    closes, the worker stops, and the exit status is the shell's for that signal (130,
    143)."""
    app = ctx.ensure_object(ScriptInfo).load_app()
    reload = options.get("reload")
    watching = (reload or (reload is None and app.debug)) and not is_running_from_reloader()
    embed = (
        queue.runtime(app).embedded and not watching and not os.environ.get("REGISTRY_NO_WORKER")
    )
    received = _stop_on_signals()
    try:
        if embed:
            queue.start_embedded(app)
            click.echo(" * Background jobs: the embedded worker runs in this process")
        ctx.invoke(flask_run, **options)
    except KeyboardInterrupt:  # a signal before the server ran (after, Werkzeug takes it)
        if not received:
            raise
    finally:
        worker = queue.runtime(app).worker
        if worker is not None:
            _stop(worker, 128 + received[0] if received else 1)
    if received:
        ctx.exit(128 + received[0])


STOP_GRACE_SECONDS = 5  # for the jobs the embedded worker is running to end


def _stop_on_signals() -> list[int]:
    """Make SIGINT and SIGTERM stop the server as Ctrl-C does (a KeyboardInterrupt, which
    Werkzeug's server loop takes as its cue to close); returns the list the signal received
    is added to. SIGINT is taken over even where it was ignored: a shell that is not
    interactive starts its background jobs (`make demo &`) with SIGINT ignored, which
    Python leaves so, and `kill -INT` would then do nothing. A second signal while
    stopping ends the process at once."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        return received  # signals are the main thread's (a test running the command)

    def at_once(signum: int, frame: FrameType | None) -> None:
        os._exit(128 + signum)

    def stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        for name in (signal.SIGINT, signal.SIGTERM):
            signal.signal(name, at_once)
        raise KeyboardInterrupt

    for name in (signal.SIGINT, signal.SIGTERM):
        signal.signal(name, stop)
    return received


def _stop(worker: queue.EmbeddedWorker, status: int) -> None:
    """Stop the embedded worker. A job still running after STOP_GRACE_SECONDS is left (it
    runs again at the next start, as after a crash: jobs are idempotent), and the process
    ends at once with `status`: else the interpreter would wait for the job's thread."""
    if worker.stop(timeout=STOP_GRACE_SECONDS):
        click.echo(" * Background jobs: the embedded worker stopped")
        return
    click.echo(
        " * Background jobs: a job still running is left; it runs again at the next start",
        err=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
