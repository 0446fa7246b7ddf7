"""`registry worker` and `registry run` with the embedded worker."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from registry.jobs import queue
from registry.jobs.cli import run_command


def test_on_sqlite_the_worker_command_points_to_the_embedded_worker(
    app: Flask, runner: FlaskCliRunner
) -> None:
    if not queue.runtime(app).embedded:
        pytest.skip("on PostgreSQL `registry worker` runs (tests/jobs/test_worker_kill.py)")
    result = runner.invoke(args=["worker", "--concurrency", "2"])
    assert result.exit_code == 1
    assert "inside `registry run`" in result.output


def test_the_run_command_is_flasks_with_the_embedded_worker() -> None:
    from flask.cli import run_command as flask_run

    assert [p.name for p in run_command.params] == [p.name for p in flask_run.params]
    assert "embedded background-job worker" in (run_command.help or "")


def test_the_registry_command_runs_the_embedded_worker_with_run() -> None:
    from registry.commands import cli_group

    assert cli_group().get_command(None, "run") is run_command  # type: ignore[arg-type]
