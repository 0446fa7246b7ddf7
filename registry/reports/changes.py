"""Which organisations' cells a refresh must recompute, from watermarks of the last ones.

Every lookup is an index range, so a refresh costs what changed, not what exists:
- new emission results, certificates, labels and fields by id (primary key);
- label status changes by `status_changed_at`, decisions and their revocations by their
  log index (appenders hold the log's head row until they commit, so an index below the
  size read now is committed now);
- scans by day: counters grow in place, so the labels scanned since the last refresh's
  day are looked at again.
An id, or a status time, taken by a transaction that commits after a refresh looked is
caught by the next one: each range is looked at by two refreshes in a row. A transaction
open across two refreshes would be missed: `registry reports rebuild` recomputes
everything (after a deploy, and nightly as a safety net)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from registry.accounts.models import Organisation
from registry.db import Db, utcnow
from registry.labels.models import Label
from registry.ledger import service as ledger
from registry.public.models import ScanDay
from registry.reports.models import RollupState
from registry.trace.models import Certification, Field, Season
from registry.verify.models import Approval, EmissionResult, MrvReport

VIETNAM = timedelta(hours=7)
BY_ID: dict[str, Any] = {  # watermark name: the table whose new rows it follows
    "result": EmissionResult,
    "certification": Certification,
    "label": Label,
    "field": Field,
}


@dataclass(frozen=True)
class Marks:
    """Where the records stand, read before the cells are computed."""

    log_size: int
    day: date
    newest: dict[str, int]  # newest id of each table of BY_ID


def marks(session: Db) -> Marks:
    return Marks(
        ledger.size(session),
        (utcnow() + VIETNAM).date(),
        {name: session.scalar(select(func.max(model.id))) or 0 for name, model in BY_ID.items()},
    )


@dataclass(frozen=True)
class Changed:
    """Organisations whose emission, label or field cells may differ from the records."""

    emissions: frozenset[int]
    labels: frozenset[int]
    fields: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.emissions or self.labels or self.fields)


def _new(state: RollupState, now: Marks, name: str) -> Any:
    column = BY_ID[name].id
    return column.between(getattr(state, f"{name}_floor") + 1, now.newest[name])


def changed(session: Db, state: RollupState, now: Marks) -> Changed:
    holder = Organisation.code == Label.organisation
    results = select(Field.organisation_id).join(Season).join(EmissionResult)
    certificates = select(Field.organisation_id).join(Certification)
    decisions = select(MrvReport.organisation_id).join(Approval)
    labels = select(Organisation.id).join(Label, holder)
    return Changed(
        emissions=_ids(
            session,
            results.where(_new(state, now, "result")),
            certificates.where(_new(state, now, "certification")),
            decisions.where(Approval.log_index >= state.log_size),
            decisions.where(Approval.revoked_log_index >= state.log_size),
        ),
        labels=_ids(
            session,
            labels.where(_new(state, now, "label")),
            labels.where(Label.status_changed_at >= state.previous_at),
            labels.join(ScanDay, ScanDay.label_id == Label.id).where(ScanDay.day >= state.scan_day),
        ),
        fields=_ids(session, select(Field.organisation_id).where(_new(state, now, "field"))),
    )


def advance(state: RollupState, now: Marks, full: bool) -> None:
    """Move the watermarks to `now` (after a full rebuild, the floors too)."""
    moment = utcnow()
    state.previous_at, state.built_at = (moment if full else state.built_at), moment
    state.log_size, state.scan_day = now.log_size, now.day
    for name in BY_ID:
        seen = f"{name}_seen"
        setattr(state, f"{name}_floor", now.newest[name] if full else getattr(state, seen))
        setattr(state, seen, now.newest[name])


def _ids(session: Db, *queries: Select[Any]) -> frozenset[int]:
    found: set[int] = set()
    for query in queries:
        found.update(session.scalars(query.distinct()))
    return frozenset(found)
