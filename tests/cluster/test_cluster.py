"""The cluster run (cluster/run.py) at a small size, on PostgreSQL and Redis: two gunicorn
servers and two job workers, two chains driven through both servers, a worker killed with
SIGKILL in the middle of an import. It passes only if every acknowledged write reads back
once (cluster/checks.py, whose checks tests/cluster/test_checks.py proves on tampered
read-backs), `registry log verify` and the shared checks pass, and no process is left."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest

from cluster import run

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL): job workers run as separate processes "
    "only on PostgreSQL (on SQLite the one worker is embedded in the web server)",
)


def cluster_database() -> str:
    """A database of its own beside the suite's, on the same server (dropped after)."""
    parts = urlsplit(os.environ["TEST_DATABASE_URL"])
    name = f"{parts.path.lstrip('/') or 'registry'}_cluster"
    return urlunsplit(parts._replace(scheme="postgresql", path=f"/{name}"))


def free_ports() -> list[int]:
    sockets = [socket.socket() for _ in range(2)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_a_small_cluster_loses_nothing_when_a_worker_is_killed_mid_import(
    capsys: pytest.CaptureFixture[str],
) -> None:
    redis = os.environ.get("CLUSTER_REDIS_URL", run.Settings().redis_url)
    parts = urlsplit(redis)
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((parts.hostname or "127.0.0.1", parts.port or 6379)):
            pytest.skip(f"nothing answers at {redis} (Redis)")
    status = run.main(
        ["--database-url", cluster_database(), "--redis-url", redis,
         "--ports", *map(str, free_ports()), "--chains", "2", "--threads", "2",
         "--units", "120", "--import-rows", "40", "--big-import", "800", "--grace", "45"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    assert "PASS: nothing lost, nothing done twice" in out
    assert "killed worker" in out and "0 chains failed" in out, out
