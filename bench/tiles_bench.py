"""Publishing the log as static tiles (DESIGN.md §6b; §9: "tiles written as fast as the log
grows"): time to publish a log of N entries from scratch, then incrementally after it grows,
against the rate the log itself grows at by bulk appends, on PostgreSQL and the local store.

    .venv/bin/python bench/tiles_bench.py                    # 1,000,000 entries
    .venv/bin/python bench/tiles_bench.py --size 200000      # quicker
    .venv/bin/python bench/tiles_bench.py --store s3://bucket/prefix   # another store

The database named by BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/registry_bench_tiles) is created if missing and its
`public` schema is DROPPED and rebuilt with the app's Alembic migrations on every run. The
tiles go to a temporary folder (or --store). Progress goes to stderr, figures to stdout and,
as JSON, to bench/results/tiles-<date>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import RESULTS, checkout, fresh_database, log, make_app, vacuum_analyze
from registry.db import db
from registry.keys import keystore
from registry.ledger import publish, service, tiles
from registry.storage import Store
from registry.storage.config import from_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench_tiles"
ORIGIN = "bench.phatthaithap.vn/log"
BATCH = 10_000  # entries per append_many while loading


def label_entry(n: int) -> tuple[str, str, str, Mapping[str, Any]]:
    """A `label.issued` entry like the ledger bench's (about 280 bytes)."""
    serial = f"DOSON26-{n:08d}"
    data = {
        "serial": serial,
        "batch": f"B26-DOSON-{n // 5_000:04d}",
        "lot": f"L2605{n // 50_000:02d}",
        "gtin": "08930000001234",
        "g_co2e_per_kg": 812 + n % 97,
        "reduction": 315 + n % 41,
        "methodology": "VN-AWD-2025",
        "verifier": "VRF-CTU",
    }
    return ("label.issued", "HTX-DOSON", serial, data)


def grow(count: int) -> float:
    """Append ``count`` entries in committed batches; returns the seconds taken."""
    began = time.perf_counter()
    have = service.size(db.session)
    for start in range(have, have + count, BATCH):
        end = min(start + BATCH, have + count)
        service.append_many(db.session, [label_entry(n) for n in range(start, end)])
        db.session.commit()
    return time.perf_counter() - began


def run_publish(store: Store, label: str, profile: bool = False) -> dict[str, Any]:
    note = service.checkpoint(db.session, ORIGIN, keystore().private("log"))
    db.session.commit()
    profiler = cProfile.Profile() if profile else None
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    done = publish.publish(db.session, store, note)
    seconds = time.perf_counter() - began
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        log(out.getvalue())
    grown = done.size - done.previous
    figure = {
        "what": label,
        "size": done.size,
        "from": done.previous,
        "tiles": done.written,
        "removed": done.removed,
        "seconds": round(seconds, 3),
        "entries_per_s": round(grown / seconds) if grown and seconds else None,
    }
    rate = f", {figure['entries_per_s']:,} entries/s" if figure["entries_per_s"] else ""
    print(
        f"{label:<34} {done.previous:>9,} -> {done.size:>9,}: {done.written:>6,} tiles "
        f"in {seconds:8.3f} s{rate}"
    )
    return figure


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="entries before publishing")
    parser.add_argument("--grow", type=int, default=10_000, help="growth before the increment")
    parser.add_argument("--steps", type=int, default=5, help="small increments of --step")
    parser.add_argument("--step", type=int, default=1_000)
    parser.add_argument("--store", default="", help="STORAGE_URL (default: a temporary folder)")
    parser.add_argument("--profile", action="store_true", help="profile the first publication")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    version = fresh_database(url)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tiles-bench-") as folder:
        app = make_app(url, Path(folder), keys=("log",), LOG_ORIGIN=ORIGIN)
        store = from_url(args.store or f"file://{folder}/files", folder)
        with app.app_context():
            log(f"loading {args.size:,} entries")
            load_seconds = grow(args.size)
            append_rate = args.size / load_seconds
            vacuum_analyze(url, "log_entries", "log_nodes")
            print(f"PostgreSQL {version}; {checkout()}; store {args.store or 'local folder'}")
            print(f"log grows by append_many at {append_rate:,.0f} entries/s, {BATCH:,} a batch")
            figures = [run_publish(store, "from scratch", args.profile)]
            figures.append(run_publish(store, "again, nothing new"))
            grow(args.grow)
            figures.append(run_publish(store, f"after {args.grow:,} more entries"))
            steps = []
            for _ in range(args.steps):
                grow(args.step)
                steps.append(run_publish(store, f"after {args.step:,} more entries"))
            figures += steps
    scratch = figures[0]
    median_step = statistics.median(step["seconds"] for step in steps) if steps else None
    print(
        f"\nfrom scratch: {scratch['seconds']:.1f} s for {scratch['size']:,} entries "
        f"({scratch['tiles']:,} tiles), {scratch['entries_per_s'] / append_rate:.2f}x the rate "
        "the log grows at by bulk appends"
    )
    if median_step is not None:
        print(f"increment of {args.step:,} entries: median {median_step * 1000:.0f} ms")
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores, shared)")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([sys.executable, *sys.argv]),
        "postgresql": version,
        "append_entries_per_s": round(append_rate),
        "publish": figures,
        "tiles_for_size": len(tiles.tiles(args.size)),
        "load": [round(load_before[0], 2), round(load_after[0], 2)],
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"tiles-{datetime.now(UTC):%Y%m%d}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
