"""Transparency-log benchmark (DESIGN.md §6, targets in §9): appends, proofs and checkpoints
on PostgreSQL as the log grows to 10 k, 100 k and 1 M entries, and at each size 50
concurrent writers, each told its index (bench/ledger_writers.py).

    .venv/bin/python bench/ledger_bench.py              # full run, to 1,000,000 entries
    .venv/bin/python bench/ledger_bench.py --max 100000 # quick run
    .venv/bin/python bench/ledger_bench.py --max 100000 --only-concurrent  # 50 writers

The database named by BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/registry_bench) is created if missing and its
`public` schema is DROPPED and rebuilt with the app's Alembic migrations on every run.
Progress goes to stderr; the table goes to stdout and, as JSON, to
bench/results/ledger-<date>.json. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import dataclasses
import io
import json
import math
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ledger_writers
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from common import (
    RESULTS,
    Stats,
    fresh_database,
    log,
    make_app,
    sqlalchemy_url,
    timed,
    vacuum_analyze,
)
from registry.db import db
from registry.keys import KeyStore
from registry.ledger import note, service, tree
from registry.ledger.audit import verify_store
from registry.ledger.models import LogEntry
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.verify import root_from_leaves, verify_consistency, verify_inclusion

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench"
MILESTONES = (10_000, 100_000, 1_000_000)
TARGET_MS = 5.0  # DESIGN §9: proofs served in <= 5 ms (at 10 M entries)
ORIGIN = "bench.phatthaithap.vn/log"

Entry = tuple[str, str, str, Mapping[str, Any]]


# ---------------------------------------------------------------- helpers
def label_entry(n: int) -> Entry:
    """A realistic `label.issued` entry for unit serial number `n`."""
    serial = f"DOSON26-{n:08d}"
    return (
        "label.issued",
        "HTX-DOSON",
        serial,
        {
            "serial": serial,
            "batch": f"B26-DOSON-{n // 5_000:04d}",
            "lot": f"L2605{n // 50_000:02d}",
            "gtin": "08930000001234",
            "g_co2e_per_kg": 812 + n % 97,
            "reduction": 315 + n % 41,  # 0.1 % units, as in the label token
            "methodology": "VN-AWD-2025",
            "verifier": "VRF-CTU",
        },
    )


def b64_hashes(body: Mapping[str, Any]) -> list[bytes]:
    return [base64.b64decode(h) for h in body["hashes"]]


# ---------------------------------------------------------------- measurements
@dataclass
class SizeResult:
    size: int
    bulk_entries: int = 0
    bulk_seconds: float = 0.0
    appends: int = 0
    append_seconds: float = 0.0
    append_latency: Stats | None = None
    latency: dict[str, Stats] = field(default_factory=dict)
    hashes: dict[str, float] = field(default_factory=dict)
    full_root_seconds: float = 0.0
    verified: dict[str, int] = field(default_factory=dict)
    concurrent: list[ledger_writers.ConcurrentResult] = field(default_factory=list)

    @property
    def bulk_rate(self) -> float:
        return self.bulk_entries / self.bulk_seconds if self.bulk_seconds else 0.0

    @property
    def append_rate(self) -> float:
        return self.appends / self.append_seconds if self.append_seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "bulk_load": {
                "entries": self.bulk_entries,
                "seconds": round(self.bulk_seconds, 3),
                "entries_per_s": round(self.bulk_rate, 1),
            },
            "single_appends": {
                "count": self.appends,
                "seconds": round(self.append_seconds, 3),
                "per_s": round(self.append_rate, 1),
                "latency": self.append_latency.as_dict() if self.append_latency else None,
            },
            "latency": {name: s.as_dict() for name, s in self.latency.items()},
            "mean_proof_hashes": self.hashes,
            "full_root_rederivation_s": round(self.full_root_seconds, 3),
            "verified": self.verified,
            "concurrent_appends": [c.as_dict() for c in self.concurrent],
        }


class Bench:
    def __init__(self, app: Flask, args: argparse.Namespace) -> None:
        self.app = app
        self.args = args
        self.client: FlaskClient = app.test_client()
        self.rng = random.Random(args.seed)
        self.next_serial = 0
        self.root = b""
        with app.app_context():
            self.vkey = note.vkey(
                ORIGIN, KeyStore(Path(app.config["KEYS_DIR"])).private("log").public_key()
            )

    def entries(self, count: int) -> Iterator[Entry]:
        for _ in range(count):
            yield label_entry(self.next_serial)
            self.next_serial += 1

    def size(self) -> int:
        with self.app.app_context():
            return service.size(db.session)

    # ---------------------------------------------------------- appends
    def bulk_load(self, count: int, result: SizeResult) -> None:
        batch = self.args.batch
        start = time.perf_counter()
        with self.app.app_context():
            done = 0
            while done < count:
                take = min(batch, count - done)
                service.append_many(db.session, list(self.entries(take)))
                db.session.commit()
                done += take
                if done % (batch * 20) == 0 or done == count:
                    rate = done / (time.perf_counter() - start)
                    log(f"  bulk {done:,}/{count:,} ({rate:,.0f} entries/s)")
        result.bulk_entries += count
        result.bulk_seconds += time.perf_counter() - start

    def single_appends(self, count: int, result: SizeResult) -> None:
        samples: list[int] = []
        with self.app.app_context():
            for kind, actor, subject, data in self.entries(count):
                elapsed, _ = timed(self._append_commit, kind, actor, subject, data)
                samples.append(elapsed)
        result.appends = count
        result.append_seconds = sum(samples) / 1e9
        result.append_latency = Stats.of(samples)

    def concurrent_plans(self) -> list[ledger_writers.Plan]:
        args = self.args
        if not args.writers:
            return []
        modes = list(ledger_writers.MODES) if args.sequencing == "all" else [args.sequencing]
        return [
            ledger_writers.Plan(mode, args.writers, args.procs, args.writer_appends, label_entry, 0)
            for mode in modes
        ]

    def concurrent_appends(self, url: str, result: SizeResult) -> None:
        """`--writers` writers logging at once, each told its (durable) index: numbered in
        the transaction, then batched by the sequencer (same log, one after the other)."""
        for plan in self.concurrent_plans():
            plan = dataclasses.replace(plan, first_serial=self.next_serial)
            done = ledger_writers.run(self.app, url, plan)
            self.next_serial += plan.entries
            result.concurrent.append(done)
            if done.verified:
                key = f"concurrent_{plan.mode}_acknowledged"
                result.verified[key] = result.verified.get(key, 0) + done.verified
            log(f"  {plan.mode}: {done.rate:,.0f} appends/s, p95 {done.latency.pct(95):.1f} ms")

    @staticmethod
    def _append_commit(kind: str, actor: str, subject: str, data: Mapping[str, Any]) -> int:
        index = service.append(db.session, kind, actor, subject, data)
        db.session.commit()
        return index

    # ---------------------------------------------------------- checkpoints
    def fresh_checkpoints(self, count: int, result: SizeResult) -> None:
        """Each call signs a new checkpoint: the log grew by one (untimed) append first."""
        samples: list[int] = []
        body = b""
        for kind, actor, subject, data in self.entries(count):
            with self.app.app_context():
                self._append_commit(kind, actor, subject, data)
            elapsed, response = timed(self.client.get, "/log/checkpoint")
            assert response.status_code == 200, response.data
            samples.append(elapsed)
            body = response.data
        result.latency["checkpoint_fresh"] = Stats.of(samples)
        self._check_checkpoint(body, result)

    def cached_checkpoints(self, count: int, result: SizeResult) -> None:
        """The tree has not grown: the stored note is served again."""
        samples: list[int] = []
        for _ in range(count):
            elapsed, response = timed(self.client.get, "/log/checkpoint")
            assert response.status_code == 200, response.data
            samples.append(elapsed)
        result.latency["checkpoint_cached"] = Stats.of(samples)
        self._check_checkpoint(response.data, result)

    def _check_checkpoint(self, body: bytes, result: SizeResult) -> None:
        opened = note.open_checkpoint(body, self.vkey)  # raises unless the signature verifies
        with self.app.app_context():
            assert opened.size == result.size, (opened.size, result.size)
            assert opened.root == service.root(db.session, opened.size), "checkpoint root"
        result.verified["checkpoints"] = result.verified.get("checkpoints", 0) + 1

    # ---------------------------------------------------------- proofs
    def proofs(self, result: SizeResult) -> None:
        n, calls = result.size, self.args.proofs
        inclusion = [self.rng.randrange(n) for _ in range(calls)]
        consistency = [self.rng.randrange(1, n) for _ in range(calls)]
        every = max(1, calls // self.args.verify)
        with self.app.app_context():
            self.root = service.root(db.session, n)

        for name, params, url in (
            ("inclusion", inclusion, "/log/proof/inclusion?index={}&size=" + str(n)),
            ("consistency", consistency, "/log/proof/consistency?from={}&to=" + str(n)),
        ):
            for value in params[:50]:  # warm-up: pool, prepared statements, caches
                self.client.get(url.format(value))
            samples: list[int] = []
            kept: list[tuple[int, list[bytes]]] = []
            for i, value in enumerate(params):
                elapsed, response = timed(self.client.get, url.format(value))
                assert response.status_code == 200, response.data
                samples.append(elapsed)
                if i % every == 0:
                    kept.append((value, b64_hashes(response.json)))
            result.latency[f"{name}_http"] = Stats.of(samples)
            self._verify(name, n, kept, result, "http")

        with self.app.app_context():
            for name, params, build in (
                ("inclusion", inclusion, service.inclusion_proof),
                ("consistency", consistency, service.consistency_proof),
            ):
                samples, kept, lengths = [], [], []
                for value in params[:50]:
                    build(db.session, value, n)
                    db.session.rollback()
                for i, value in enumerate(params):
                    elapsed, hashes = timed(build, db.session, value, n)
                    db.session.rollback()  # one request's transaction, as the HTTP path has
                    samples.append(elapsed)
                    lengths.append(len(hashes))
                    if i % every == 0:
                        kept.append((value, hashes))
                result.latency[f"{name}_service"] = Stats.of(samples)
                result.hashes[name] = round(sum(lengths) / len(lengths), 2)
                self._verify(name, n, kept, result, "service")
            self._compute_only(result, inclusion, consistency)

    def _compute_only(
        self, result: SizeResult, inclusion: list[int], consistency: list[int]
    ) -> None:
        """The hashing alone (nodes fetched beforehand, untimed): the CPU floor of a proof."""
        take = inclusion[: self.args.verify * 2]
        samples = []
        for index in take:
            nodes = service._nodes(db.session, tree.inclusion_needs(index, result.size))
            elapsed, _ = timed(tree.inclusion_proof, index, result.size, nodes)
            samples.append(elapsed)
        result.latency["inclusion_compute"] = Stats.of(samples)
        samples = []
        for first in consistency[: self.args.verify * 2]:
            nodes = service._nodes(db.session, tree.consistency_needs(first, result.size))
            elapsed, _ = timed(tree.consistency_proof, first, result.size, nodes)
            samples.append(elapsed)
        result.latency["consistency_compute"] = Stats.of(samples)
        db.session.rollback()

    def _verify(
        self,
        name: str,
        n: int,
        kept: list[tuple[int, list[bytes]]],
        result: SizeResult,
        layer: str,
    ) -> None:
        with self.app.app_context():
            for value, hashes in kept:
                if name == "inclusion":
                    leaf = leaf_hash(service.entry(db.session, value))
                    ok = verify_inclusion(value, n, leaf, hashes, self.root)
                else:
                    old = service.root(db.session, value)
                    ok = verify_consistency(value, n, old, self.root, hashes)
                if not ok:
                    raise SystemExit(f"{layer} {name} proof for {value} at size {n} is WRONG")
        key = f"{name}_{layer}"
        result.verified[key] = result.verified.get(key, 0) + len(kept)

    # ---------------------------------------------------------- whole-tree checks
    def full_root(self, result: SizeResult) -> None:
        """Re-derive the root from every stored entry, independently of the stored nodes."""
        start = time.perf_counter()
        with self.app.app_context():
            stream = db.session.execute(
                select(LogEntry.entry).order_by(LogEntry.index).execution_options(yield_per=20_000)
            ).scalars()
            derived = root_from_leaves(stream)
            stored = service.root(db.session, result.size)
            db.session.rollback()
        result.full_root_seconds = time.perf_counter() - start
        if derived != stored:
            raise SystemExit(f"stored root at size {result.size} differs from the entries")
        result.verified["full_root"] = 1

    def audit(self) -> tuple[float, str]:
        """`registry log verify`: every stored subtree hash and checkpoint against the entries."""
        start = time.perf_counter()
        with self.app.app_context():
            report = verify_store(db.session, ORIGIN, [self.vkey])
            db.session.rollback()
        elapsed = time.perf_counter() - start
        if not report.ok:
            raise SystemExit(f"audit found problems: {report.problems[:5]}")
        return (
            elapsed,
            f"{report.entries:,} entries, {report.nodes:,} nodes, {report.checkpoints} checkpoints",
        )

    # ---------------------------------------------------------- profile
    def profile(self, n: int, calls: int) -> str:
        profiler = cProfile.Profile()
        urls = [
            f"/log/proof/inclusion?index={self.rng.randrange(n)}&size={n}" for _ in range(calls)
        ]
        urls += [
            f"/log/proof/consistency?from={self.rng.randrange(1, n)}&to={n}" for _ in range(calls)
        ]
        profiler.enable()
        for url in urls:
            self.client.get(url)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(18)
        return out.getvalue()


# ---------------------------------------------------------------- report
PROOF_SERIES = ("inclusion_http", "inclusion_service", "consistency_http", "consistency_service")
ROWS: list[tuple[str, str]] = [
    ("inclusion_http", "inclusion proof, HTTP"),
    ("inclusion_service", "inclusion proof, service"),
    ("inclusion_compute", "inclusion proof, hashing only"),
    ("consistency_http", "consistency proof, HTTP"),
    ("consistency_service", "consistency proof, service"),
    ("consistency_compute", "consistency proof, hashing only"),
    ("checkpoint_fresh", "checkpoint, newly signed"),
    ("checkpoint_cached", "checkpoint, unchanged tree"),
]


def table(results: list[SizeResult], summary: dict[str, Any]) -> str:
    width = 20
    head = f"{'':34}" + "".join(f"{r.size:>{width},}" for r in results)
    lines = [head, "-" * len(head)]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"{label:34}" + "".join(f"{c:>{width}}" for c in cells))

    row("bulk load, entries/s", [f"{r.bulk_rate:,.0f}" for r in results])
    row("single appends/s (commit each)", [f"{r.append_rate:,.0f}" for r in results])
    row(
        "single append p50/p95/max ms",
        [_triple(r.append_latency) if r.append_latency else "-" for r in results],
    )
    lines.append(f"{'latency ms: p50 / p95 / max':34}")
    for key, label in ROWS:
        row("  " + label, [_triple(r.latency.get(key)) for r in results])
    row(
        "mean hashes per proof (incl/cons)",
        [f"{r.hashes['inclusion']:.1f} / {r.hashes['consistency']:.1f}" for r in results],
    )
    row("full root re-derivation, s", [f"{r.full_root_seconds:.2f}" for r in results])
    lines.append("-" * len(head))
    scaling = summary.get("scaling")
    if scaling:
        lines.append(
            f"scaling {scaling['from']:,} -> {scaling['to']:,}: log2 size ratio "
            f"{scaling['log2_ratio']:.2f} (linear would be {scaling['linear_ratio']:,.0f})"
        )
        for p in (95, 50):
            ratios = scaling[f"p{p}_ratio"]
            lines.append(
                f"  p{p} ratio: "
                + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in ratios.items())
            )
    target = summary["target"]
    lines.append(
        f"target proofs <= {TARGET_MS:g} ms (DESIGN §9, p95 over HTTP at {target['size']:,}): "
        + ", ".join(f"{k} {v['p95_ms']:.2f} ms {v['verdict']}" for k, v in target["proofs"].items())
        + f" => {target['verdict']}"
    )
    lines.append(f"verified: {summary['verified']}")
    return "\n".join(lines)


def _triple(stats: Stats | None) -> str:
    if stats is None:
        return "-"
    return f"{stats.pct(50):.2f}/{stats.pct(95):.2f}/{stats.samples[-1]:.1f}"


def summarise(results: list[SizeResult]) -> dict[str, Any]:
    first, last = results[0], results[-1]
    summary: dict[str, Any] = {}
    if last.size > first.size:
        summary["scaling"] = {
            "from": first.size,
            "to": last.size,
            "log2_ratio": round(math.log2(last.size) / math.log2(first.size), 3),
            "linear_ratio": last.size / first.size,
            **{
                f"p{p}_ratio": {
                    key: round(last.latency[key].pct(p) / first.latency[key].pct(p), 3)
                    for key in PROOF_SERIES
                }
                for p in (95, 50)
            },
        }
    proofs = {
        kind: {
            "p95_ms": round(last.latency[f"{kind}_http"].pct(95), 4),
            "verdict": "PASS" if last.latency[f"{kind}_http"].pct(95) <= TARGET_MS else "FAIL",
        }
        for kind in ("inclusion", "consistency")
    }
    summary["target"] = {
        "size": last.size,
        "limit_ms": TARGET_MS,
        "note": f"DESIGN §9 sets the target at 10 M entries; this run measures up to {last.size:,}",
        "proofs": proofs,
        "verdict": "PASS" if all(p["verdict"] == "PASS" for p in proofs.values()) else "FAIL",
    }
    totals: dict[str, int] = {}
    for r in results:
        for key, count in r.verified.items():
            totals[key] = totals.get(key, 0) + count
    summary["verified"] = ", ".join(f"{k} {v}" for k, v in totals.items()) + " - all OK"
    return summary


# ---------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--max", type=int, default=MILESTONES[-1], help="stop at this log size (default 1,000,000)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=5_000,
        help="entries per append_many transaction in the bulk load",
    )
    parser.add_argument(
        "--appends",
        type=int,
        default=2_000,
        help="single-entry committed appends measured at each size",
    )
    parser.add_argument(
        "--writers",
        type=int,
        default=50,
        help="concurrent writers at each size (0: no concurrent run)",
    )
    parser.add_argument(
        "--writer-appends",
        type=int,
        default=40,
        help="business transactions (one append each) per concurrent writer",
    )
    parser.add_argument(
        "--procs",
        type=int,
        default=2,
        help="processes the concurrent writers are spread over, threads inside each "
        "(default 2: one a core, as `gunicorn -w 2 --threads 25` would run them)",
    )
    parser.add_argument(
        "--sequencing",
        choices=["all", *ledger_writers.MODES],
        default="all",
        help="how the concurrent writers' entries are numbered: in their transaction "
        "(append), by the sequencer in batches (batched), not at all (no log: the "
        "machine's ceiling), or one run of each (all)",
    )
    parser.add_argument(
        "--only-concurrent",
        action="store_true",
        help="at each size only the bulk load and the concurrent run",
    )
    parser.add_argument(
        "--proofs", type=int, default=2_000, help="calls per proof kind and layer at each size"
    )
    parser.add_argument(
        "--checkpoints",
        type=int,
        default=200,
        help="checkpoint requests of each kind (fresh, cached) at each size",
    )
    parser.add_argument(
        "--verify",
        type=int,
        default=100,
        help="proofs of each kind and layer checked with registry.ledger.verify",
    )
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help="skip `registry log verify` over the whole store at the end",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="cProfile N HTTP proofs of each kind at the largest size",
    )
    parser.add_argument("--seed", type=int, default=9162)
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/)")
    args = parser.parse_args(argv)
    if args.max < 100:
        parser.error("--max must be at least 100")
    return args


def milestones(limit: int) -> list[int]:
    sizes = [m for m in MILESTONES if m <= limit]
    return sizes if sizes and sizes[-1] == limit else [*sizes, limit]


def measure_size(bench: Bench, url: str, target: int) -> SizeResult:
    """Grow the log to `target` and measure there (only the concurrent run with
    `--only-concurrent`)."""
    args = bench.args
    room = target - bench.size()
    concurrent = sum(plan.entries for plan in bench.concurrent_plans())
    checkpoints = 0 if args.only_concurrent else min(args.checkpoints, room // 4)
    appends = 0 if args.only_concurrent else min(args.appends, room // 4)
    if concurrent > room // 2:
        raise SystemExit(f"{concurrent:,} concurrent appends do not fit below {target:,}")
    result = SizeResult(size=target)
    load = room - appends - checkpoints - concurrent
    log(f"size {target:,}: bulk load {load:,} entries")
    bench.bulk_load(load, result)
    # what autovacuum would have done to a log that grew over months, not minutes
    vacuum_analyze(url, "log_entries", "log_nodes", "log_head")
    if concurrent:
        log(f"size {target:,}: {args.writers} writers x {args.writer_appends} appends at once")
        bench.concurrent_appends(url, result)
    if args.only_concurrent:
        assert bench.size() == target
        return result
    log(f"size {target:,}: {appends:,} single appends, {checkpoints} fresh checkpoints")
    bench.single_appends(appends, result)
    bench.fresh_checkpoints(checkpoints, result)
    assert bench.size() == target
    bench.cached_checkpoints(max(checkpoints, 1), result)
    log(f"size {target:,}: {args.proofs:,} proofs of each kind, HTTP and service")
    bench.proofs(result)
    log(f"size {target:,}: re-deriving the root from every entry")
    bench.full_root(result)
    ih, ch = result.latency["inclusion_http"], result.latency["consistency_http"]
    log(
        f"size {target:,}: inclusion p95 {ih.pct(95):.2f} ms, "
        f"consistency p95 {ch.pct(95):.2f} ms, appends {result.append_rate:,.0f}/s"
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    shown = make_url(sqlalchemy_url(url)).render_as_string(hide_password=True)
    started = datetime.now(UTC)
    log(f"database {shown}: dropping and rebuilding schema public")
    pg_version = fresh_database(url)

    results: list[SizeResult] = []
    profile_text = audit_text = ""
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        # as a deployment sizes it: a pooled connection for every thread of a process
        threads = math.ceil(args.writers / max(1, min(args.procs, args.writers or 1)))
        pool = {"pool_size": max(5, threads + 1), "max_overflow": 10}
        app = make_app(url, Path(tmp), ("log",), LOG_ORIGIN=ORIGIN, SQLALCHEMY_ENGINE_OPTIONS=pool)
        bench = Bench(app, args)
        for target in milestones(args.max):
            results.append(measure_size(bench, url, target))
        if not args.no_audit:
            log("auditing the whole store (registry log verify)")
            seconds, what = bench.audit()
            audit_text = f"{what} OK in {seconds:.1f} s"
        if args.profile:
            log(f"profiling {args.profile} HTTP proofs of each kind")
            profile_text = bench.profile(results[-1].size, args.profile)
        with app.app_context():
            db.engine.dispose()

    summary = {} if args.only_concurrent else summarise(results)
    if audit_text:
        summary["audit"] = audit_text
    command = ledger_writers.describe_command(sys.argv[1:] if argv is None else argv)
    summary["command"] = command
    header = (
        f"ledger bench {started:%Y-%m-%d %H:%M} UTC - PostgreSQL {pg_version} ({shown}), "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"bulk batches of {args.batch:,}, {args.proofs:,} proofs per kind and layer\n"
        f"command: {command}"
    )
    print(header)
    if not args.only_concurrent:
        print(table(results, summary))
    for r in results:
        for c in r.concurrent:
            print(f"concurrent writers at {r.size:,} entries, " + "\n".join(c.lines()))
        if r.concurrent:
            spent = ledger_writers.hashing_us(label_entry, r.size)
            print(f"  encoding and hashing an entry (CPU, no database): {spent:.0f} µs")
        rates = {c.mode: c.rate for c in r.concurrent}
        if "batched" in rates and "append" in rates:
            print(f"  batched / append: {rates['batched'] / rates['append']:.1f}x the rate")
        if "batched" in rates and "no log" in rates:
            print(f"  batched / no log: {rates['batched'] / rates['no log']:.0%} of the ceiling")
    if audit_text:
        print(f"audit (registry log verify): {audit_text}")
    if profile_text:
        print("\ncProfile of the HTTP proof path (top functions by own time):")
        print(profile_text)

    out = args.out or RESULTS / f"ledger-{started:%Y-%m-%d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "ledger",
        "started": started.isoformat(timespec="seconds"),
        "database": shown,
        "postgresql": pg_version,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sizes": [r.as_dict() for r in results],
        "summary": summary,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
