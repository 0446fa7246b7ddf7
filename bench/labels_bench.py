"""Labels benchmark (DESIGN.md §9), one run: (a) signed unit serials per second through
`issuance.issue()` on PostgreSQL, and their share of the two-core Ed25519 ceiling measured in
the same run, (b) a print sheet of 1,000 unit labels, (c) label-status requests per second
under gunicorn as a ratio to a bare Flask "hello" served the same way.

    .venv/bin/python bench/labels_bench.py            # 5 × 10,000 units, 10 s load runs
    .venv/bin/python bench/labels_bench.py --quick    # 2 × 5,000 units, 5 s load runs
    .venv/bin/python bench/labels_bench.py --parts a  # issuance alone (no wrk needed)
    .venv/bin/python bench/labels_bench.py --profile  # also cProfile issue() and 2,000 status reads

The database named by BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/registry_bench_labels) is created if missing and its
`public` schema is DROPPED and rebuilt with the app's Alembic migrations on every run; the
demo data (accounts, farms, approved MRV, batches, labels) give the chain to issue on.
Part (c) needs `wrk` (Debian package wrk). Progress goes to stderr; the table goes to stdout
and, as JSON, to bench/results/labels-<date>.json. See bench/README.md."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from common import RESULTS, fresh_database, libpq_url, log, vacuum_analyze
from registry import create_app
from registry.accounts.models import Organisation
from registry.db import db, utcnow
from registry.demo import load_demo
from registry.keys import PURPOSES, KeyStore
from registry.labels import issuance, signer
from registry.labels import token as ptt1
from registry.labels.artwork import LabelArt
from registry.labels.models import Label, LabelRequest
from registry.labels.sheets import render_sheet
from registry.trace.models import Batch

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench_labels"
AUTHORITY, RETAILER = "HP-CCTT", "RET-XANH"
UNIT_KG = 0.001  # tiny packages, so that one demo batch covers every round
TARGET_SERIALS_PER_S = 20_000
CORES = 2  # the target's "on two cores" (DESIGN.md §9): the ceiling is one core's signatures x 2
CROSSOVER_SIZES = (100, 200, 400, 800, 1_600, 3_200)
TARGET_SHEET_S = 5.0
TARGET_RATIO = 0.60
PRODUCT = "Gạo thơm đóng túi"
HELLO_APP = '''"""A bare Flask app: the yardstick of the status API (DESIGN.md §9)."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello"
'''


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU time of processes (from /proc; 10 ms ticks)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (only the bench uses it)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


def process_tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid, *map(int, children.split())]


# ---------------------------------------------------------------- database and app
def environment(url: str, folder: Path) -> dict[str, str]:
    """What both this process and the gunicorn workers configure the app from."""
    return {
        "DATABASE_URL": url,
        "REGISTRY_INSTANCE": str(folder),
        "REGISTRY_KEYS_DIR": str(folder / "keys"),
        "SECRET_KEY": "bench-not-secret",
        "LOG_ORIGIN": "bench.phatthaithap.vn/log",
    }


def make_app(url: str, folder: Path) -> Flask:
    os.environ.update(environment(url, folder))  # nothing is written into the checkout
    store = KeyStore(folder / "keys")
    for purpose in PURPOSES:
        store.generate(purpose)
    app = create_app()
    with app.app_context():
        upgrade()
    return app


def org(code: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.code == code))
    assert found is not None, code
    return found


# ---------------------------------------------------------------- (a) issuance
def bench_issuance(app: Flask, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Rounds of one batch label with `--units` unit labels, each round timed from
    `issue()` to its commit: serials, the log entry, a PTT1 token per unit (in the signing
    pool), the rows written; with the CPU time this process, the pool's children and
    PostgreSQL spent on it. The Ed25519 ceiling is measured before and after the rounds."""
    issuer = issuance.Issuer(
        app.config["REGISTRY_ID"], app.config["PUBLIC_BASE_URL"], keystore_key(app)
    )
    ceilings = [ed25519_ceiling(args.ceiling_s)]
    seconds, cpu, labels = [], [], []
    with app.app_context():
        authority, retailer = org(AUTHORITY), org(RETAILER)
        packed = db.session.scalar(
            select(Batch).where(
                Batch.product == "packaged_rice", Batch.organisation_id == retailer.id
            )
        )
        assert packed is not None, "the demo has a packaged batch"
        today = date.today()
        form, shared = unit_form(issuer, packed, retailer)
        pool_start = start_pool(form, issuer)
        peak_rss = [peak_rss_mb()]
        for n in range(args.rounds):
            request = issuance.request_label(db.session, retailer, packed.id, args.units, UNIT_KG)
            db.session.commit()
            pids = backend_pids(url) + signer.processes()
            start, own, others = time.perf_counter(), time.process_time(), cpu_seconds(pids)
            label = issuance.issue(db.session, authority, request.id, issuer, today)
            db.session.commit()
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - own + cpu_seconds(pids) - others)
            labels.append(label.id)
            log(f"(a) round {n + 1}: {args.units:,} units in {seconds[-1]:.2f} s")
        peak_rss.append(peak_rss_mb())
        parts = issuance_parts(form, shared, issuer, args.units)
        crossover = pool_crossover(form, issuer, args.crossover_runs)
        if args.profile:
            request = issuance.request_label(db.session, retailer, packed.id, args.units, UNIT_KG)
            db.session.commit()
            profile(
                "issue()",
                lambda: issuance.issue(db.session, authority, request.id, issuer, today),
            )
            db.session.rollback()
    ceilings.append(ed25519_ceiling(args.ceiling_s))
    rates = [args.units / s for s in seconds]
    ceiling = max(ceilings)
    return {
        "units_per_round": args.units,
        "rounds_s": [round(s, 3) for s in seconds],
        "rounds_cpu_s": [round(c, 3) for c in cpu],
        "cpu_s_per_1000": round(1000 * sum(cpu) / (args.units * len(cpu)), 4),
        "serials_per_s_median": round(statistics.median(rates)),
        "serials_per_s_best": round(max(rates)),
        "ed25519_signs_per_s_one_core": [round(c) for c in ceilings],
        "ceiling_two_cores": round(CORES * ceiling),
        "share_of_ceiling": round(statistics.median(rates) / (CORES * ceiling), 3),
        "peak_rss_mb_before_after_rounds": peak_rss,
        "pool_processes": len(signer.processes()),
        "pool_start_s": round(pool_start, 3),
        "parts": parts,
        "crossover": crossover,
        "label_ids": labels,
    }


def keystore_key(app: Flask) -> Any:
    return KeyStore(Path(app.config["KEYS_DIR"])).private("label")


def peak_rss_mb() -> int:
    """The most memory this process has held so far (Linux counts ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def ed25519_ceiling(seconds: float) -> float:
    """Raw `cryptography` Ed25519 signatures per second in this process (one core), of 128
    bytes (about a unit token's Sig_structure): the most any signer could do."""
    key, message, done = Ed25519PrivateKey.generate(), bytes(128), 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(500):
            key.sign(message)
        done += 500
    return done / elapsed


def unit_form(
    issuer: issuance.Issuer, batch: Batch, holder: Organisation
) -> tuple[issuance.Form, dict[str, Any]]:
    """The form in which units of the demo's packed batch are signed (at log index 0), and
    the columns their rows share, for the parts measured alone."""
    facts = issuance.facts_of(db.session, batch)
    now = utcnow().replace(microsecond=0)
    expires = now + timedelta(days=365)
    claims = ptt1.LabelClaims(
        serial="BENCH",
        lot=facts.lot,
        gtin=facts.gtin,
        g_co2e_per_kg=facts.g_co2e_per_kg,
        reduction_permille=facts.reduction_permille,
        methodology=facts.methodology,
        verifier=facts.verifier,
        log_index=0,
        iss=issuer.registry_id,
        iat=int(now.timestamp()),
        exp=int(expires.timestamp()),
    )
    form = issuance.signed_form(claims, issuer)[0]
    request = db.session.scalar(
        select(LabelRequest).where(LabelRequest.organisation_id == holder.id).limit(1)
    )
    assert request is not None, "the demo's retailer asked for labels"
    shared = issuance.shared_columns(claims, facts, batch, request, 1, (now, expires), issuer)
    return form, shared


def start_pool(form: issuance.Form, issuer: issuance.Issuer) -> float:
    """Start the signing pool (untimed in the rounds: a web or job worker starts it once,
    on its first large request) and return how long that took."""
    start = time.perf_counter()
    serials = [f"WARM{n:04d}" for n in range(signer.POOL_FROM)]
    for _ in signer.tokens(form.template, serials, issuer.key, pool_from=0):
        pass
    return time.perf_counter() - start


def issuance_parts(
    form: issuance.Form, shared: dict[str, Any], issuer: issuance.Issuer, units: int
) -> dict[str, float]:
    """Where a round's time goes, each part alone: fresh serials (with their uniqueness
    query), the tokens signed in this process and in the pool (no database), and the unit
    rows of tokens signed beforehand written (rolled back)."""
    start = time.perf_counter()
    serials = issuance.new_serials(db.session, units)
    serial_s = time.perf_counter() - start
    signed = {}
    for name, pool_from in (("one_process", units + 1), ("pool", 0)):
        start = time.perf_counter()
        for _chunk in signer.tokens(form.template, serials, issuer.key, pool_from):
            pass
        signed[name] = time.perf_counter() - start
    rows = list(issuance.unit_rows(serials, form, issuer.key))
    parent = db.session.scalar(select(Label.id).limit(1))
    start = time.perf_counter()
    issuance.write_units(db.session, iter(rows), {"parent_id": parent, **shared})
    insert_s = time.perf_counter() - start
    db.session.rollback()
    return {
        "serials_per_s": round(units / serial_s),
        "tokens_per_s_one_process": round(units / signed["one_process"]),
        "tokens_per_s_pool": round(units / signed["pool"]),
        "inserted_rows_per_s": round(units / insert_s),
    }


def pool_crossover(
    form: issuance.Form, issuer: issuance.Issuer, runs: int
) -> list[dict[str, float]]:
    """Tokens signed in this process and in the warm pool, for requests of a few sizes
    (the best of `runs` each, the least disturbed by other work on the machine): where the
    pool starts to pay sets `signer.POOL_FROM`."""
    found = []
    for size in CROSSOVER_SIZES:
        serials = [f"X{n:07d}" for n in range(size)]
        times = {}
        for name, pool_from in (("one_process_ms", size + 1), ("pool_ms", 0)):
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                for _chunk in signer.tokens(form.template, serials, issuer.key, pool_from):
                    pass
                samples.append(time.perf_counter() - start)
            times[name] = round(1000 * min(samples), 2)
        found.append({"units": size, **times})
        log(f"(a) crossover {size:,} units: {times}")
    return found


# ---------------------------------------------------------------- (b) print sheet
def bench_sheet(app: Flask, label_ids: list[int], args: argparse.Namespace) -> dict[str, Any]:
    with app.app_context():
        units = list(issuance.units_of(db.session, label_ids[0]))[: args.sheet]
        arts = [LabelArt.of(u, PRODUCT) for u in units]
    result: dict[str, Any] = {"labels": len(arts)}
    for size in ("a4", "40x30"):
        times, pages = [], []

        def count(done: int, total: int) -> None:
            pages.append(done)  # noqa: B023 - called before the loop moves on

        for _ in range(args.sheet_runs):
            start = time.perf_counter()
            pdf = render_sheet(arts, size, count)
            times.append(time.perf_counter() - start)
        result[size] = {
            "seconds": [round(t, 3) for t in times],
            "median_s": round(statistics.median(times), 3),
            "pages": pages[-1],
            "bytes": len(pdf),
            "first_page_reads": first_page_reads(pdf, arts),
        }
        log(f"(b) {size}: {len(arts):,} labels in {statistics.median(times):.2f} s (median)")
    return result


def first_page_reads(pdf: bytes, arts: list[LabelArt]) -> bool:
    """Untimed check: the first page's QR codes read back as the first labels' URLs."""
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:  # the dev extras are not installed
        return False
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=300 / 72).to_pil().convert("L")
    found = {f.text for f in zxingcpp.read_barcodes(image, formats=zxingcpp.QRCode)}
    return found == {a.url for a in arts[: len(found)]} and len(found) > 0


# ---------------------------------------------------------------- (c) status API under load
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(
    module: str, folder: Path, env: dict[str, str], args: argparse.Namespace
) -> Iterator[tuple[str, int]]:
    """A gunicorn of our own on a free loopback port; stopped (its process group) after."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("--workers", str(args.workers), "--worker-class", "gthread"),
        *("--threads", str(args.threads), "--bind", f"127.0.0.1:{port}"),
        *("--log-level", "warning", "--chdir", str(folder), module),
    ]
    server = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def lua(paths: list[str], folder: Path, name: str) -> Path:
    """A wrk script cycling through `paths`, the same shape for both servers."""
    listed = ",\n".join(f'  "{p}"' for p in paths)
    script = folder / f"{name}.lua"
    script.write_text(
        f"local paths = {{\n{listed}\n}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\nend\n'
    )
    return script


def wrk(
    base: str,
    script: Path,
    seconds: int,
    args: argparse.Namespace,
    pids: Iterable[int] = (),
    workers: Iterable[int] = (),
) -> dict[str, Any]:
    """One wrk run; with `pids`, also the CPU they spent per request (server, database);
    with `workers`, the busiest gunicorn worker's share of the workers' CPU."""
    pids, workers = list(pids), list(workers)
    before = cpu_seconds(pids)
    worker_before = [cpu_seconds([w]) for w in workers]
    output = subprocess.run(
        [
            "wrk",
            *("-t", str(args.threads_wrk), "-c", str(args.connections), "-d", f"{seconds}s"),
            *("--latency", "-s", str(script), base),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    spent = [cpu_seconds([w]) - b for w, b in zip(workers, worker_before, strict=True)]
    return {
        "busiest_worker_share": round(max(spent) / sum(spent), 2) if sum(spent) else None,
        "rps": round(rps, 1),
        "cpu_us_per_request": round((cpu_seconds(pids) - before) / requests * 1e6),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else "",
        "p50": latency.get("50"),
        "p99": latency.get("99"),
    }


LEAN_STATUS = '''"""What-if prototype, not the registry's code: the status read as a bare
WSGI function, one prepared SELECT on a per-thread autocommit psycopg connection, the same
JSON (no compromised-key check, no 404): the floor of a lean path in front of the app."""
import json
import re
import threading

import psycopg

from registry import config

URL = "postgresql://" + config.database_url(config.instance_path()).split("://", 1)[1]
LOCAL = threading.local()
PATH = re.compile(r"/api/v1/labels/([A-Za-z0-9-]{1,20})$")
SQL = (
    "SELECT serial, status, reason_code, url, product, lot, organisation, commune,"
    " g_co2e_per_kg, reduction_permille, issued_at, expires_at, log_index"
    " FROM labels WHERE serial = %s"
)


def app(environ, start_response):
    connection = getattr(LOCAL, "connection", None)
    if connection is None:
        connection = LOCAL.connection = psycopg.connect(URL, autocommit=True)
    serial = PATH.match(environ["PATH_INFO"]).group(1).upper()
    row = connection.execute(SQL, (serial,), prepare=True).fetchone()
    keys = ("serial", "status", "reason", "url", "product", "batch", "organisation",
            "commune", "g_co2e_per_kg", "reduction_pct", "issued_at", "expires_at",
            "log_index")
    found = dict(zip(keys, row))
    found["reduction_pct"] /= 10
    found["issued_at"] = found["issued_at"].isoformat()
    found["expires_at"] = found["expires_at"].isoformat()
    body = json.dumps(found, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
'''
WHAT_IF = {  # wsgi modules for the diagnostic runs: what the status path costs, and why
    "empty_route": "from registry import create_app\n\napp = create_app()\n"
    'app.add_url_rule("/hello", "bench_hello", lambda: "hello")\n',
    "no_pre_ping": "from registry import create_app\n\n"
    'app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}})\n',
    "lean_status": LEAN_STATUS,
}


BALANCED = 0.7  # the busiest of two gunicorn workers' share of their CPU in a fair run


def bench_status(
    app: Flask, url: str, folder: Path, label_ids: list[int], args: argparse.Namespace
) -> dict[str, Any]:
    """Alternating wrk runs against a bare Flask hello and the registry's status API (the
    target), then one run each of three what-ifs: an empty route in the registry app (the
    floor every request of the app pays), the status API without the pool's ping, and
    the status read as a lean WSGI function (LEAN_STATUS, a prototype)."""
    with app.app_context():
        serials = [u.serial for u in issuance.units_of(db.session, label_ids[-1])][:1000]
    # Untimed, as autovacuum would have done long since on a registry in service: else it
    # works through part (a)'s fresh rows during the runs, and its CPU lands on the status
    # figures (the spoiled run of 2026-11-25 20:09).
    vacuum_analyze(url, "labels")
    (folder / "hello_app.py").write_text(HELLO_APP)
    for module, source in WHAT_IF.items():
        (folder / f"{module}.py").write_text(source)
    status_script = lua([f"/api/v1/labels/{s}" for s in serials], folder, "status")
    hello_script = lua([f"/hello?s={s}" for s in serials], folder, "hello")
    env = {**environment(url, folder), "PYTHONPATH": str(ROOT)}
    runs: dict[str, list[dict[str, Any]]] = {"hello": [], "status": []}
    discarded: list[dict[str, Any]] = []
    with (
        gunicorn("hello_app:app", folder, env, args) as (hello, hello_pid),
        gunicorn("wsgi:app", folder, env, args) as (registry, registry_pid),
        gunicorn("empty_route:app", folder, env, args) as (empty, empty_pid),
        gunicorn("no_pre_ping:app", folder, env, args) as (no_ping, no_ping_pid),
        gunicorn("lean_status:app", folder, env, args) as (lean, lean_pid),
    ):
        for base, path in (
            (hello, "/hello"),
            (registry, f"/api/v1/labels/{serials[0]}"),
            (empty, "/hello"),
            (no_ping, f"/api/v1/labels/{serials[0]}"),
            (lean, f"/api/v1/labels/{serials[0]}"),
        ):
            wait_until_up(base + path)
        for base, script in ((hello, hello_script), (registry, status_script)):
            wrk(base, script, args.warmup, args)  # warm workers, pools and caches
        hello_pids = process_tree(hello_pid)
        registry_pids = process_tree(registry_pid) + backend_pids(url)
        servers = {
            "hello": (hello, hello_script, hello_pids),
            "status": (registry, status_script, registry_pids),
        }
        for n in range(args.load_runs):  # pairs in turn-about order: drift hits both alike
            for name in ("hello", "status") if n % 2 == 0 else ("status", "hello"):
                runs[name].append(balanced_run(servers[name], name, args, discarded))
                log(f"(c) run {n + 1} {name}: {runs[name][-1]['rps']:,.0f} req/s")
        what_if = {}
        for name, base, script, pid in (
            ("empty route in the registry app", empty, hello_script, empty_pid),
            ("status without pool_pre_ping", no_ping, status_script, no_ping_pid),
            ("status as a lean WSGI function", lean, status_script, lean_pid),
        ):
            wrk(base, script, args.warmup, args)
            pids = process_tree(pid) + backend_pids(url)
            what_if[name] = balanced_run((base, script, pids), name, args, discarded)
            log(f"(c) what-if {name}: {what_if[name]['rps']:,.0f} req/s")
    hello_rps = statistics.median(r["rps"] for r in runs["hello"])
    status_rps = statistics.median(r["rps"] for r in runs["status"])
    pairs = [s["rps"] / h["rps"] for h, s in zip(runs["hello"], runs["status"], strict=True)]
    hello_cpu = statistics.median(r["cpu_us_per_request"] for r in runs["hello"])
    status_cpu = statistics.median(r["cpu_us_per_request"] for r in runs["status"])
    if args.profile:
        profile_status(app, serials)
    return {
        "runs": runs,
        "what_if": what_if,
        "hello_rps_median": hello_rps,
        "status_rps_median": status_rps,
        "ratio": round(statistics.median(pairs), 3),
        "pair_ratios": [round(r, 3) for r in pairs],
        "discarded_unbalanced_runs": discarded,
        "ratio_of_medians": round(status_rps / hello_rps, 3),
        "hello_cpu_us": hello_cpu,
        "status_cpu_us": status_cpu,
        "cpu_ratio": round(hello_cpu / status_cpu, 3),
    }


def balanced_run(
    server: tuple[str, Path, list[int]],
    name: str,
    args: argparse.Namespace,
    discarded: list[dict[str, Any]],
) -> dict[str, Any]:
    """A wrk run in which the gunicorn workers shared the work. wrk opens its keep-alive
    connections in one burst, and now and then one worker accepts nearly all of them: the
    server then runs on one process (one GIL), at half the rate and a third more CPU a
    request, whatever the app. Such runs (busiest worker above `BALANCED`) are run again,
    up to four times, and kept in the results as discarded."""
    base, script, pids = server
    workers = pids[1 : 1 + args.workers]
    for _ in range(4):
        run = wrk(base, script, args.duration, args, pids, workers)
        share = run["busiest_worker_share"]
        if share is None or share <= BALANCED:
            return run
        discarded.append({"server": name, **run})
        log(f"(c) {name}: one worker did {share:.0%} of the work, run again")
    return wrk(base, script, args.duration, args, pids, workers)


def profile_status(app: Flask, serials: list[str]) -> None:
    """2,000 status reads through the Flask test client: the app's cost without a server."""
    client = app.test_client()
    for serial in serials[:100]:
        client.get(f"/api/v1/labels/{serial}")
    paths = [f"/api/v1/labels/{serials[n % len(serials)]}" for n in range(2000)]
    profile("2,000 status reads", lambda: [client.get(p) for p in paths])


def profile(title: str, call: Callable[[], Any]) -> None:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(call)
    elapsed = time.perf_counter() - start
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print(f"\n--- profile: {title} ({elapsed:.2f} s under cProfile)\n{out.getvalue()}")


# ---------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small run: a minute or so")
    parser.add_argument("--units", type=int, default=10_000, help="unit labels per round (a)")
    parser.add_argument("--rounds", type=int, default=5, help="issuance rounds (a)")
    parser.add_argument("--sheet", type=int, default=1_000, help="labels on the sheet (b)")
    parser.add_argument("--sheet-runs", type=int, default=3, help="timed renders per size (b)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (c)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (c)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (c)")
    parser.add_argument("--threads-wrk", type=int, default=1, help="wrk threads (c)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run (c)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed seconds first (c)")
    parser.add_argument("--load-runs", type=int, default=6, help="runs of each server (c)")
    parser.add_argument("--profile", action="store_true", help="cProfile issue() and reads")
    parser.add_argument("--parts", default="abc", help="parts to run: a, ab or abc")
    parser.add_argument("--ceiling-s", type=float, default=2.0, help="seconds per ceiling (a)")
    parser.add_argument("--crossover-runs", type=int, default=5, help="runs per size (a)")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default results/)")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.rounds, args.duration, args.load_runs = 5_000, 2, 5, 2
        args.ceiling_s, args.crossover_runs = 1.0, 3
    if args.parts not in ("a", "ab", "abc"):
        parser.error("--parts is a, ab or abc: (b) and (c) use the labels (a) issues")
    if args.units * args.rounds < args.sheet:
        parser.error("--sheet needs at least that many unit labels issued")
    return args


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if "c" in args.parts and shutil.which("wrk") is None:
        raise SystemExit("part (c) needs wrk: apt-get install wrk (or --parts ab)")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    version = fresh_database(url)
    folder = Path(tempfile.mkdtemp(prefix="labels-bench-"))
    sheet, status = None, None
    try:
        app = make_app(url, folder)
        start = time.perf_counter()
        with app.app_context():
            issuer = issuance.Issuer(
                app.config["REGISTRY_ID"], app.config["PUBLIC_BASE_URL"], keystore_key(app)
            )
            load_demo(db.session, folder, issuer)
            db.session.commit()
        log(f"demo chain loaded in {time.perf_counter() - start:.1f} s")
        issued = bench_issuance(app, url, args)
        signer.shutdown()  # its idle children would only sit beside parts (b) and (c)
        if "b" in args.parts:
            sheet = bench_sheet(app, issued["label_ids"], args)
        if "c" in args.parts:
            status = bench_status(app, url, folder, issued["label_ids"], args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(args, version, issued, sheet, status)
    return 0


def report(
    args: argparse.Namespace,
    version: str,
    issued: dict[str, Any],
    sheet: dict[str, Any] | None,
    status: dict[str, Any] | None,
) -> None:
    load = os.getloadavg()
    print(
        f"""
Labels benchmark · {time.strftime("%Y-%m-%d %H:%M")} · {platform.node()} · \
{os.cpu_count()} CPUs · load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}
PostgreSQL {version} · Python {platform.python_version()}
"""
    )
    print(issuance_text(args, issued))
    if sheet is not None:
        print(sheet_text(args, sheet))
    if status is not None:
        print(status_text(args, status))
    out = args.out or RESULTS / f"labels-{time.strftime('%Y-%m-%d')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    options = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"node": platform.node(), "cpus": os.cpu_count(), "load": load},
        "postgresql": version,
        "options": options,
        "issuance": {k: v for k, v in issued.items() if k != "label_ids"},
        "sheet": sheet,
        "status": status,
    }
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    log(f"results written to {out}")


def issuance_text(args: argparse.Namespace, issued: dict[str, Any]) -> str:
    rate, parts = issued["serials_per_s_median"], issued["parts"]
    one_core = " and ".join(f"{c:,}" for c in issued["ed25519_signs_per_s_one_core"])
    crossover = "\n".join(
        f"      {c['units']:>6,} units          {c['one_process_ms']:>8.1f} ms  "
        f"{c['pool_ms']:>8.1f} ms"
        for c in issued["crossover"]
    )
    return f"""(a) issuance.issue() with {args.units:,} unit labels, {args.rounds} rounds, \
to commit; signing pool of {issued["pool_processes"]} processes (started in \
{issued["pool_start_s"]:.2f} s, untimed), from {signer.POOL_FROM:,} units
    signed unit serials/s     median {rate:,}  best {issued["serials_per_s_best"]:,}   \
target ≥ {TARGET_SERIALS_PER_S:,}: {verdict(rate >= TARGET_SERIALS_PER_S)}
    Ed25519 ceiling           {issued["ceiling_two_cores"]:,} signatures/s on {CORES} cores \
({one_core} on one, before and after the rounds; the higher × {CORES})
    share of the ceiling      {issued["share_of_ceiling"]:.0%} (median rate ÷ ceiling)
    CPU-s per 1,000 serials   {issued["cpu_s_per_1000"]:.3f} (this process, the pool's \
children and PostgreSQL)
    peak memory               {" → ".join(map(str, issued["peak_rss_mb_before_after_rounds"]))} MB \
(this process, before and after the rounds)
    parts, each alone (/s)    new serials {parts["serials_per_s"]:,} · tokens in one process \
{parts["tokens_per_s_one_process"]:,} · in the pool {parts["tokens_per_s_pool"]:,} · \
rows written {parts["inserted_rows_per_s"]:,}
    signing alone, by size    one process    pool (best of {args.crossover_runs})
{crossover}
"""


def sheet_text(args: argparse.Namespace, sheet: dict[str, Any]) -> str:
    a4, roll = sheet["a4"], sheet["40x30"]
    return f"""(b) print sheet of {sheet["labels"]:,} unit labels (median of {args.sheet_runs})
    A4, 32 a page             {a4["median_s"]:.2f} s, {a4["pages"]} pages, \
{a4["bytes"] / 1e6:.1f} MB, QR read back: {a4["first_page_reads"]}
    roll 40 × 30 mm           {roll["median_s"]:.2f} s, {roll["pages"]} pages, \
{roll["bytes"] / 1e6:.1f} MB, QR read back: {roll["first_page_reads"]}
                              target ≤ {TARGET_SHEET_S:g} s: \
{verdict(max(a4["median_s"], roll["median_s"]) <= TARGET_SHEET_S)}
"""


def status_text(args: argparse.Namespace, status: dict[str, Any]) -> str:
    ratio = status["ratio"]
    hello_rps, hello_cpu = status["hello_rps_median"], status["hello_cpu_us"]
    status_rps, status_cpu = status["status_rps_median"], status["status_cpu_us"]
    lines = [
        f"""(c) GET /api/v1/labels/<serial> vs bare Flask /hello: gunicorn {args.workers} \
workers × {args.threads} threads (gthread); wrk {args.threads_wrk} thread, {args.connections} \
connections, {args.load_runs} pairs × {args.duration} s each, in turn-about order
                              req/s (median)   CPU µs/request (server + PostgreSQL)
    hello                     {hello_rps:>9,.0f}        {hello_cpu:>6,}
    label status              {status_rps:>9,.0f}        {status_cpu:>6,}
    ratio                     {ratio:>9.0%}        {status["cpu_ratio"]:>6.0%}   \
target ≥ {TARGET_RATIO:.0%} (req/s, median of the pairs): {verdict(ratio >= TARGET_RATIO)}
    pairs (status ÷ hello)    {" ".join(f"{r:.0%}" for r in status["pair_ratios"])}
    runs run again            {len(status["discarded_unbalanced_runs"])} (one gunicorn worker \
did > {BALANCED:.0%} of the work)"""
    ]
    for name in ("hello", "status"):
        lines += [f"      {name:<24}{line(run)}" for run in status["runs"][name]]
    lines.append("    what-if, one run each:")
    lines += [f"      {name:<32}{line(run)}" for name, run in status["what_if"].items()]
    return "\n".join(lines)


def line(run: dict[str, Any]) -> str:
    return (
        f"{run['rps']:>7,.0f} req/s  {run['cpu_us_per_request']:>6,} µs CPU  p50 {run['p50']}"
        f"  p99 {run['p99']}  busiest worker {run['busiest_worker_share'] or 0:.0%}"
        f"  non-2xx {run['non_2xx']} {run['socket_errors']}"
    )


if __name__ == "__main__":
    sys.exit(main())
