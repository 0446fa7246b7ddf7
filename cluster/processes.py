"""The processes of a cluster run: each started in its own process group (a gunicorn master
and its workers, a job worker and whatever it forks), so that one signal reaches all of a
server and nothing of it is left behind. `Processes` is a context manager: leaving it, on
success, failure or Ctrl-C, stops every group still running (SIGTERM, then SIGKILL), and
`left_behind` says whether any process of them survived."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

GRACE = 10.0  # seconds between SIGTERM and SIGKILL when stopping


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    killed_at: float | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Processes:
    """Start, signal and stop the run's processes, in `cwd`; the log of each goes to `folder`."""

    def __init__(self, folder: Path, cwd: Path) -> None:
        self.folder, self.cwd = folder, cwd
        self.started: list[Process] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(self, name: str, argv: list[str], env: Mapping[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=self.cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: signals reach all of it
        )
        process = Process(name, popen, log, _log_file=handle)
        self.started.append(process)
        return process

    def kill(self, process: Process) -> None:
        """SIGKILL the whole group at once, as a machine that loses power: no clean-up."""
        _signal_group(process.pid, signal.SIGKILL)
        process.killed_at = time.monotonic()
        process.popen.wait()

    def pause(self, process: Process) -> None:
        _signal_group(process.pid, signal.SIGSTOP)

    def resume(self, process: Process) -> None:
        _signal_group(process.pid, signal.SIGCONT)

    def stop_all(self) -> None:
        """SIGTERM (and SIGCONT, in case one is paused) to every group at once, SIGKILL to
        what is still there GRACE seconds later."""
        for process in self.started:
            if process.running():
                _signal_group(process.pid, signal.SIGTERM)
                _signal_group(process.pid, signal.SIGCONT)
        deadline = time.monotonic() + GRACE
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(max(0.0, deadline - time.monotonic()))
            _signal_group(process.pid, signal.SIGKILL)  # and any child that outlived it
            process.popen.wait()
            if process._log_file:
                process._log_file.close()

    def left_behind(self) -> list[str]:
        """Names of the started groups that still have a process."""
        return [p.name for p in self.started if _group_alive(p.pid)]


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_until_serving(process: Process, url: str, seconds: float = 60.0) -> None:
    """Poll `url` until it answers (any HTTP status), or fail with the process's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{process.name} does not answer at {url}:\n{process.tail()}")
