"""Helpers the benchmarks share: progress logging, nearest-rank percentiles and timing, the
bench database (URLs, rebuild, VACUUM ANALYZE), the app on it, SQL capture and the checkout
measured.

The benchmarks run as ``python bench/<name>_bench.py``, so this folder is on sys.path and they
import it as ``common``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from registry import create_app
from registry.keys import KeyStore

RESULTS = Path(__file__).resolve().parent / "results"


# ---------------------------------------------------------------- progress and timing
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def pct(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    return samples[max(1, math.ceil(p / 100 * len(samples))) - 1]


@dataclass
class Stats:
    """Latencies in milliseconds."""

    samples: list[float]

    @classmethod
    def of(cls, samples_ns: list[int]) -> Stats:
        return cls(sorted(s / 1e6 for s in samples_ns))

    def pct(self, p: float) -> float:
        """Nearest-rank percentile."""
        return pct(self.samples, p)

    def triple(self, digits: int = 2) -> str:
        return f"{self.pct(50):.{digits}f}/{self.pct(95):.{digits}f}/{self.samples[-1]:.{digits}f}"

    def as_dict(self) -> dict[str, float]:
        return {
            "n": len(self.samples),
            "p50_ms": round(self.pct(50), 4),
            "p95_ms": round(self.pct(95), 4),
            "max_ms": round(self.samples[-1], 4),
            "mean_ms": round(sum(self.samples) / len(self.samples), 4),
        }


def timed(call: Callable[..., Any], *args: Any) -> tuple[int, Any]:
    """Nanoseconds taken by ``call(*args)``, and its result."""
    start = time.perf_counter_ns()
    result = call(*args)
    return time.perf_counter_ns() - start, result


# ---------------------------------------------------------------- database
def sqlalchemy_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return ("postgresql+psycopg" if scheme.startswith("postgres") else scheme) + "://" + rest


def libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def fresh_database(url: str) -> str:
    """Create the database if missing and empty its public schema; returns the PG version."""
    name = make_url(sqlalchemy_url(url)).database
    if not name:
        raise SystemExit(f"no database name in {url}")
    if name.startswith("test"):
        raise SystemExit(f"refusing to rebuild {name!r}: test suites use test* databases")
    with psycopg.connect(libpq_url(url), dbname="postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def vacuum_analyze(url: str, *tables: str) -> None:
    """``VACUUM ANALYZE`` of `tables`, or of the whole database when none are named."""
    statement = "VACUUM ANALYZE" + (" " + ", ".join(tables) if tables else "")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(statement)


# ---------------------------------------------------------------- app
def make_app(url: str, folder: Path, keys: Iterable[str] = (), **config: Any) -> Flask:
    """The app on the bench database, its schema migrated; its instance folder and keys live
    in `folder`, so nothing is written into the checkout. `config` adds settings; `keys`
    names the key purposes to generate."""
    os.environ["REGISTRY_INSTANCE"] = str(folder)
    app = create_app(
        {
            "SECRET_KEY": "bench-not-secret",
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
            "KEYS_DIR": str(folder / "keys"),
            **config,
        }
    )
    store = KeyStore(folder / "keys")
    for purpose in keys:
        store.generate(purpose)
    with app.app_context():
        upgrade()
    return app


# ---------------------------------------------------------------- SQL and checkout
@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (and parameters) sent while inside the block."""
    seen: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def checkout(folder: Path | None = None) -> str:
    """The commit measured (of `folder`, default the current directory's checkout), and
    whether its registry/ had uncommitted changes (read-only git)."""
    git = ["git", "-C", str(folder)] if folder else ["git"]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "registry"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (f" + {len(dirty)} uncommitted files in registry/" if dirty else "")
