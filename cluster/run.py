"""A small cluster on this machine, driven and checked: two web servers and two job workers
on one PostgreSQL database, Redis for the rate limits and one storage folder, as two
machines of a deployment would share them.

    .venv/bin/python -m cluster.run            # or: make cluster
    .venv/bin/python -m cluster.run --chains 2 --threads 2 --big-import 1500   # smaller

1. a fresh database (dropped and created again), migrated, with keys and the demo data;
2. two gunicorn servers (2 workers each) and two `registry worker` processes;
3. client threads walk the whole chain through both servers in turn (cluster/drive.py);
4. halfway, a large import is sent and, while a worker is importing it, that worker is
   killed with SIGKILL; nothing is started in its place for `--grace` seconds, in which the
   other worker must take the job over and finish it (else a restarted worker is given the
   chance, and the report says so);
5. every acknowledged write is read back through both servers and the database (nothing
   lost, nothing done twice: cluster/checks.py), `registry log verify` must pass, and the
   shared checks (../shared/checks/all.py) against each server;
6. every process is stopped, on success, failure or Ctrl-C, and none may be left behind.

Exit status 0 when everything holds; the report lists counts, timings and problems."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from cluster import drive, spreadsheet
from cluster.chain import Actors, Plan
from cluster.client import Answer, Client, Journal, Refused, Servers, Write, expect, follow, job_url
from cluster.processes import Process, Processes, wait_until_serving

PROJECT = Path(__file__).resolve().parent.parent
SHARED_CHECKS = PROJECT.parent / "shared" / "checks" / "all.py"
BIN = Path(sys.executable).parent
#: Job settings for the run: workers beat every 2 s, one silent for 8 s is taken as dead, and
#: the check for such workers runs every 5 s (six-field cron: seconds last).
JOB_SETTINGS = {
    "JOBS_HEARTBEAT_SECONDS": "2",
    "JOBS_STALLED_SECONDS": "8",
    "JOBS_STALLED_CRON": "* * * * * */5",
    # A label with more unit labels than this is issued by a job (default 5,000): the
    # chain's labels are, so that issuance on the workers is checked too.
    "LABELS_ISSUE_JOB_ABOVE_UNITS": "100",
}
GUNICORN = ["--workers", "2", "--no-control-socket"]  # else one control socket for both
PAUSE_SECONDS = 5.0  # a worker is paused at most this long (under JOBS_STALLED_SECONDS)
MID_JOB_SECONDS = 15.0  # the kill waits at most this long for the job to report progress


@dataclass(frozen=True)
class Settings:
    database_url: str = "postgresql://postgres@127.0.0.1:5432/registry_cluster"
    redis_url: str = "redis://127.0.0.1:6379/7"
    ports: tuple[int, int] = (5201, 5202)
    chains: int = 8
    threads: int = 4
    units: int = 200
    import_rows: int = 60
    big_import: int = 3000  # rows of the import a worker is killed in (0: kill none)
    grace: float = 60.0  # seconds the surviving worker has to finish the killed one's job
    keep: bool = False  # keep the folder (logs, instance) and the database


@dataclass
class Report:
    """What the run measured and found; printed at the end."""

    timings: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        begin = time.monotonic()
        try:
            yield
        finally:
            self.timings[name] = time.monotonic() - begin

    def print(self) -> None:
        print("== cluster run")
        for line in self.lines:
            print(f"  {line}")
        print("  timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        for problem in self.problems:
            print(f"  PROBLEM {problem}")
        print("  PASS: nothing lost, nothing done twice" if not self.problems else "  FAIL")


# ---------------------------------------------------------------- set-up
def fresh_database(url: str) -> None:
    """Drop and create the run's database (through the server's `postgres` database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        name = sql.Identifier(parts.path.lstrip("/"))
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def preflight(settings: Settings) -> list[str]:
    """What is missing before anything starts: the database server, Redis, free ports."""
    found = []
    try:
        fresh_database(settings.database_url)
    except psycopg.Error as exc:
        found.append(f"PostgreSQL at {settings.database_url}: {exc}")
    redis = urlsplit(settings.redis_url)
    if not _answers(redis.hostname or "127.0.0.1", redis.port or 6379):
        found.append(f"nothing answers at {settings.redis_url} (Redis)")
    found += [f"port {port} is taken" for port in settings.ports if _answers("127.0.0.1", port)]
    return found


def _answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def environment(settings: Settings, folder: Path) -> dict[str, str]:
    """What every process of the run shares, as machines of one deployment would."""
    return {
        **os.environ,
        **JOB_SETTINGS,
        "DATABASE_URL": settings.database_url,
        "REGISTRY_INSTANCE": str(folder / "instance"),
        "STORAGE_URL": f"file://{folder / 'files'}",
        "RATELIMIT_STORAGE_URI": settings.redis_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{settings.ports[0]}",
        "PYTHONUNBUFFERED": "1",
    }


def registry(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "registry"), *args], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"registry {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def start_servers(processes: Processes, settings: Settings, env: dict[str, str]) -> list[Process]:
    """Both gunicorn servers at once (wait for them with `wait_until_serving`)."""
    return [
        processes.start(
            f"web{n}",
            [str(BIN / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            env,
        )
        for n, port in enumerate(settings.ports, 1)
    ]


def start_worker(processes: Processes, name: str, env: dict[str, str]) -> Process:
    return processes.start(name, [str(BIN / "registry"), "worker"], env)


# ---------------------------------------------------------------- the killed worker
@dataclass
class Kill:
    """The large import a worker was killed in, and how the work was finished."""

    rows: int = 0
    job: str = ""
    victim: str = ""
    done_at_kill: int = 0
    recovered_by: str = ""
    seconds_to_finish: float = 0.0

    def summary(self) -> str:
        if not self.rows:
            return "no worker killed (--big-import 0)"
        return (
            f"killed {self.victim} (SIGKILL) at row {self.done_at_kill} of a {self.rows}-row "
            f"import; finished by {self.recovered_by} {self.seconds_to_finish:.1f} s later"
        )


def kill_in_a_job(
    processes: Processes,
    workers: list[Process],
    client: Client,
    journal: Journal,
    settings: Settings,
    env: dict[str, str],
) -> Kill:
    """Send the large import, make sure which worker holds its job (`_holder`), SIGKILL that
    worker while it imports, then give the survivor `grace` seconds alone to finish. The
    job must then have been run twice: else the kill missed it."""
    kill = Kill(rows=settings.big_import)
    if not kill.rows:
        return kill
    prefix = "BIG-I"
    data, counts = spreadsheet.workbook(prefix, settings.big_import)
    holder, survivor, sent = _holder(processes, workers, client, prefix, data)
    kill.job = job_url(sent)
    kill.victim, kill.done_at_kill = holder.name, _until_importing(client, kill.job)
    processes.kill(holder)
    killed = time.monotonic()
    try:
        report = follow(client, sent, settings.grace)
        kill.recovered_by = f"{survivor.name}, alone"
    except Refused:
        workers.append(start_worker(processes, f"{holder.name}-restarted", env))
        report = follow(client, sent, settings.grace)
        kill.recovered_by = f"{holder.name} restarted after {settings.grace:.0f} s"
    kill.seconds_to_finish = time.monotonic() - killed
    spreadsheet.check(report, counts, sent)
    journal.add(Write("import", prefix, "BIG", {"counts": counts}, server=sent.server))
    tries = expect("read the job", client.get(kill.job), 200)["attempts"]
    if tries < 2:
        raise Refused(f"the killed job was run {tries} time(s): the kill missed it", sent)
    return kill


def _holder(
    processes: Processes, workers: list[Process], client: Client, prefix: str, data: bytes
) -> tuple[Process, Process, Answer]:
    """Send the import with one worker paused, so that the other one takes it; if that one
    is busy, swap (pausing the awake one before waking the other: never both awake) until
    the job runs. Each pause is shorter than the time after which a worker is taken for
    dead. Returns (the worker running the job, the other one, the 202 answer)."""
    awake, paused = workers
    processes.pause(paused)
    try:
        sent = spreadsheet.send(client, prefix, data)
        if sent.status != 202:
            raise Refused("the import was not answered as a job (202)", sent)
        for _ in range(20):
            if _taken(client, sent, PAUSE_SECONDS):
                return awake, paused, sent
            processes.pause(awake)
            if _taken(client, sent, 0):
                return awake, paused, sent  # it took the job just before it was paused
            processes.resume(paused)
            awake, paused = paused, awake
        raise RuntimeError(f"no worker took the job {job_url(sent)}")
    finally:
        for worker in workers:
            processes.resume(worker)


def _taken(client: Client, sent: Answer, seconds: float) -> bool:
    """Whether the job runs, waiting up to `seconds` (0: at once) for it to start."""
    deadline = time.monotonic() + seconds
    while True:
        found = expect("follow the job", client.get(job_url(sent)), 200)
        if found["status"] in ("done", "failed"):
            raise Refused("the job ended before its worker could be killed", found)
        if found["status"] == "running" or time.monotonic() >= deadline:
            return bool(found["status"] == "running")
        time.sleep(0.1)


def _until_importing(client: Client, job: str) -> int:
    """Wait until the job has saved some of its rows (or MID_JOB_SECONDS), so that the kill
    falls in the middle of its work, and say how many."""
    deadline = time.monotonic() + MID_JOB_SECONDS
    while True:
        found = expect("follow the job", client.get(job), 200)
        if found["status"] != "running":
            raise Refused("the job ended before its worker could be killed", found)
        if found["done"] > 0 or time.monotonic() > deadline:
            return int(found["done"])
        time.sleep(0.1)


# ---------------------------------------------------------------- the run
def run(settings: Settings, report: Report, folder: Path) -> None:
    report.lines.append(f"folder {folder} (logs, instance, files)")
    env = environment(settings, folder)
    with report.timed("database and demo"):
        fresh_database(settings.database_url)
        for args in (("migrate",), ("keys", "generate"), ("demo",)):
            registry(env, *args)
    with Processes(folder, PROJECT) as processes:
        _cluster(processes, settings, env, report, folder)
    left = processes.left_behind()
    if left:
        report.problems.append(f"processes left behind: {', '.join(left)}")


def _cluster(
    processes: Processes, settings: Settings, env: dict[str, str], report: Report, folder: Path
) -> None:
    with report.timed("start"):
        servers = start_servers(processes, settings, env)
        workers = [start_worker(processes, f"worker{n}", env) for n in (1, 2)]
        actors = drive.make_tokens(env)  # while they start
        bases = [f"http://127.0.0.1:{port}" for port in settings.ports]
        for server, base in zip(servers, bases, strict=True):
            wait_until_serving(server, f"{base}/log/checkpoint")
    key = folder / "instance" / "demo-verifier.pem"
    plan = Plan(key, str(BIN / "registry"), settings.units, settings.import_rows)
    journal = Journal()
    with report.timed("drive"):
        outcome, kill = _drive_and_kill(
            processes, workers, bases, actors, plan, settings, journal, env
        )
    report.lines.append(drive.summary(outcome))
    report.lines.append(kill.summary())
    with report.timed("read back"):
        found, jobs = drive.verify(journal, bases, actors, settings.database_url)
    report.lines.append(jobs)
    report.problems += found
    with report.timed("log verify and shared checks"):
        for line, problems in _outside_checks(env, bases):
            report.lines.append(line)
            report.problems += problems


def _drive_and_kill(
    processes: Processes,
    workers: list[Process],
    bases: list[str],
    actors: Actors,
    plan: Plan,
    settings: Settings,
    journal: Journal,
    env: dict[str, str],
) -> tuple[drive.Outcome, Kill]:
    """The chains on their threads; from here, once half of them have their label, the
    large import and the kill."""
    outcomes: list[drive.Outcome] = []
    chains = threading.Thread(
        target=lambda: outcomes.append(
            drive.drive(bases, actors, plan, settings.chains, settings.threads, journal)
        ),
        name="chains",
    )
    chains.start()
    client = Client(Servers(bases), actors.producer, journal)
    try:
        while chains.is_alive() and sum(1 for _ in journal.of("label")) < settings.chains // 2:
            time.sleep(0.2)
        kill = kill_in_a_job(processes, workers, client, journal, settings, env)
        chains.join()
    except BaseException:
        processes.stop_all()  # a failure or Ctrl-C: the chains' requests then fail at once
        raise
    finally:
        client.close()
    return outcomes[0], kill


def _outside_checks(env: dict[str, str], bases: list[str]) -> list[tuple[str, list[str]]]:
    """`registry log verify`, and the shared checks against each server, side by side:
    for each, a line for the report and its problems."""
    with ThreadPoolExecutor(1 + len(bases)) as pool:
        found = [pool.submit(_log_verified, env)]
        found += [pool.submit(_shared_checks, base) for base in bases]
        return [future.result() for future in found]


def _log_verified(env: dict[str, str]) -> tuple[str, list[str]]:
    try:
        said = registry(env, "log", "verify").strip().splitlines()
    except RuntimeError as exc:
        return "registry log verify: FAIL", [f"registry log verify: {exc}"]
    return f"registry log verify: {said[0] if said else 'passed'}", []


def _shared_checks(base: str) -> tuple[str, list[str]]:
    done = subprocess.run(
        [sys.executable, str(SHARED_CHECKS), base], cwd=PROJECT, capture_output=True, text=True
    )
    said = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    line = f"shared checks against {base}: {said.count('pass')} pass, {said.count('skip')} skip"
    if done.returncode == 0:
        return line, []
    return line, [f"shared checks against {base}:\n{done.stdout[-2000:]}{done.stderr[-500:]}"]


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run as Ctrl-C does: through the clean-up."""
    raise KeyboardInterrupt


def _arguments(argv: list[str] | None) -> Settings:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=defaults.database_url)
    parser.add_argument("--redis-url", default=defaults.redis_url)
    parser.add_argument("--ports", type=int, nargs=2, default=defaults.ports)
    for name in ("chains", "threads", "units", "import_rows", "big_import"):
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
        )
    parser.add_argument("--grace", type=float, default=defaults.grace)
    parser.add_argument("--keep", action="store_true", help="keep the folder and the database")
    args = parser.parse_args(argv)
    return Settings(**{**vars(args), "ports": tuple(args.ports)})


def main(argv: list[str] | None = None) -> int:
    settings = _arguments(argv)
    report = Report()
    missing = preflight(settings)
    if missing:
        print("cannot start the cluster:\n  " + "\n  ".join(missing))
        return 2
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    folder = Path(tempfile.mkdtemp(prefix="registry-cluster-"))
    try:
        with report.timed("total"):
            run(settings, report, folder)
    except KeyboardInterrupt:
        report.problems.append("interrupted")
    except Exception as exc:  # any failure is reported as such, after the clean-up
        report.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not settings.keep and not report.problems:  # a failed run is kept to look into
        shutil.rmtree(folder, ignore_errors=True)
        drop_database(settings.database_url)
    report.print()
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
