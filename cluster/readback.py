"""Read back everything the journal says the registry acknowledged: through the API, taking
the servers in turn as the writes did, and from the database what no API shows (the
`label.issued` entries per lot, unit labels per label, the job queue). The result is plain
data (`Observed`) that cluster/checks.py compares with the journal."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from cluster.chain import Actors
from cluster.client import Client, Journal, Servers
from registry.labels.models import Label
from registry.ledger.models import LogEntry

JOBS, QUEUE = "jobs", "procrastinate_jobs"  # the registry's job records, the queue's rows


@dataclass
class Observed:
    """What the registry holds now, for the records the journal names. A record that could
    not be found is absent (or None)."""

    fields: dict[str, Any] = field(default_factory=dict)
    seasons: dict[str, Any] = field(default_factory=dict)
    diaries: dict[str, list[int]] = field(default_factory=dict)
    reports: dict[str, str] = field(default_factory=dict)  # report id: status
    approvals: dict[str, Any] = field(default_factory=dict)
    batches: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    listed: dict[str, int] = field(default_factory=dict)  # lot code: labels listed
    log: dict[int, Any] = field(default_factory=dict)
    imports: dict[str, dict[str, int]] = field(default_factory=dict)
    report_files: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # per server
    issued: dict[str, int] | None = None  # lot: label.issued entries (database)
    units: dict[str, int] | None = None  # batch label serial: its distinct unit serials
    jobs: dict[str, int] | None = None  # "kind status": count of the registry's jobs
    retried_jobs: int = 0  # jobs that took more than one try (a killed worker's)
    queue_failed: int = 0  # rows of the queue that failed for good (periodic jobs too)


def observe(
    journal: Journal, servers: Servers, actors: Actors, database_url: str | None = None
) -> Observed:
    seen = Observed()
    producer, mill, authority, public = (
        Client(servers, token, journal)
        for token in (actors.producer, actors.mill, actors.authority, None)
    )
    try:
        _farm(seen, journal, producer)
        _chain(seen, journal, producer, mill, public)
        _imports(seen, journal, producer)
        _report_files(seen, journal, authority)
        _log(seen, journal, public)
    finally:
        for client in (producer, mill, authority, public):
            client.close()
    if database_url:
        _database(seen, journal, database_url)
    return seen


def _found(answer: Any) -> Any:
    return answer.body if answer.status == 200 else None


def _farm(seen: Observed, journal: Journal, producer: Client) -> None:
    for w in journal.of("field"):
        seen.fields[w.key] = _found(producer.get(f"/api/v1/fields/{w.key}"))
    for w in journal.of("season"):
        seen.seasons[w.key] = _found(producer.get(f"/api/v1/seasons/{w.key}"))
    for season in {w.facts["season"] for w in journal.of("diary")}:
        entries = _found(producer.get(f"/api/v1/seasons/{season}/diary")) or []
        seen.diaries[season] = [e["id"] for e in entries]


def _chain(
    seen: Observed, journal: Journal, producer: Client, mill: Client, public: Client
) -> None:
    reports = _found(producer.get("/api/v1/mrv/reports")) or []
    seen.reports = {str(r["id"]): r["status"] for r in reports}
    for w in journal.of("approval"):
        seen.approvals[w.key] = _found(public.get(f"/api/v1/approvals/{w.key}"))
    for w in journal.of("batch"):
        seen.batches[w.key] = _found(mill.get(f"/api/v1/batches/{w.key}"))
    for w in journal.of("label"):
        seen.labels[w.key] = _found(public.get(f"/api/v1/labels/{w.key}"))
    seen.listed = _listing(public)


def _listing(public: Client) -> dict[str, int]:
    """Labels per lot in the open register (every page): a label issued twice shows here."""
    lots: Counter[str] = Counter()
    cursor: int | None = None
    while True:
        after = {"cursor": cursor} if cursor else {}
        page = public.get("/api/v1/labels", params={"limit": 500, **after})
        body = page.body if page.status == 200 else {"items": [], "next_cursor": None}
        lots.update(str(item["batch"]) for item in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return dict(lots)


def _imports(seen: Observed, journal: Journal, producer: Client) -> None:
    """Rows counted back by prefix: fields and seasons by search, diary rows season by season."""
    for w in journal.of("import"):
        fields = producer.get("/api/v1/fields", params={"q": w.key})
        seasons = _found(producer.get("/api/v1/seasons", params={"q": w.key})) or []
        diary = sum(
            len(_found(producer.get(f"/api/v1/seasons/{s['code']}/diary")) or []) for s in seasons
        )
        seen.imports[w.key] = {
            "fields": int(fields.headers.get("X-Total-Count", -1)),
            "seasons": len(seasons),
            "diary": diary,
        }


def _report_files(seen: Observed, journal: Journal, authority: Client) -> None:
    """Each built report's files downloaded through every server: the SHA-256 of each
    answer, per format (a file one server cannot find reads as its status)."""
    for w in journal.of("report_build"):
        found: dict[str, list[str]] = {}
        for fmt in w.facts["files"]:
            found[fmt] = [
                _digest(authority.get(f"/api/v1/reports/periodic/{w.key}.{fmt}", base))
                for base in authority.servers.bases
            ]
        seen.report_files[w.key] = found


def _digest(answer: Any) -> str:
    if answer.status != 200:
        return f"HTTP {answer.status}"
    return hashlib.sha256(answer.content).hexdigest()


def _log(seen: Observed, journal: Journal, public: Client) -> None:
    for index in sorted({entry[0] for w in journal.writes for entry in w.log}):
        answer = public.get(f"/log/entries/{index}")
        entry = answer.body if answer.status == 200 else None
        seen.log[index] = json.loads(entry) if isinstance(entry, str) else entry


def _database(seen: Observed, journal: Journal, url: str) -> None:
    """What no API shows: the log's label.issued entries per lot, unit labels, the jobs."""
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            seen.issued = _issued(session, {w.facts["lot"] for w in journal.of("label")})
            seen.units = _units(session, [w.key for w in journal.of("label")])
            _jobs(seen, session)
    finally:
        engine.dispose()


def _issued(session: Session, lots: set[str]) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    entries = session.scalars(select(LogEntry.entry).where(LogEntry.type == "label.issued"))
    for entry in entries:
        lot = json.loads(entry)["data"]["batch"]
        if lot in lots:
            found[lot] += 1
    return {lot: found[lot] for lot in lots}


def _units(session: Session, serials: list[str]) -> dict[str, int]:
    units: dict[str, int] = {}
    for serial in serials:
        parent = session.scalar(select(Label.id).where(Label.serial == serial))
        count = session.scalar(
            select(func.count(func.distinct(Label.serial))).where(Label.parent_id == parent)
        )
        units[serial] = int(count or 0) if parent is not None else -1
    return units


def _jobs(seen: Observed, session: Session) -> None:
    """The registry's jobs by kind and status, and the queue's rows that failed for good
    (the queue's own periodic jobs have no registry record; theirs may be running now)."""
    tables = inspect(session.connection())
    if not tables.has_table(JOBS):
        return
    rows = session.execute(text(f"SELECT kind, status, count(*) FROM {JOBS} GROUP BY 1, 2"))
    seen.jobs = {f"{kind} {status}": int(count) for kind, status, count in rows}
    seen.retried_jobs = int(
        session.scalar(text(f"SELECT count(*) FROM {JOBS} WHERE attempts > 1")) or 0
    )
    if tables.has_table(QUEUE):
        failed = f"SELECT count(*) FROM {QUEUE} WHERE status = 'failed'"
        seen.queue_failed = int(session.scalar(text(failed)) or 0)
