"""The ledger bench's concurrent run (DESIGN.md §9: >= 2,000 appends per second from 50
concurrent writers, each still told its index).

`--writers` writers, spread over `--procs` forked processes (threads inside each), each run
`--writer-appends` business transactions the way a domain service does: add a business row,
flush, log its entry, keep the index on the row, commit. A transaction counts when
`commit()` has returned, that is when the writer may answer: its index is known and its
entry durable. The run is made three times on the same log, one way after the other:

- `append`: `service.append` numbers the entry inside the transaction and holds the log
  head's lock until the commit (every write before issue 22);
- `batched`: `sequencer.submit` puts the entry in the pool with the business row; after the
  commit the writers of a process take turns numbering everything committed, in batches;
- `no log`: the same business transactions without a log entry, the ceiling any way of
  logging is measured against on this machine.

While the writers run, a sampler reads `pg_stat_activity` every few milliseconds and counts
what their backends are doing (running, waiting for a lock, for the WAL, for the client);
afterwards every acknowledged index is checked against the stored entry and the business
row, and the log against gaps.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import BigInteger, Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common import Stats, libpq_url
from registry.db import db
from registry.ledger import sequencer, service, tree
from registry.ledger.models import LogEntry, LogPending
from registry.ledger.rfc9162 import leaf_hash

PHASES = ("business row", "log call", "commit until acknowledged")
MODES = ("append", "batched", "no log")
SAMPLE_SECONDS = 0.005

EntryMaker = Callable[[int], tuple[str, str, str, Mapping[str, Any]]]


class BenchBase(DeclarativeBase):
    """The bench's own tables, apart from the app's metadata and migrations."""


class BenchWrite(BenchBase):
    """A business row (a table of the bench's own, so that no domain's rules get in the
    way) that keeps its log index as the domains' rows do."""

    __tablename__ = "bench_writes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    writer: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    serial: Mapped[str] = mapped_column(String(40))
    log_index: Mapped[int] = mapped_column(BigInteger)


@dataclass(frozen=True)
class Plan:
    mode: str  # a key of MODES
    writers: int
    procs: int
    per_writer: int
    make: EntryMaker
    first_serial: int

    @property
    def entries(self) -> int:
        """Entries the run adds to the log (one warm-up transaction a writer)."""
        return 0 if self.mode == "no log" else self.writers * (self.per_writer + 1)

    def serials(self, writer: int) -> int:
        return self.first_serial + writer * (self.per_writer + 1)


@dataclass
class Acknowledged:
    """What a writer was told: the index of the entry it logged for business row `row`."""

    index: int
    row: int
    subject: str


@dataclass
class WriterLog:
    latencies: list[int] = field(default_factory=list)  # ns, start to commit returned
    phases: dict[str, list[int]] = field(default_factory=lambda: {p: [] for p in PHASES})
    acknowledged: list[Acknowledged] = field(default_factory=list)
    ended: int = 0  # time.monotonic_ns() at the last commit
    error: str = ""


@dataclass
class ConcurrentResult:
    mode: str
    writers: int
    procs: int
    per_writer: int
    seconds: float
    latency: Stats
    phases_ms: dict[str, float]
    waits: dict[str, float]
    cpu_ms: dict[str, float]  # CPU time an acknowledged append, by where it was spent
    verified: int
    size_after: int
    load: str

    @property
    def rate(self) -> float:
        return self.writers * self.per_writer / self.seconds

    @property
    def checked(self) -> str:
        if self.mode == "no log":
            return "the log unchanged"
        return f"{self.verified:,} acknowledged indices hold their entries"

    @property
    def cpu_bound(self) -> float:
        """Appends per second if the machine's cores did nothing but this CPU work."""
        spent = sum(self.cpu_ms.values()) / 1e3
        return (os.cpu_count() or 1) / spent if spent else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "writers": self.writers,
            "processes": self.procs,
            "transactions_per_writer": self.per_writer,
            "seconds": round(self.seconds, 3),
            "appends_per_s": round(self.rate, 1),
            "latency_to_acknowledged_index": self.latency.as_dict(),
            "client_phases_mean_ms": self.phases_ms,
            "backend_states_pct": self.waits,
            "cpu_ms_per_append": self.cpu_ms,
            "cpu_bound_appends_per_s": round(self.cpu_bound, 1),
            "verified_acknowledged": self.verified,
            "log_size_after": self.size_after,
            "load": self.load,
        }

    def lines(self) -> list[str]:
        lat = self.latency
        return [
            f"{self.mode}: {self.writers} writers ({self.procs} processes) x {self.per_writer}"
            f" business transactions, log size after {self.size_after:,}",
            f"  appends/s {self.rate:,.0f} (target 2,000); latency to the acknowledged index"
            f" p50 {lat.pct(50):.1f} ms, p95 {lat.pct(95):.1f} ms, max {lat.samples[-1]:.1f} ms",
            "  client time, mean ms: "
            + ", ".join(f"{k} {v:.2f}" for k, v in self.phases_ms.items()),
            "  CPU an append, ms: "
            + ", ".join(f"{k} {v:.2f}" for k, v in self.cpu_ms.items())
            + f" -> at most {self.cpu_bound:,.0f} appends/s on {os.cpu_count()} cores",
            "  writers' backends (share of samples): "
            + ", ".join(f"{k} {v:.0f}%" for k, v in self.waits.items() if v >= 1),
            f"  verified: {self.checked}, 0..n gapless",
            f"  load: {self.load}",
        ]


def hashing_us(make: EntryMaker, size: int, batch: int = 25, batches: int = 200) -> float:
    """Microseconds of CPU an entry spends in encoding and hashing (leaf and completed
    subtrees) when numbered in batches of `batch` onto a tree of `size` leaves: the work the
    head's lock cannot do without, measured apart from the database."""
    frontier = {key: bytes(32) for key in tree.extend_needs(size)}
    now = service.entry_time()
    start = time.process_time()
    for b in range(batches):
        entries = [make(b * batch + i) for i in range(batch)]
        leaves = [leaf_hash(service.encode_entry(t, now, a, s, d)) for t, a, s, d in entries]
        tree.extended_nodes(size, leaves, frontier)
    return (time.process_time() - start) / (batch * batches) * 1e6


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


# ---------------------------------------------------------------- one writer
def business_transaction(
    writer: int, seq: int, serial: int, plan: Plan
) -> tuple[Acknowledged, list[int]]:
    """One write as a domain service does it; returns what the writer is told and the time
    (ns) of each phase."""
    session = db.session
    t0 = time.perf_counter_ns()
    kind, actor, subject, data = plan.make(serial)
    row = BenchWrite(writer=writer, seq=seq, serial=subject, log_index=-1)
    session.add(row)
    session.flush()
    t1 = time.perf_counter_ns()
    row_id, entry, index = row.id, {**data, "row": row.id}, -1
    if plan.mode == "batched":
        pending = sequencer.submit(session, kind, actor, subject, entry, [(row, "log_index")])
    elif plan.mode == "append":
        row.log_index = index = service.append(session, kind, actor, subject, entry)
    t2 = time.perf_counter_ns()
    session.commit()  # returns once the entry is numbered and durable: the writer may answer
    t3 = time.perf_counter_ns()
    if plan.mode == "batched":
        assert pending.index is not None and row.log_index == pending.index
        index = pending.index
    return Acknowledged(index, row_id, subject), [t1 - t0, t2 - t1, t3 - t2]


def run_writer(app: Flask, writer: int, plan: Plan, ready: Any, go: Any) -> WriterLog:
    out = WriterLog()
    serial = plan.serials(writer)
    with app.app_context():
        try:
            business_transaction(writer, -1, serial, plan)  # warm-up: pool, statements
            ready.put(writer)
            go.wait()
            for seq in range(plan.per_writer):
                start = time.perf_counter_ns()
                ack, phases = business_transaction(writer, seq, serial + 1 + seq, plan)
                out.latencies.append(time.perf_counter_ns() - start)
                for name, spent in zip(PHASES, phases, strict=True):
                    out.phases[name].append(spent)
                out.acknowledged.append(ack)
            out.ended = time.monotonic_ns()
        except Exception as exc:  # reported by the parent, which stops the run
            out.error = f"writer {writer}: {exc!r}"
            ready.put(writer)
            db.session.rollback()
        finally:
            db.session.remove()
    return out


def run_process(app: Flask, writers: list[int], plan: Plan, signals: Any, out: Any) -> None:
    """A forked child: its own connections, one thread a writer, logs sent to the parent;
    it keeps its connections until the parent has read their backends' CPU time."""
    ready, go, release = signals
    with app.app_context():
        db.engine.dispose(close=False)  # never use the parent's sockets
    logs: list[WriterLog] = [WriterLog() for _ in writers]

    def work(slot: int, writer: int) -> None:
        logs[slot] = run_writer(app, writer, plan, ready, go)

    threads = [threading.Thread(target=work, args=(s, w)) for s, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    go.wait()
    cpu = time.process_time()  # every thread of this process, writers and their rounds
    for thread in threads:
        thread.join()
    out.put((logs, time.process_time() - cpu))
    release.wait()


# ---------------------------------------------------------------- the sampler
class Sampler(threading.Thread):
    """Counts what the bench database's other client backends are doing, every few ms."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.counts: Counter[str] = Counter()
        self.stop = threading.Event()
        self.started: dict[int, float] = {}  # backend pid -> its CPU seconds when first seen
        self.cpu = 0.0  # CPU seconds the writers' backends used while sampled

    def run(self) -> None:
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            query = (
                "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            while not self.stop.is_set():
                for pid, state, kind, event in conn.execute(query):
                    self.counts[classify(state, kind, event)] += 1
                    if pid not in self.started:
                        self.started[pid] = cpu_seconds(pid)
                time.sleep(SAMPLE_SECONDS)
        self.cpu = sum(cpu_seconds(pid) - was for pid, was in self.started.items())

    def shares(self) -> dict[str, float]:
        total = sum(self.counts.values()) or 1
        return {k: round(100 * v / total, 1) for k, v in self.counts.most_common()}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a local process (a PostgreSQL backend), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def classify(state: str | None, kind: str | None, event: str | None) -> str:
    if state == "active" and kind is None:
        return "running"
    if kind == "Lock":
        return f"lock wait ({event})"
    if kind == "LWLock" and event and event.startswith("WAL"):
        return f"WAL lock ({event})"
    if kind == "IO" and event and event.startswith("WAL"):
        return f"WAL I/O ({event})"
    if state == "idle in transaction":
        return "in a transaction, waiting for the client"
    if state == "idle":
        return "between transactions"
    return f"{state} {kind}:{event}"


# ---------------------------------------------------------------- the run
def run(app: Flask, url: str, plan: Plan) -> ConcurrentResult:
    """Run `plan` on the app's database (its log as it is) and check what writers were told."""
    with app.app_context():
        BenchBase.metadata.drop_all(db.engine)
        BenchBase.metadata.create_all(db.engine)
        db.session.remove()
        db.engine.dispose()  # the children open their own connections
    ctx = mp.get_context("fork")
    ready, go, release, out = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue()
    procs = max(1, min(plan.procs, plan.writers))
    children = [
        ctx.Process(
            target=run_process,
            args=(app, list(range(plan.writers))[p::procs], plan, (ready, go, release), out),
        )
        for p in range(procs)
    ]
    for child in children:
        child.start()
    for _ in range(plan.writers):
        ready.get()  # every writer has made its warm-up transaction (or failed)
    load_before = uptime()
    sampler = Sampler(url)
    sampler.start()
    started = time.monotonic_ns()
    go.set()
    reports = [out.get() for _ in children]
    logs = [log for found, _ in reports for log in found]
    sampler.stop.set()
    sampler.join()
    release.set()
    for child in children:
        child.join()
    load_after = uptime()
    errors = [w.error for w in logs if w.error]
    if errors:
        raise SystemExit("concurrent run failed: " + "; ".join(errors[:3]))
    told = [] if plan.mode == "no log" else [a for w in logs for a in w.acknowledged]
    verified, size_after = verify(app, told)
    latencies = [n for w in logs for n in w.latencies]
    return ConcurrentResult(
        mode=plan.mode,
        writers=plan.writers,
        procs=procs,
        per_writer=plan.per_writer,
        seconds=(max(w.ended for w in logs) - started) / 1e9,
        latency=Stats.of(latencies),
        phases_ms={
            p: round(sum(sum(w.phases[p]) for w in logs) / len(latencies) / 1e6, 3) for p in PHASES
        },
        waits=sampler.shares(),
        cpu_ms={
            "writers' processes": round(sum(cpu for _, cpu in reports) / len(latencies) * 1e3, 3),
            "their PostgreSQL backends": round(sampler.cpu / len(latencies) * 1e3, 3),
        },
        verified=verified,
        size_after=size_after,
        load=f"before: {load_before} | after: {load_after}",
    )


def verify(app: Flask, acknowledged: list[Acknowledged]) -> tuple[int, int]:
    """Every acknowledged index holds its writer's entry and is on its business row; the
    stored indices run 0..size-1 without a gap, and nothing is left in the pool."""
    with app.app_context():
        session = db.session
        size = service.size(session)
        count, low, high = session.execute(
            select(func.count(), func.min(LogEntry.index), func.max(LogEntry.index))
        ).one()
        if (count, low, high) != (size, 0, size - 1):
            raise SystemExit(f"log not gapless: size {size}, entries {count} in {low}..{high}")
        waiting = session.scalar(
            select(func.count()).select_from(LogPending).where(LogPending.log_index.is_(None))
        )
        if waiting:
            raise SystemExit(f"{waiting} entries are still in the pool after the run")
        rows = dict(session.execute(select(BenchWrite.id, BenchWrite.log_index)).all())
        entries = dict(
            session.execute(
                select(LogEntry.index, LogEntry.entry).where(
                    LogEntry.index.in_([a.index for a in acknowledged])
                )
            ).all()
        )
        session.rollback()
    for ack in acknowledged:
        stored = json.loads(entries[ack.index])
        told = (stored["subject"], stored["data"]["row"], rows[ack.row])
        if told != (ack.subject, ack.row, ack.index):
            raise SystemExit(f"acknowledged index {ack.index} does not hold row {ack.row}'s entry")
    if len({a.index for a in acknowledged}) != len(acknowledged):
        raise SystemExit("two writers were told the same index")
    return len(acknowledged), size


def describe_command(argv: list[str]) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    prefix = f"BENCH_DATABASE_URL={url} " if url else ""
    return prefix + ".venv/bin/python bench/ledger_bench.py " + " ".join(argv)
