"""Traceability benchmark: a batch's upstream (batches.ancestor_ids) and its EPCIS export
(batches.upstream_document) for batches with 10, 100 and 1,000 ancestors, on PostgreSQL.

    .venv/bin/python bench/trace_bench.py          # 50 background supply chains, 50 runs
    .venv/bin/python bench/trace_bench.py --quick  # 5 background chains, 20 runs

The database named by BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/registry_bench_trace) is created if missing and its
`public` schema is DROPPED and rebuilt with the app's Alembic migrations on every run.
Progress goes to stderr; the table goes to stdout and, as JSON, to
bench/results/trace-<date>.json. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import enum
import gc
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine, make_url

from common import (
    RESULTS,
    captured,
    checkout,
    fresh_database,
    log,
    make_app,
    pct,
    sqlalchemy_url,
    vacuum_analyze,
)
from registry.accounts.models import OrgKind
from registry.db import GRAMS_PER_KG, M2_PER_HA, db, grams
from registry.trace import batches, capture, epcis
from registry.trace.models import (
    Batch,
    HandoverStatus,
    SeasonStatus,
    SeasonType,
    TraceEvent,
    trace_event_batches,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/registry_bench_trace"
BASE = "https://bench.phatthaithap.vn"
SIZES = (10, 100, 1_000)
TARGET_MS = 100.0  # what 1,000 ancestors may take (no DESIGN §9 figure: an export is a page)
FAN_IN = 8  # received lots per silo merge, silos per blend merge
START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[105.60, 10.00], [105.61, 10.00], [105.61, 10.01], [105.60, 10.00]]],
}


class Product(enum.StrEnum):
    """The crop catalogue's product codes this bench writes (registry/crops/catalogue)."""

    PADDY = "paddy"
    MILLED_RICE = "milled_rice"
    PACKAGED_RICE = "packaged_rice"


class Step(enum.StrEnum):
    """Harvest, split, merge and the catalogue's processing steps this bench writes."""

    HARVEST = "harvest"
    DRYING = "drying"
    MILLING = "milling"
    PACKING = "packing"
    SPLIT = "split"
    MERGE = "merge"


# ---------------------------------------------------------------- helpers
@dataclass
class Stats:
    """Latencies in milliseconds: wall clock, and the benchmark process's CPU time (which
    a busy machine inflates far less; the server's time is not in it)."""

    wall: list[float]
    cpu: list[float]

    @classmethod
    def of(cls, samples: list[tuple[int, int]]) -> Stats:
        return cls(sorted(w / 1e6 for w, _ in samples), sorted(c / 1e6 for _, c in samples))

    def as_dict(self) -> dict[str, float]:
        return {
            "n": len(self.wall),
            "p50_ms": round(pct(self.wall, 50), 3),
            "p95_ms": round(pct(self.wall, 95), 3),
            "max_ms": round(self.wall[-1], 3),
            "cpu_p50_ms": round(pct(self.cpu, 50), 3),
        }


def timed(call: Callable[..., Any], *args: Any) -> tuple[tuple[int, int], Any]:
    """Wall-clock and process CPU nanoseconds taken by ``call(*args)``, and its result."""
    wall, cpu = time.perf_counter_ns(), time.process_time_ns()
    result = call(*args)
    return (time.perf_counter_ns() - wall, time.process_time_ns() - cpu), result


# ---------------------------------------------------------------- building supply chains
@dataclass
class Made:
    """What events need to know about a batch that was made."""

    maker: str
    lot: str
    gtin: str | None
    row: dict[str, Any]


@dataclass
class Builder:
    """Rows of realistic supply chains, with explicit ids, for Core bulk inserts.

    Every batch gets what the services write: its row, its inputs (season or parent
    draws, the parents' remaining grams reduced), one EPCIS event document made by
    registry.trace.epcis and linked to the batch and its parents; hand-overs get their
    row and a shipping and a receiving event linked to the batch. Log indices are
    counted but the log itself is not filled (neither measured function reads it)."""

    rng: random.Random
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    made: dict[int, Made] = field(default_factory=dict)
    orgs: dict[int, str] = field(default_factory=dict)
    clock: datetime = START
    log_index: int = 0

    def add(self, table: str, **row: Any) -> int:
        return self.add_row(table, row)

    def add_row(self, table: str, row: dict[str, Any]) -> int:
        """Queue the row (the same dict: later changes to it are inserted too)."""
        self.ids[table] = self.ids.get(table, 0) + 1
        row["id"] = self.ids[table]
        self.rows.setdefault(table, []).append(row)
        return self.ids[table]

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=self.rng.randint(30, 900))
        self.log_index += 1
        return self.clock

    def org(self, kind: OrgKind, code: str) -> int:
        org_id = self.add(
            "organisations",
            code=code,
            name=f"Bench {code}",
            kind=kind,
            province="Cần Thơ",
            commune="xã Thới Lai",
            created_at=START,
        )
        self.orgs[org_id] = code
        return org_id

    def season(self, org_id: int, kg: float) -> int:
        """A field with its harvested 2026 winter–spring season."""
        self.tick()
        field_id = self.add(
            "fields",
            organisation_id=org_id,
            code="DS-01",
            planting_area_code=None,
            name="Ruộng bench",
            area_m2=M2_PER_HA,
            province="Cần Thơ",
            commune="xã Thới Lai",
            household=None,
            geometry=SQUARE,
            drawn_area_m2=M2_PER_HA,
            created_at=START,
            log_index=self.log_index,
        )
        return self.add(
            "seasons",
            field_id=field_id,
            code="DS-01-2026-DX",
            crop="rice",
            season_type=SeasonType.DONG_XUAN,
            year=2026,
            sowing_date=date(2025, 12, 8),
            harvest_date=date(2026, 3, 12),
            harvested_g=grams(kg),
            status=SeasonStatus.HARVESTED,
            created_at=START,
        )

    def batch(
        self,
        org_id: int,
        product: Product,
        step: Step,
        kg: float,
        lot: str,
        parents: Sequence[tuple[int, float]] = (),
        season: int | None = None,
        gtin: str | None = None,
    ) -> int:
        """A batch made by `org_id` from parent draws (or one season draw), kg given as
        callers work them out and kept, as the services keep them, in whole grams."""
        when = self.tick()
        made = grams(kg)
        draws = [(parent, grams(drawn)) for parent, drawn in parents]
        row = {
            "organisation_id": org_id,
            "maker_id": org_id,
            "lot_code": lot,
            "product": product,
            "gtin": gtin,
            "step": step,
            "quantity_g": made,
            "remaining_g": made,
            "production_date": when.date(),
            "g_co2e_per_kg": 900.0,
            "baseline_g_co2e_per_kg": 1400.0,
            "derivation": derivation(step, made, draws),
            "at_risk_since": None,
            "at_risk_reason": None,
            "created_at": when,
            "log_index": self.log_index,
        }
        batch_id = self.add_row("batches", row)
        self.made[batch_id] = Made(self.orgs[org_id], lot, gtin, row)
        for parent, drawn in draws:
            self.add(
                "batch_inputs", batch_id=batch_id, season_id=None, parent_id=parent, grams=drawn
            )
            source = self.made[parent].row
            source["remaining_g"] -= drawn
            assert source["remaining_g"] >= 0, (parent, drawn)
        if season is not None:
            self.add(
                "batch_inputs", batch_id=batch_id, season_id=season, parent_id=None, grams=made
            )
        self.event(self.creation(batch_id, step, draws), [batch_id, *(p for p, _ in draws)])
        return batch_id

    def left_kg(self, batch_id: int) -> float:
        """What is left of the batch, in kg."""
        return self.made[batch_id].row["remaining_g"] / GRAMS_PER_KG

    def epcis_lot(self, batch_id: int, g: int | None = None) -> epcis.Lot:
        made = self.made[batch_id]
        g = made.row["quantity_g"] if g is None else g
        return epcis.Lot(made.maker, made.lot, made.gtin, g / GRAMS_PER_KG)

    def creation(
        self, batch_id: int, step: Step, draws: Sequence[tuple[int, int]]
    ) -> dict[str, Any]:
        """The event the services store when the batch is made."""
        made, eid = self.made[batch_id], epcis.new_event_id()
        if step is Step.HARVEST:
            return epcis.harvest_event(
                BASE,
                eid,
                self.clock,
                made.maker,
                self.epcis_lot(batch_id),
                ["DS-01"],
                ["DS-01-2026-DX"],
            )
        inputs = [self.epcis_lot(p, g) for p, g in draws]
        if step is Step.PACKING:
            return epcis.packing_event(
                BASE, eid, self.clock, made.maker, self.epcis_lot(batch_id), inputs
            )
        return epcis.transformation_event(
            BASE, eid, self.clock, made.maker, step.value, inputs, [self.epcis_lot(batch_id)]
        )

    def event(self, document: dict[str, Any], linked: Sequence[int]) -> None:
        made = self.made[linked[0]]
        event_id = self.add(
            "trace_events",
            event_id=document["eventID"],
            type=document["type"],
            biz_step=document.get("bizStep"),
            event_time=epcis.parse_time(document["eventTime"]),
            organisation_id=made.row["organisation_id"],
            document=document,
            captured=False,
            log_index=self.log_index,
        )
        for batch_id in dict.fromkeys(linked):
            self.rows.setdefault("trace_event_batches", []).append(
                {"event_id": event_id, "batch_id": batch_id}
            )

    def ship(self, batch_id: int, receiver: int) -> None:
        """An accepted hand-over: the row, a shipping and a receiving event."""
        row = self.made[batch_id].row
        sender = row["organisation_id"]
        sent_at = self.tick()
        handover = self.add(
            "handovers",
            batch_id=batch_id,
            sender_id=sender,
            receiver_id=receiver,
            status=HandoverStatus.ACCEPTED,
            note=None,
            reason=None,
            created_at=sent_at,
            decided_at=sent_at + timedelta(hours=3),
            log_index=self.log_index,
            decided_log_index=self.log_index + 1,
        )
        lot, sender_code, receiver_code = (
            self.epcis_lot(batch_id),
            self.orgs[sender],
            self.orgs[receiver],
        )
        out = epcis.shipping_event(
            BASE, epcis.new_event_id(), sent_at, sender_code, receiver_code, lot, handover
        )
        self.event(out, [batch_id])
        row["organisation_id"] = receiver
        received = epcis.receiving_event(
            BASE, epcis.new_event_id(), self.tick(), sender_code, receiver_code, lot, True
        )
        self.event(received, [batch_id])


def derivation(step: Step, made: int, draws: Sequence[tuple[int, int]]) -> dict[str, Any]:
    """What batches.py records of how the batch's grams came about (in kg)."""
    if not draws:
        season = {"season": "DS-01-2026-DX", "kg": made / GRAMS_PER_KG}
        return {"rule": step.value, "inputs": [season]}
    drawn = sum(g for _, g in draws)
    inputs = [{"batch": p, "kg": g / GRAMS_PER_KG} for p, g in draws]
    return {"rule": step.value, "yield": round(made / drawn, 6), "inputs": inputs}


def plan(ancestors: int) -> tuple[int, int]:
    """Deliveries L and padding splits p so that a tree-shaped chain has exactly
    `ancestors` ancestors: 3 per delivery (harvest, drying, shipped part), the merges,
    the milling run and p splits of the milled lot."""
    deliveries = 1
    while base_count(deliveries + 1) <= ancestors:
        deliveries += 1
    padding = ancestors - base_count(deliveries)
    if padding < 0:
        raise SystemExit(f"cannot build {ancestors} ancestors (at least {base_count(1)})")
    return deliveries, padding


def merge_levels(leaves: int) -> list[int]:
    """How many merges each level of the silo tree has (fan-in at most FAN_IN)."""
    levels, nodes = [], leaves
    while nodes > 1:
        nodes = math.ceil(nodes / FAN_IN)
        levels.append(nodes)
    return levels


def base_count(deliveries: int) -> int:
    return 3 * deliveries + sum(merge_levels(deliveries)) + 1


def groups(items: list[int], count: int) -> list[list[int]]:
    """`items` in `count` groups as equal as possible (so no merge has one input)."""
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for n in range(count):
        end = start + size + (1 if n < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def tree_chain(b: Builder, world: int, ancestors: int) -> int:
    """HTX harvests dried and partly shipped to a mill, merged in silos and a blend,
    milled, the milled lot split into bins, one bin packed: the packed lot has exactly
    `ancestors` ancestors. Around it, what real chains have too: other shipments of the
    same dried paddy to another mill, other milling runs of the blend, other packings of
    the milled lot; these are linked to ancestors but are not ancestors."""
    deliveries, padding = plan(ancestors)
    mill = b.org(OrgKind.PROCESSOR, f"MILL-{world:03d}")
    other_mill = b.org(OrgKind.PROCESSOR, f"MILL-{world:03d}-B")
    shop = b.org(OrgKind.RETAILER, f"SHOP-{world:03d}")
    received = [delivery(b, world, n, mill, other_mill) for n in range(deliveries)]
    blend = merge_tree(b, mill, received)
    milled = mill_runs(b, mill, blend)
    bins = milled
    for k in range(padding):
        kg = b.left_kg(bins) * 0.9
        bins = b.batch(
            mill, Product.MILLED_RICE, Step.SPLIT, kg, f"BIN-{k + 1}", [(bins, round(kg, 3))]
        )
    kg = round(b.left_kg(bins) * 0.5, 3)
    target = b.batch(
        mill,
        Product.PACKAGED_RICE,
        Step.PACKING,
        kg * 0.99,
        "TUI-1",
        [(bins, kg)],
        gtin=gtin(world),
    )
    b.ship(target, shop)
    return target


def delivery(b: Builder, world: int, n: int, mill: int, other_mill: int) -> int:
    """One HTX's harvest, dried, part shipped to the mill (and now and then another
    part to another mill, which mills it); returns the part the mill received."""
    htx = b.org(OrgKind.PRODUCER, f"HTX-{world:03d}-{n:04d}")
    kg = round(b.rng.uniform(4_000, 8_000), 3)
    harvest = b.batch(htx, Product.PADDY, Step.HARVEST, kg, "LUA-1", season=b.season(htx, kg))
    dry_kg = kg * b.rng.uniform(0.85, 0.95)
    dried = b.batch(htx, Product.PADDY, Step.DRYING, dry_kg, "LUA-1-K", [(harvest, kg)])
    left = b.left_kg(dried)
    part = round(left * b.rng.uniform(0.6, 0.9), 3)
    sent = b.batch(htx, Product.PADDY, Step.SPLIT, part, "LUA-1-K-1", [(dried, part)])
    b.ship(sent, mill)
    if b.rng.random() < 0.3:
        rest = round(b.left_kg(dried) * 0.5, 3)
        other = b.batch(htx, Product.PADDY, Step.SPLIT, rest, "LUA-1-K-2", [(dried, rest)])
        b.ship(other, other_mill)
        b.batch(
            other_mill, Product.MILLED_RICE, Step.MILLING, rest * 0.65, f"B-{n}", [(other, rest)]
        )
    return sent


def merge_tree(b: Builder, mill: int, lots: list[int]) -> int:
    """Received lots merged FAN_IN at a time into silos, silos into a blend."""
    level = 0
    while len(lots) > 1:
        level += 1
        merged = []
        for n, group in enumerate(groups(lots, math.ceil(len(lots) / FAN_IN))):
            parents = [(p, b.left_kg(p)) for p in group]
            kg = sum(k for _, k in parents)
            merged.append(
                b.batch(mill, Product.PADDY, Step.MERGE, kg, f"SILO-{level}-{n}", parents)
            )
        lots = merged
    return lots[0]


def mill_runs(b: Builder, mill: int, blend: int) -> int:
    """Four milling runs of the blend; the first one's lot is also packed ten times
    besides the chain to the measured pack. Returns the first run's milled lot."""
    total = b.left_kg(blend)
    runs = []
    for n, share in enumerate((0.4, 0.15, 0.15, 0.15)):
        kg = round(total * share, 3)
        runs.append(
            b.batch(
                mill, Product.MILLED_RICE, Step.MILLING, kg * 0.65, f"GAO-{n + 1}", [(blend, kg)]
            )
        )
    for run in runs:
        for k in range(10 if run == runs[0] else 5):
            kg = round(b.made[run].row["quantity_g"] / GRAMS_PER_KG * 0.02, 3)
            b.batch(
                mill, Product.PACKAGED_RICE, Step.PACKING, kg * 0.99, f"TUI-{run}-{k}", [(run, kg)]
            )
    return runs[0]


def chain(b: Builder, world: int, ancestors: int) -> int:
    """Worst case for the recursion: one harvest split `ancestors` times in a row."""
    htx = b.org(OrgKind.PRODUCER, f"HTX-{world:03d}-C")
    kg = 8_000.0
    lot = b.batch(htx, Product.PADDY, Step.HARVEST, kg, "LUA-C", season=b.season(htx, kg))
    for k in range(ancestors):
        kg = round(b.left_kg(lot) * 0.99, 3)
        lot = b.batch(htx, Product.PADDY, Step.SPLIT, kg, f"C-{k + 1}", [(lot, kg)])
    return lot


def gtin(world: int) -> str:
    """A GTIN-14 with a correct check digit."""
    body = f"0893{world:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


TABLES = (  # in foreign-key order
    "organisations",
    "fields",
    "seasons",
    "batches",
    "batch_inputs",
    "handovers",
    "trace_events",
    "trace_event_batches",
)


def load(engine: Engine, b: Builder) -> dict[str, int]:
    """Insert every row the builder made (Core, 5,000 rows a statement); move the
    id sequences past the explicit ids; return the row counts."""
    counts = {}
    with engine.begin() as conn:
        for name in TABLES:
            rows = b.rows.get(name, [])
            for start in range(0, len(rows), 5_000):
                conn.execute(insert(db.metadata.tables[name]), rows[start : start + 5_000])
            counts[name] = len(rows)
            if name != "trace_event_batches":
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                    )
                )
    b.rows.clear()
    return counts


# ---------------------------------------------------------------- checks
def check_balance() -> None:
    """Every batch's remaining grams = its quantity - what its children drew, exactly,
    and >= 0."""
    bad = db.session.scalar(
        text(
            "SELECT count(*) FROM batches b LEFT JOIN (SELECT parent_id, sum(grams) AS g "
            "FROM batch_inputs WHERE parent_id IS NOT NULL GROUP BY parent_id) c "
            "ON c.parent_id = b.id "
            "WHERE b.remaining_g <> b.quantity_g - coalesce(c.g, 0) OR b.remaining_g < 0"
        )
    )
    db.session.rollback()
    if bad:
        raise SystemExit(f"{bad} bench batches do not balance: the generator is wrong")


def check_target(target: int, ancestors: int, schema: bool) -> dict[str, Any]:
    """The target has exactly `ancestors` ancestors; its document holds every event linked
    to them but those NOT_UPSTREAM finds, and validates (`schema`)."""
    ids = batches.ancestor_ids(db.session, target)
    if len(ids) != ancestors + 1:
        raise SystemExit(f"batch {target}: {len(ids) - 1} ancestors, meant {ancestors}")
    batch = db.session.get(Batch, target)
    assert batch is not None
    document = batches.upstream_document(db.session, batch)
    events = document["epcisBody"]["eventList"]
    if schema and capture.problems(document):
        raise SystemExit(f"batch {target}: the EPCIS document does not validate")
    linked = db.session.scalar(
        text("SELECT count(DISTINCT event_id) FROM trace_event_batches WHERE batch_id = ANY(:ids)"),
        {"ids": ids},
    )
    aside = db.session.scalar(text(NOT_UPSTREAM), {"ids": ids})
    db.session.rollback()
    if len(events) != linked - aside:
        raise SystemExit(
            f"batch {target}: {len(events)} events exported, {linked} linked, {aside} not upstream"
        )
    return {
        "events": len(events),
        "not_upstream": aside,
        "document_kb": round(len(json.dumps(document)) / 1024, 1),
    }


# Exported events in which every ancestor they name is only the input of a batch that is
# not an ancestor (another mill's shipment split off a dried lot, another packing of the
# milled lot): they are linked to an ancestor, but are not the measured batch's history.
NOT_UPSTREAM = """
    SELECT count(DISTINCT l.event_id) FROM trace_event_batches l
    WHERE l.batch_id = ANY(:ids) AND NOT EXISTS (
        SELECT 1 FROM trace_event_batches own
        WHERE own.event_id = l.event_id AND own.batch_id = ANY(:ids) AND NOT EXISTS (
            SELECT 1 FROM trace_event_batches other
            JOIN batch_inputs i ON i.batch_id = other.batch_id AND i.parent_id = own.batch_id
            WHERE other.event_id = l.event_id AND NOT other.batch_id = ANY(:ids)))"""


# ---------------------------------------------------------------- measuring
def fresh_session() -> None:
    """End the transaction and forget loaded objects, as between two requests."""
    db.session.rollback()
    db.session.expunge_all()


def semi_join_events(session: Any, batch_ids: list[int]) -> list[TraceEvent]:
    """events_of as it was before this bench (kept to show what the change bought): a
    semi-join, and every event linked to a batch (also those that only drew on it)."""
    link = trace_event_batches
    wanted = select(link.c.event_id).where(link.c.batch_id.in_(batch_ids))
    query = select(TraceEvent).where(TraceEvent.id.in_(wanted)).order_by(TraceEvent.id)
    return list(session.scalars(query))


CALLS = ("ancestor_ids", "events_of", "upstream_document", "events_of before (semi-join)")


def measure(target: int, runs: int) -> dict[str, dict[str, float]]:
    """`runs` timed calls of each function (after one untimed warm-up), each in its own
    transaction with an empty identity map, as in a request."""
    samples: dict[str, list[tuple[int, int]]] = {name: [] for name in CALLS}
    for i in range(runs + 1):
        spent = {}
        spent["ancestor_ids"], ids = timed(batches.ancestor_ids, db.session, target)
        fresh_session()
        spent["events_of"], events = timed(batches.events_of, db.session, ids)
        found = [e.id for e in events]
        fresh_session()
        spent[CALLS[3]], before = timed(semi_join_events, db.session, ids)
        if not set(found) <= {e.id for e in before}:
            raise SystemExit(f"batch {target}: events_of found events the semi-join did not")
        fresh_session()
        batch = db.session.get(Batch, target)
        spent["upstream_document"], _ = timed(batches.upstream_document, db.session, batch)
        fresh_session()
        for name in CALLS if i else ():
            samples[name].append(spent[name])
    return {name: Stats.of(s).as_dict() for name, s in samples.items()}


PLAN_TIME = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


def explain(target: int) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement upstream_document sends."""
    batch = db.session.get(Batch, target)
    assert batch is not None
    with captured(db.engine) as statements:
        batches.upstream_document(db.session, batch)
    fresh_session()
    plans = []
    for statement, parameters in statements:
        conn = db.session.connection()
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [r[0] for r in rows]
        db.session.rollback()
        times = {m.group(1).lower(): float(m.group(2)) for m in map(PLAN_TIME.search, plan) if m}
        plans.append({"statement": statement, "plan": plan, **times})
    return plans


# ---------------------------------------------------------------- report
def table(doc: dict[str, Any]) -> str:
    lines = [
        f"{'shape':<6} {'ancestors':>9} {'events':>7} {'doc KB':>7}  {'function':<29}"
        f"{'p50 ms':>9} {'p95 ms':>9} {'cpu p50':>9}"
    ]
    for row in doc["targets"]:
        head = (
            f"{row['shape']:<6} {row['ancestors']:>9,} {row['events']:>7,} "
            f"{row['document_kb']:>7,.1f}  "
        )
        for name in CALLS:
            t = row["timings"][name]
            lines.append(
                f"{head}{name:<29}{t['p50_ms']:>9.2f} {t['p95_ms']:>9.2f} {t['cpu_p50_ms']:>9.2f}"
            )
            head = " " * len(head)
    lines.extend(doc["ratios"])
    aside = [f"{t['shape']} {t['ancestors']:,}: {t['not_upstream']:,}" for t in doc["targets"]]
    lines.append("exported events that are not the batch's history: " + ", ".join(aside))
    lines.append(doc["verdict"])
    return "\n".join(lines)


def ratios(targets: list[dict[str, Any]]) -> list[str]:
    """p50 at the largest size over p50 at the smallest, per shape and function."""
    out = []
    for shape in dict.fromkeys(t["shape"] for t in targets):
        rows = [t for t in targets if t["shape"] == shape]
        small, large = rows[0], rows[-1]
        scale = large["ancestors"] / small["ancestors"]
        parts = [
            f"{name} x{large['timings'][name]['p50_ms'] / small['timings'][name]['p50_ms']:.1f}"
            for name in CALLS[:3]
        ]
        out.append(
            f"ratio {shape} {large['ancestors']:,} / {small['ancestors']:,} ancestors "
            f"(x{scale:g} the batches, x{large['events'] / small['events']:.0f} the events), "
            "p50: " + ", ".join(parts)
        )
    return out


def verdict(targets: list[dict[str, Any]]) -> str:
    worst = max(
        t["timings"]["upstream_document"]["p95_ms"] for t in targets if t["ancestors"] >= 1_000
    )
    ok = "PASS" if worst <= TARGET_MS else "FAIL"
    return f"upstream_document p95 at 1,000 ancestors {worst:.1f} ms <= {TARGET_MS:g} ms: {ok}"


# ---------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="ancestor counts")
    parser.add_argument("--runs", type=int, default=50, help="timed calls per function and size")
    parser.add_argument(
        "--background", type=int, default=50, help="other 1,000-ancestor chains in the tables"
    )
    parser.add_argument("--no-chain", action="store_true", help="skip the one-line chains")
    parser.add_argument("--quick", action="store_true", help="--background 5 --runs 20")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default bench/results/)")
    args = parser.parse_args(argv)
    if args.quick:
        args.background, args.runs = 5, 20
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    args.url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    return args


def build(app: Flask, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The measured chains (trees, and one-line chains unless --no-chain) among
    `--background` other trees; returns one dict per measured target."""
    b, targets = Builder(random.Random(args.seed)), []
    world = 0
    for size in args.sizes:
        world += 1
        targets.append({"shape": "tree", "ancestors": size, "batch": tree_chain(b, world, size)})
    if not args.no_chain:
        for size in args.sizes:
            world += 1
            targets.append({"shape": "chain", "ancestors": size, "batch": chain(b, world, size)})
    counts: dict[str, int] = {}
    for n in range(args.background):
        world += 1
        tree_chain(b, world, max(args.sizes))
        if n % 10 == 9 or n == args.background - 1:
            for name, count in load(db.engine, b).items():
                counts[name] = counts.get(name, 0) + count
            log(f"  {n + 1}/{args.background} background chains loaded")
    for name, count in load(db.engine, b).items():
        counts[name] = counts.get(name, 0) + count
    log("rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    return targets


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shown = make_url(sqlalchemy_url(args.url)).render_as_string(hide_password=True)
    started = datetime.now(UTC)
    log(f"database {shown}: dropping and rebuilding schema public")
    pg_version = fresh_database(args.url)
    doc: dict[str, Any] = {
        "benchmark": "trace",
        "started": started.isoformat(timespec="seconds"),
        "database": shown,
        "postgresql": pg_version,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "checkout": checkout(),
        "parameters": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }
    out = args.out or RESULTS / f"trace-{started:%Y-%m-%d}.json"
    with tempfile.TemporaryDirectory(prefix="trace-bench-") as tmp:
        app = make_app(args.url, Path(tmp), LOG_ORIGIN="bench.phatthaithap.vn/log")
        with app.app_context():
            log("building the supply chains")
            targets = build(app, args)
            vacuum_analyze(args.url)
            check_balance()
            gc.collect()
            gc.freeze()  # what is left of the build is not what a request's GC walks
            for t in targets:
                t.update(check_target(t["batch"], t["ancestors"], t["ancestors"] <= 100))
                log(f"measuring {t['shape']}, {t['ancestors']:,} ancestors, {t['events']:,} events")
                t["timings"] = measure(t["batch"], args.runs)
            doc["targets"] = targets
            doc["explain"] = explain(targets[len(args.sizes) - 1]["batch"])
            db.engine.dispose()
    doc["ratios"], doc["verdict"] = ratios(doc["targets"]), verdict(doc["targets"])
    print(
        f"trace bench {started:%Y-%m-%d %H:%M} UTC - PostgreSQL {pg_version} ({shown}), "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, checkout {doc['checkout']}; "
        f"{args.background} background chains, {args.runs} runs"
    )
    print(table(doc))
    print(f"\nEXPLAIN ANALYZE of upstream_document at {max(args.sizes):,} ancestors (tree):")
    for p in doc["explain"]:
        print(
            f"  {p['statement'][:90]!r}... planning {p.get('planning', 0):.2f} ms, "
            f"execution {p.get('execution', 0):.2f} ms"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
