"""API writes benchmark: concurrent diary writes through the real HTTP API, under gunicorn,
to show what the batched log sequencer (registry/ledger/sequencer.py) does for real clients
and compare it with an older checkout whose writes appended to the log in their transaction.

    .venv/bin/python bench/api_writes_bench.py                      # 50 clients × 40 writes
    .venv/bin/python bench/api_writes_bench.py --clients 8 --writes 5   # a smoke run
    git worktree add /tmp/before 530ffdf                            # writes appending in place
    .venv/bin/python bench/api_writes_bench.py --app-dir /tmp/before --out before.json

The database named by BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/registry_bench_api) is created if missing and its
`public` schema is DROPPED and rebuilt with this checkout's Alembic migrations on every run;
this checkout also makes the bench's producer, user, API token, field and seasons. The
servers then run the code of `--app-dir` (default: this checkout), on the same schema.
Progress goes to stderr; the table to stdout and, as JSON, to
bench/results/api-writes-<date>.json. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, Any

import psycopg
import requests
from sqlalchemy.engine import make_url

from common import (
    RESULTS,
    Stats,
    checkout,
    fresh_database,
    libpq_url,
    log,
    make_app,
    sqlalchemy_url,
)
from registry.accounts import service as accounts
from registry.accounts.models import OrgKind, Role
from registry.db import db
from registry.keys import PURPOSES, keystore
from registry.ledger import note
from registry.ledger.audit import verify_store

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench_api"
PROJECT = Path(__file__).resolve().parent.parent
LOG_ORIGIN = "bench.phatthaithap.vn/log"
#: cluster/run.py's JOB_SETTINGS (no job worker runs here; the servers only defer jobs).
JOB_SETTINGS = {
    "JOBS_HEARTBEAT_SECONDS": "2",
    "JOBS_STALLED_SECONDS": "8",
    "JOBS_STALLED_CRON": "* * * * * */5",
    "LABELS_ISSUE_JOB_ABOVE_UNITS": "100",
}
STARTED_MARK = "api-writes-bench: registry imported from "
#: Written into the run's folder and given to gunicorn: each worker says, once it has loaded
#: the app, which `registry` package it imported (the checkout of --app-dir, or not).
GUNICORN_CONFIG = f"""
def post_worker_init(worker):
    import sys
    print({STARTED_MARK!r} + sys.modules["registry"].__file__, flush=True)
"""
ORG = {
    "code": "HTX-BENCH",
    "name": "HTX Đo tải Đồ Sơn",
    "kind": OrgKind.PRODUCER,
    "province": "Hải Phòng",
    "commune": "phường Đồ Sơn",
}
FIELD = {
    "code": "BENCH-01",
    "name": "Ruộng đo tải",
    "area_ha": 1.0,
    "province": "Hải Phòng",
    "commune": "phường Đồ Sơn",
    "location": {
        "type": "Polygon",
        "coordinates": [
            [
                [106.7800, 20.7100],
                [106.780959, 20.7100],
                [106.780959, 20.710899],
                [106.7800, 20.710899],
                [106.7800, 20.7100],
            ]
        ],
    },
}
#: Rice seasons a year can hold, with a sowing date each (month, day; Đông Xuân sows in the
#: year before). Seasons go back a year at a time from LAST_YEAR, so every entry is past.
SOWING = {
    "dong_xuan": (-1, 12, 1),
    "he_thu": (0, 5, 2),
    "vu_mua": (0, 7, 1),
    "thu_dong": (0, 8, 20),
}
LAST_YEAR = 2025
FIRST_YEAR = 2015  # the API's lowest season year
MAX_SEASONS = len(SOWING) * (LAST_YEAR - FIRST_YEAR + 1)
ENTRY_DAYS = 50  # an entry falls within this many days after its season's sowing
TIMEOUT = 120.0  # seconds a client waits for one answer


# ---------------------------------------------------------------- set-up (this checkout)
@dataclass(frozen=True)
class Season:
    code: str
    sowing: date


def set_up(url: str, folder: Path, seasons: int) -> tuple[str, list[Season]]:
    """Schema, keys, one producer with an admin user and a read+write API token, one field
    and `seasons` rice seasons on it, with this checkout's code. Returns the token's secret
    and the seasons."""
    app = make_app(url, folder, keys=PURPOSES, LOG_ORIGIN=LOG_ORIGIN, RATE_LIMITS=False)
    with app.app_context():
        org = accounts.create_organisation(db.session, **ORG)
        user = accounts.create_user(
            db.session,
            organisation=org,
            email="bench@htx.vn",
            name="Người đo tải",
            password="bench-not-a-password-42",
            roles=(Role.ADMIN,),
        )
        scopes = ("read", "write")
        _, secret = accounts.create_token(db.session, user=user, name="bench", scopes=scopes)
        db.session.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    made = client.post("/api/v1/fields", json=FIELD, headers=auth)
    if made.status_code != 201:
        raise SystemExit(f"set-up: field not made ({made.status_code}): {made.get_data(True)}")
    opened = []
    for n in range(seasons):
        kind = list(SOWING)[n % len(SOWING)]
        year = LAST_YEAR - n // len(SOWING)
        before, month, day = SOWING[kind]
        sowing = date(year + before, month, day)
        body = {
            "field": FIELD["code"],
            "season_type": kind,
            "year": year,
            "sowing_date": sowing.isoformat(),
        }
        made = client.post("/api/v1/seasons", json=body, headers=auth)
        if made.status_code != 201:
            raise SystemExit(f"set-up: season not made ({made.status_code}): {made.get_data(True)}")
        opened.append(Season(made.get_json()["code"], sowing))
    with app.app_context():
        db.engine.dispose()  # no connection of ours is shared with the forked clients
    return secret, opened


# ---------------------------------------------------------------- the servers (--app-dir)
@dataclass
class Server:
    name: str
    base: str
    popen: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def imported(self) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [
            line.split(STARTED_MARK, 1)[1] for line in text.splitlines() if STARTED_MARK in line
        ]


def python_of(app_dir: Path) -> Path:
    """The app dir's own virtualenv if it has one, else this checkout's (the one running)."""
    own = app_dir / ".venv" / "bin"
    return own if (own / "gunicorn").exists() else Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment(url: str, folder: Path, app_dir: Path, public: str) -> dict[str, str]:
    """What the servers configure the app from, as cluster/run.py's do. The app dir comes
    first on PYTHONPATH, so that its `registry` is the one imported even by a virtualenv in
    which this checkout is installed (editable finders come after the path)."""
    return {
        **os.environ,
        **JOB_SETTINGS,
        "DATABASE_URL": url,
        "REGISTRY_INSTANCE": str(folder),
        "REGISTRY_KEYS_DIR": str(folder / "keys"),
        "STORAGE_URL": f"file://{folder / 'files'}",
        "PUBLIC_BASE_URL": public,
        "LOG_ORIGIN": LOG_ORIGIN,
        "SECRET_KEY": "bench-not-secret",
        # Flask-Limiter limits only sign-in and the calculator; the API's writes have none,
        # which `check_not_limited` makes sure of on the answers.
        "RATELIMIT_STORAGE_URI": "memory://",
        "PYTHONPATH": os.pathsep.join([str(app_dir), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def servers(
    args: argparse.Namespace, url: str, folder: Path, secret: str
) -> Iterator[list[Server]]:
    """`--servers` gunicorns on free loopback ports, running --app-dir's code; each in its
    own process group, stopped (SIGTERM, then SIGKILL) when the block is left however."""
    config = folder / "gunicorn_bench.py"
    config.write_text(GUNICORN_CONFIG)
    ports = [free_port() for _ in range(args.servers)]
    env = server_environment(url, folder, args.app_dir, f"http://127.0.0.1:{ports[0]}")
    bin_dir = python_of(args.app_dir)
    worker = (
        ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
    )
    started: list[Server] = []
    try:
        for n, port in enumerate(ports, 1):
            command = [
                str(bin_dir / "gunicorn"),
                *("--workers", str(args.workers), *worker, "--no-control-socket"),
                *("--bind", f"127.0.0.1:{port}", "--chdir", str(args.app_dir)),
                *("--config", str(config), "wsgi:app"),
            ]
            path = folder / f"web{n}.log"
            handle = path.open("ab")
            popen = subprocess.Popen(
                command,
                env=env,
                cwd=args.app_dir,
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: one signal stops all of it
            )
            started.append(Server(f"web{n}", f"http://127.0.0.1:{port}", popen, path, handle))
        for server in started:
            wait_until_serving(server, secret, args.workers)
        yield started
    finally:
        stop(started)


def wait_until_serving(server: Server, secret: str, workers: int, seconds: float = 90) -> None:
    """Until the server answers `GET /api/v1/me` with the bench's token, and each of its
    workers has said which `registry` it imported."""
    deadline = time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {secret}"}
    while True:
        if server.popen.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.tail()}")
        with suppress(requests.RequestException):
            answer = requests.get(f"{server.base}/api/v1/me", headers=auth, timeout=5)
            if answer.status_code != 200:
                raise SystemExit(f"{server.name}: /api/v1/me answered {answer.status_code}")
            if len(server.imported()) >= workers:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.name} does not serve:\n{server.tail()}")
        time.sleep(0.3)


def stop(started: list[Server]) -> None:
    """SIGTERM to every server's group, SIGKILL to what is left 15 s later."""
    for server in started:
        with suppress(ProcessLookupError):
            os.killpg(server.popen.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for server in started:
        with suppress(subprocess.TimeoutExpired):
            server.popen.wait(max(0.0, deadline - time.monotonic()))
        with suppress(ProcessLookupError):
            os.killpg(server.popen.pid, signal.SIGKILL)  # and any worker that outlived it
        server.popen.wait()
        server.handle.close()


def imported_from(started: list[Server], app_dir: Path) -> str:
    """The `registry` package every server worker imported; it must be the app dir's."""
    files = {path for server in started for path in server.imported()}
    wanted = str((app_dir / "registry" / "__init__.py").resolve())
    wrong = sorted(f for f in files if str(Path(f).resolve()) != wanted)
    if wrong or not files:
        raise SystemExit(f"the servers imported {wrong or 'nothing'}, not {wanted}")
    return wanted


# ---------------------------------------------------------------- the clients
@dataclass
class Write:
    """One `POST /api/v1/diary` as its client saw it (times: CLOCK_MONOTONIC, ns)."""

    client: int
    n: int  # -1 .. -servers: warm-ups
    server: int
    status: int  # 0: no answer (the error says why)
    started: int
    ended: int
    log_index: int | None = None
    entry: int | None = None
    error: str | None = None
    rate_limited: bool = False  # the answer carried X-RateLimit-* headers
    retried: list[str] = field(default_factory=list)  # the connection error sent again after

    @property
    def warm_up(self) -> bool:
        return self.n < 0


@dataclass(frozen=True)
class Plan:
    bases: list[str]
    secret: str
    seasons: list[Season]
    writes: int


def entry_body(plan: Plan, client: int, n: int) -> dict[str, Any]:
    """A valid water or fertiliser entry (alternately) of the client's season."""
    season = plan.seasons[client % len(plan.seasons)]
    on = season.sowing + timedelta(days=(client + n) % ENTRY_DAYS)
    if n % 2:
        data: dict[str, Any] = {"product": "NPK 16-16-8", "kg": 20 + n % 30, "n_pct": 16}
        kind = "fertiliser"
    else:
        data = {"event": "drainage" if n % 4 else "flooding"}
        kind = "water"
    return {"season": season.code, "kind": kind, "date": on.isoformat(), "data": data}


def write_once(
    plan: Plan, sessions: list[requests.Session], client: int, n: int, server: int
) -> Write:
    """One write; sent again once, with the same key, if the connection failed (gunicorn's
    gthread worker may close a kept-alive connection as a request arrives on it,
    benoitc/gunicorn#1698): what the `Idempotency-Key` lets a client do safely. A timeout is
    not retried."""
    headers = {
        "Authorization": f"Bearer {plan.secret}",
        "Idempotency-Key": uuid.uuid4().hex,
    }
    body = entry_body(plan, client, n)
    url = f"{plan.bases[server]}/api/v1/diary"
    started = time.monotonic_ns()
    retried: list[str] = []
    while True:
        try:
            answer = sessions[server].post(url, json=body, headers=headers, timeout=TIMEOUT)
            break
        except requests.ConnectionError as exc:
            if retried:
                return failed(client, n, server, started, exc, retried)
            retried.append(f"{type(exc).__name__}: {exc}"[:300])
        except requests.RequestException as exc:
            return failed(client, n, server, started, exc, retried)
    write = Write(client, n, server, answer.status_code, started, time.monotonic_ns())
    write.retried = retried
    write.rate_limited = any(h.lower().startswith("x-ratelimit") for h in answer.headers)
    if answer.status_code == 201:
        found = answer.json()
        write.log_index, write.entry = found.get("log_index"), found.get("id")
    else:
        write.error = answer.text[:300]
    return write


def failed(
    client: int, n: int, server: int, started: int, exc: Exception, retried: list[str]
) -> Write:
    """A write that got no answer: status 0, the exception's name first in `error`."""
    error = f"{type(exc).__name__}: {exc}"[:300]
    return Write(client, n, server, 0, started, time.monotonic_ns(), error=error, retried=retried)


def client_thread(
    plan: Plan, client: int, barrier: Any, out: list[Write], broken: list[str]
) -> None:
    """One warm-up write to each server, then (all clients at once) `writes` writes, the
    servers taken in turn."""
    count = len(plan.bases)
    sessions = [requests.Session() for _ in plan.bases]
    try:
        for server in range(count):
            out.append(write_once(plan, sessions, client, -1 - server, server))
        try:
            barrier.wait(TIMEOUT)
        except threading.BrokenBarrierError:
            broken.append(f"client {client}: the start barrier broke")
            return
        for n in range(plan.writes):
            out.append(write_once(plan, sessions, client, n, (client + n) % count))
    finally:
        for session in sessions:
            session.close()


def client_process(plan: Plan, clients: list[int], barrier: Any, results: Any) -> None:
    """The threads of one client process; their writes go back through `results`."""
    # Ctrl-C is the parent's to handle (it stops the servers and terminates us); SIGTERM
    # is not its handler's, so that terminate() ends us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    out: list[Write] = []
    broken: list[str] = []
    threads = [
        threading.Thread(target=client_thread, args=(plan, c, barrier, out, broken), daemon=True)
        for c in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(([asdict(w) for w in out], broken))


def run_clients(
    args: argparse.Namespace, plan: Plan, meter: CpuMeter
) -> tuple[list[Write], list[str]]:
    """`--clients` writers over `--client-procs` forked processes, threads inside; `meter`
    is read when they all have warmed up (this process waits at their barrier too) and once
    they are done."""
    context = mp.get_context("fork")
    barrier = context.Barrier(args.clients + 1)
    results = context.Queue()
    procs = [
        context.Process(
            target=client_process,
            args=(plan, list(range(p, args.clients, args.client_procs)), barrier, results),
            name=f"clients{p}",
        )
        for p in range(args.client_procs)
    ]
    writes: list[Write] = []
    broken: list[str] = []
    try:
        for proc in procs:
            proc.start()
        try:
            barrier.wait(TIMEOUT * 2)
        except threading.BrokenBarrierError:
            broken.append("the clients did not all warm up and start")
        meter.start()
        timeout = TIMEOUT * (args.writes + len(plan.bases) + 2)
        for _ in procs:
            try:
                found, lost = results.get(timeout=timeout)
            except queue.Empty:
                broken.append("a client process sent no results")
                break
            writes += [Write(**w) for w in found]
            broken += lost
        meter.stop()
    finally:
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    return writes, broken


class CpuMeter:
    """CPU time (user + system, from /proc) the servers' processes and the database's
    backends use between `start` and `stop`. Backends are those of the bench database
    alive at `stop`, read only when PostgreSQL runs on this machine (else None)."""

    def __init__(self, url: str, server_pids: list[int]) -> None:
        self.url, self.groups = url, set(server_pids)
        host = make_url(sqlalchemy_url(url)).host or "localhost"
        self.local = host in ("127.0.0.1", "localhost", "::1") or host.startswith("/")
        self.before: dict[str, dict[int, float]] = {}
        self.used: dict[str, float | None] = {}

    def sample(self) -> dict[str, dict[int, float]]:
        found = {"servers": cpu_by_pid(group_members(self.groups))}
        if self.local:
            with psycopg.connect(libpq_url(self.url)) as conn:
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            found["backends"] = cpu_by_pid(int(row[0]) for row in pids)
        return found

    def start(self) -> None:
        self.before = self.sample()

    def stop(self) -> None:
        after = self.sample()
        self.used = {"servers": None, "backends": None}
        for name, now in after.items():
            then = self.before.get(name, {})
            self.used[name] = sum(cpu - then.get(pid, 0.0) for pid, cpu in now.items())


TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (the state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """CPU seconds each process has used so far; one that is gone is left out."""
    found = {}
    for pid in pids:
        with suppress(OSError, IndexError, ValueError):
            fields = _stat(pid)
            found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


def group_members(pgids: set[int]) -> list[int]:
    """The processes of these process groups (a gunicorn master and its workers)."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                if int(_stat(entry.name)[2]) in pgids:
                    members.append(int(entry.name))
    return members


# ---------------------------------------------------------------- checks (the database)
def check(url: str, folder: Path, writes: list[Write]) -> tuple[list[str], dict[str, Any]]:
    """What must hold after the run; returns the problems found and what was checked."""
    problems: list[str] = []
    done = [w for w in writes if w.status == 201]
    indices = Counter(w.log_index for w in done)
    twice = sorted(i if i is not None else -1 for i, n in indices.items() if n > 1 or i is None)
    if twice:
        problems.append(f"indices answered to more than one write (or none): {twice[:10]}")
    with psycopg.connect(libpq_url(url)) as conn:
        stored = {
            index: (kind, json.loads(bytes(entry)))
            for index, kind, entry in conn.execute(
                "SELECT index, type, entry FROM log_entries WHERE index = ANY(%s)",
                ([w.log_index for w in done],),
            )
        }
        rows: dict[int | None, int | None] = dict(
            conn.execute(
                "SELECT id, log_index FROM diary_entries WHERE id = ANY(%s)",
                ([w.entry for w in done],),
            ).fetchall()
        )
        size_row = conn.execute("SELECT size FROM log_head").fetchone()
        count, highest = conn.execute(
            "SELECT count(*), max(index) FROM log_entries"
        ).fetchone() or (
            0,
            None,
        )
        pooled = conn.execute(
            "SELECT count(*) FROM log_pending WHERE type = 'season.diary'"
        ).fetchone()
        waiting = conn.execute(
            "SELECT count(*) FROM log_pending WHERE log_index IS NULL"
        ).fetchone()
    for w in done:
        kind, entry = stored.get(w.log_index, (None, {}))
        if kind != "season.diary" or entry.get("data", {}).get("entry") != w.entry:
            problems.append(
                f"index {w.log_index} holds {kind} {entry.get('data')}, not entry {w.entry}"
            )
        if rows.get(w.entry) != w.log_index:
            problems.append(
                f"diary entry {w.entry} has index {rows.get(w.entry)}, not {w.log_index}"
            )
    size = int(size_row[0]) if size_row else 0
    if count != size or (size and highest != size - 1):
        problems.append(f"log not gapless: head size {size}, {count} entries, last {highest}")
    if waiting and waiting[0]:
        problems.append(f"{waiting[0]} entries left unnumbered in the pool")
    audit = audit_log(url, folder)
    if not audit["ok"]:
        problems += [f"registry log verify: {p}" for p in audit["problems"][:10]]
    return problems, {
        "answered_201": len(done),
        "distinct_indices": len(indices),
        "log_size": size,
        "log_entries": count,
        "pool_unnumbered": waiting[0] if waiting else None,
        # how the servers logged the diary: through the pool (batched) or appended in place
        "diary_entries_through_pool": pooled[0] if pooled else None,
        "verify": audit,
    }


def audit_log(url: str, folder: Path) -> dict[str, Any]:
    """`registry log verify` (`audit.verify_store`) with this checkout's code: the tree
    re-derived from every entry, against the stored hashes and every signed checkpoint."""
    app = make_app(url, folder, LOG_ORIGIN=LOG_ORIGIN)
    with app.app_context():
        origin = app.config["LOG_ORIGIN"]
        vkeys = [note.vkey(origin, k.public_key) for k in keystore().published("log")]
        report = verify_store(db.session, origin, vkeys)
        db.session.rollback()
        db.engine.dispose()
    return {
        "ok": report.ok,
        "entries": report.entries,
        "nodes": report.nodes,
        "checkpoints": report.checkpoints,
        "problems": list(report.problems),
    }


# ---------------------------------------------------------------- the run
@dataclass
class Outcome:
    writes: list[Write] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    imported: str = ""
    cpu: dict[str, float | None] = field(default_factory=dict)  # seconds, timed writes


def check_not_limited(writes: list[Write]) -> None:
    if any(w.rate_limited for w in writes):
        raise SystemExit("the servers rate-limit POST /api/v1/diary: the bench would be throttled")


def run(args: argparse.Namespace, url: str, folder: Path) -> Outcome:
    log("schema, producer, token, field and seasons (this checkout)")
    secret, seasons = set_up(url, folder, args.seasons)
    outcome = Outcome()
    log(f"starting {args.servers} servers from {args.app_dir}")
    with servers(args, url, folder, secret) as started:
        outcome.imported = imported_from(started, args.app_dir)
        plan = Plan([s.base for s in started], secret, seasons, args.writes)
        log(f"{args.clients} clients × {args.writes} writes (+{len(started)} warm-up each)")
        outcome.load_before = os.getloadavg()
        meter = CpuMeter(url, [s.popen.pid for s in started])
        outcome.writes, outcome.broken = run_clients(args, plan, meter)
        outcome.cpu = meter.used
        outcome.load_after = os.getloadavg()
        check_not_limited(outcome.writes)
        for server in started:  # a signed checkpoint of each, for the audit to check too
            requests.get(f"{server.base}/log/checkpoint", timeout=TIMEOUT).raise_for_status()
    return outcome


def summarise(outcome: Outcome) -> dict[str, Any]:
    timed = [w for w in outcome.writes if not w.warm_up]
    ok = [w for w in timed if w.status == 201]
    errors = Counter(
        str(w.status) if w.status else f"0 {(w.error or '').split(':')[0]}"
        for w in timed
        if w.status != 201
    )
    summary: dict[str, Any] = {
        "writes": len(timed),
        "ok": len(ok),
        "errors_by_status": dict(sorted(errors.items())),
        "warm_up_writes": len(outcome.writes) - len(timed),
        "warm_up_errors": sum(1 for w in outcome.writes if w.warm_up and w.status != 201),
        # sent again with the same key after a connection error (see `write_once`)
        "retried": sum(1 for w in timed if w.retried),
        "retried_then_201": sum(1 for w in timed if w.retried and w.status == 201),
    }
    if timed:
        seconds = (max(w.ended for w in timed) - min(w.started for w in timed)) / 1e9
        summary["seconds"] = round(seconds, 3)
        summary["writes_per_second"] = round(len(ok) / seconds, 1) if seconds else None
    if ok:
        summary["latency"] = Stats.of([w.ended - w.started for w in ok]).as_dict()
    if timed and outcome.cpu:
        summary["cpu_ms_per_write"] = {
            name: None if used is None else round(used * 1000 / len(timed), 2)
            for name, used in outcome.cpu.items()
        }
    wrong = [w for w in timed if w.status != 201]
    if wrong:
        summary["first_errors"] = [asdict(w) for w in wrong[:5]]
    return summary


def table(
    args: argparse.Namespace, outcome: Outcome, summary: dict[str, Any], extra: dict[str, Any]
) -> str:
    lb, la = outcome.load_before, outcome.load_after
    latency = summary.get("latency")
    threads = f"{args.threads} threads (gthread)" if args.threads > 1 else "sync"
    errors = ", ".join(f"{k}: {v}" for k, v in summary["errors_by_status"].items()) or "none"
    checked = extra["checks"]
    verify = checked["verify"]
    lines = [
        f"API writes bench {time.strftime('%Y-%m-%d %H:%M')} · {platform.node()} · "
        f"{os.cpu_count()} CPUs · PostgreSQL {extra['postgresql']} · "
        f"Python {platform.python_version()}",
        f"app dir       {args.app_dir} at {extra['app_commit']} (registry from {outcome.imported})",
        f"servers       {args.servers} gunicorn × {args.workers} workers, {threads}",
        f"clients       {args.clients} in {args.client_procs} processes, {args.writes} writes each "
        f"(+{args.servers} warm-up), {args.seasons} seasons",
        f"writes        {summary['ok']} answered 201 of {summary['writes']}; errors: {errors}; "
        f"sent again after a connection error: {summary['retried']} "
        f"({summary['retried_then_201']} then 201)",
    ]
    if "writes_per_second" in summary:
        lines.append(
            f"writes/s      {summary['writes_per_second']} "
            f"(first start to last answer: {summary['seconds']:.2f} s)"
        )
    if latency:
        lines.append(
            f"latency ms    p50 {latency['p50_ms']:.1f} · p95 {latency['p95_ms']:.1f} · "
            f"max {latency['max_ms']:.1f} · mean {latency['mean_ms']:.1f}"
        )
    cpu = summary.get("cpu_ms_per_write")
    if cpu:
        servers_ms, backends_ms = cpu.get("servers"), cpu.get("backends")
        line = f"CPU a write   servers {servers_ms:.1f} ms"
        if backends_ms is not None:
            line += f" · PostgreSQL backends {backends_ms:.1f} ms"
        spent = (servers_ms or 0) + (backends_ms or 0)
        if spent:
            cpus = os.cpu_count() or 1
            line += f" (at most {cpus * 1000 / spent:.0f} writes/s on {cpus} CPUs)"
        lines.append(line)
    lines += [
        f"load average  before {lb[0]:.2f} {lb[1]:.2f} {lb[2]:.2f} · "
        f"after {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}",
        f"log           {checked['log_size']} entries, {checked['distinct_indices']} distinct "
        f"indices answered (warm-ups too); registry log verify: {verify['entries']} entries, "
        f"{verify['checkpoints']} checkpoints, {'ok' if verify['ok'] else 'FAILED'}",
        f"sequencing    {checked['diary_entries_through_pool']} of {checked['answered_201']} "
        "diary entries went through the sequencer's pool (0: appended in their transaction)",
    ]
    lines += [f"PROBLEM       {p}" for p in extra["problems"]] or [
        "checks        every 201's index distinct and holding its season.diary entry, "
        "log gapless, pool empty: PASS"
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--app-dir",
        type=Path,
        default=PROJECT,
        help="checkout whose code the servers run (default: this one)",
    )
    parser.add_argument("--servers", type=int, default=2, help="gunicorn servers")
    parser.add_argument("--workers", type=int, default=2, help="workers of each server")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads of each worker (>1: gthread; 1: sync)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent writers")
    parser.add_argument("--client-procs", type=int, default=2, help="processes they run in")
    parser.add_argument("--writes", type=int, default=40, help="timed writes of each client")
    parser.add_argument(
        "--seasons", type=int, default=20, help=f"seasons written to (1..{MAX_SEASONS})"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/)")
    args = parser.parse_args(argv)
    args.app_dir = args.app_dir.resolve()
    if not (args.app_dir / "wsgi.py").exists() or not (args.app_dir / "registry").is_dir():
        parser.error(f"--app-dir {args.app_dir} is not a checkout of the registry (no wsgi.py)")
    if not 1 <= args.seasons <= MAX_SEASONS:
        parser.error(f"--seasons must be between 1 and {MAX_SEASONS}")
    for name in ("servers", "workers", "threads", "clients", "client_procs", "writes"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    args.client_procs = min(args.client_procs, args.clients)
    return args


def interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the run as Ctrl-C does: servers and folder go


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return bench(args)
    except KeyboardInterrupt:
        log("interrupted: servers stopped, temporary folder removed")
        return 130


def bench(args: argparse.Namespace) -> int:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    pg_version = fresh_database(url)
    shown = make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    log(f"database {shown} (PostgreSQL {pg_version}) rebuilt")
    folder = Path(tempfile.mkdtemp(prefix="api-writes-bench-"))
    try:
        outcome = run(args, url, folder)
        log("checking every answer against the log, and the log")
        problems, checked = check(url, folder, outcome.writes)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    problems = outcome.broken + problems
    summary = summarise(outcome)
    extra = {
        "postgresql": pg_version,
        "app_commit": checkout(args.app_dir),
        "checks": checked,
        "problems": problems,
    }
    print(table(args, outcome, summary, extra))
    out = args.out or RESULTS / f"api-writes-{time.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "api-writes",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"node": platform.node(), "cpus": os.cpu_count()},
        "load_average": {"before": outcome.load_before, "after": outcome.load_after},
        "database": shown,
        "postgresql": pg_version,
        "python": platform.python_version(),
        "app_dir": str(args.app_dir),
        "app_commit": extra["app_commit"],
        "registry_imported_from": outcome.imported,
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "summary": summary,
        "checks": checked,
        "problems": problems,
        "writes": [asdict(w) for w in outcome.writes],
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
