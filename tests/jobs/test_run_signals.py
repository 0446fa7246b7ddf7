"""`registry run` (the development server and its embedded worker, as `make demo` runs it)
stops cleanly on SIGINT and SIGTERM, also when it was started the way a script's shell
starts a background job (`make demo &`): with SIGINT ignored, which `kill -INT` or Ctrl-C
sent to the script's process group would otherwise not stop. A real process on a free
port, on SQLite in a temporary instance folder, whatever database the other tests use."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from registry.jobs import queue
from tests.conftest import clear_queue

REGISTRY = Path(sys.executable).with_name("registry")
STARTED_WITHIN = 60  # seconds: the app loads, then the worker and the server start
STOPPED_WITHIN = 10


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a registry on SQLite in a new instance folder, migrated, with
    its keys (the periodic jobs the worker runs sign with them)."""
    folder = tmp_path_factory.mktemp("run-instance")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "STORAGE_URL", "REGISTRY_KEYS_DIR", "FLASK_DEBUG"}
    }
    env["REGISTRY_INSTANCE"] = str(folder)
    for command in (["migrate"], ["keys", "generate"]):  # as `make demo` starts
        done = subprocess.run(
            [str(REGISTRY), *command], env=env, capture_output=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def ignore_sigint() -> None:
    """What a shell that is not interactive does to the jobs it starts with `&`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture
def serve(instance: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`registry run` started with SIGINT ignored, once it answers HTTP; killed if a test
    left it running."""
    port = free_port()
    process = subprocess.Popen(
        [str(REGISTRY), "run", "--host", "127.0.0.1", "--port", str(port)],
        env=instance,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=ignore_sigint,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + STARTED_WITHIN
        while not answers(url):
            assert process.poll() is None, process.communicate()[0].decode()
            assert time.monotonic() < deadline, "registry run did not answer"
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    ("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_registry_run_stops_on_a_signal_even_with_sigint_ignored(
    serve: tuple[subprocess.Popen[bytes], str], sent: signal.Signals, status: int
) -> None:
    process, url = serve
    started = time.monotonic()
    process.send_signal(sent)
    try:
        output, _ = process.communicate(timeout=STOPPED_WITHIN)
    except subprocess.TimeoutExpired:
        pytest.fail(f"registry run still runs {STOPPED_WITHIN} s after {sent.name}")
    assert time.monotonic() - started < STOPPED_WITHIN
    text = output.decode()
    assert process.returncode == status, text
    assert "Traceback" not in text and "Aborted" not in text, text
    assert "embedded worker runs in this process" in text
    assert "embedded worker stopped" in text, text
    assert not answers(url)


def test_stopping_the_embedded_worker_says_whether_a_job_still_runs(app: Flask) -> None:
    """What `registry run` decides on when it stops: a job still running after the grace
    time keeps the worker's thread alive (the command then leaves it, and the job runs
    again at the next start); once the job ended, the worker is done."""
    found = queue.runtime(app)
    if not found.embedded:
        pytest.skip("the embedded worker runs on SQLite only")
    running, release = threading.Event(), threading.Event()

    def slow() -> None:
        running.set()
        release.wait(timeout=30)

    task = found.queue.task(name="tests.slow", queue="tests")(slow)
    worker = queue.start_embedded(app)
    try:
        task.defer()
        assert running.wait(timeout=30)
        assert worker.stop(timeout=0.5) is False
        release.set()
        assert worker.stop(timeout=30) is True
    finally:
        release.set()
        worker.stop()
        found.worker = None
        found.queue.tasks.pop("tests.slow", None)
        clear_queue(app)
