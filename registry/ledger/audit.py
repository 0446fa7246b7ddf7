"""The operator's integrity check (`registry log verify`): re-derive the whole tree from the
stored entry bytes and compare it with the stored subtree hashes, the head and every stored
checkpoint. Streams the entries in chunks, keeping only the tree's right-edge frontier in
memory, so it runs in constant memory at millions of entries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import rfc8785
from sqlalchemy import func, select

from registry.db import Db
from registry.ledger import note, tree
from registry.ledger.models import LogCheckpoint, LogEntry, LogNode
from registry.ledger.rfc9162 import leaf_hash
from registry.ledger.service import size as head_size

CHUNK = 10_000
MAX_PROBLEMS = 20


@dataclass
class AuditReport:
    entries: int = 0
    nodes: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)


def _chunks(session: Db) -> Iterator[list[tuple[int, bytes]]]:
    after = -1
    while True:
        rows = session.execute(
            select(LogEntry.index, LogEntry.entry)
            .where(LogEntry.index > after)
            .order_by(LogEntry.index)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        yield [(i, e) for i, e in rows]
        after = rows[-1][0]


def _stored(session: Db, rows: list[tree.Row]) -> dict[tree.Key, bytes]:
    """The stored nodes for these derived rows: one range query per level."""
    spans: dict[int, list[int]] = {}
    for level, index, _ in rows:
        spans.setdefault(level, []).append(index)
    found: dict[tree.Key, bytes] = {}
    for level, indices in spans.items():
        query = select(LogNode.index, LogNode.hash).where(
            LogNode.level == level, LogNode.index.between(min(indices), max(indices))
        )
        found.update({(level, i): h for i, h in session.execute(query)})
    return found


def verify_store(session: Db, origin: str, vkeys: list[str]) -> AuditReport:
    report = AuditReport()
    checkpoints = list(session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.id)))
    wanted = {c.size for c in checkpoints}
    roots: dict[int, bytes] = {0: tree.root(0, {})} if 0 in wanted else {}
    frontier: dict[tree.Key, bytes] = {}
    for chunk in _chunks(session):
        rows: list[tree.Row] = []
        for index, entry in chunk:
            if index != report.entries:
                report.problem(f"entry {report.entries} is missing (next stored is {index})")
                return report
            _check_canonical(report, index, entry)
            new = tree.appended_nodes(index, leaf_hash(entry), frontier)
            rows.extend(new)
            frontier = _advance(frontier, new, index + 1)
            report.entries += 1
            if report.entries in wanted:
                roots[report.entries] = tree.root(report.entries, frontier)
        stored = _stored(session, rows)
        for level, index, digest in rows:
            if stored.get((level, index)) != digest:
                report.problem(f"stored hash of subtree ({level}, {index}) differs")
    report.nodes = session.scalar(select(func.count()).select_from(LogNode)) or 0
    expected_nodes = 2 * report.entries - bin(report.entries).count("1")
    if report.nodes != expected_nodes:
        report.problem(f"{report.nodes} stored subtree hashes, expected {expected_nodes}")
    if head_size(session) != report.entries:
        report.problem(f"head says {head_size(session)} entries, {report.entries} are stored")
    for cp in checkpoints:
        _check_checkpoint(report, cp, roots, origin, vkeys)
    return report


def _advance(
    frontier: dict[tree.Key, bytes], new: list[tree.Row], size: int
) -> dict[tree.Key, bytes]:
    """Keep only the nodes a tree of `size` leaves can still pair with (its root needs)."""
    known = {**frontier, **{(lv, ix): h for lv, ix, h in new}}
    return {key: known[key] for key in tree.root_needs(size)}


def _check_canonical(report: AuditReport, index: int, entry: bytes) -> None:
    try:
        parsed = json.loads(entry)
        canonical = rfc8785.dumps(parsed) == entry
    except ValueError:
        canonical, parsed = False, {}
    if not canonical or set(parsed) != {"type", "time", "actor", "subject", "data"}:
        report.problem(f"entry {index} is not a canonical log entry")


def _check_checkpoint(
    report: AuditReport, cp: LogCheckpoint, roots: dict[int, bytes], origin: str, vkeys: list[str]
) -> None:
    report.checkpoints += 1
    if roots.get(cp.size) != cp.root:
        report.problem(f"checkpoint of size {cp.size} has a root the entries do not give")
    for vkey in vkeys:
        try:
            opened = note.open_checkpoint(cp.note, vkey)
        except note.NoteError:
            continue
        if (opened.origin, opened.size, opened.root) != (origin, cp.size, cp.root):
            report.problem(f"checkpoint of size {cp.size} says something else than stored")
        return
    report.problem(f"checkpoint of size {cp.size} is not signed by any published log key")
