"""The public chain behind a batch: who grew it and where, how each season was farmed,
its verified emissions, who verified them and when, and every step and hand-over since.

`chain_of` reads it in eight small indexed queries whatever the number of labels (the
label page's budget is 25 ms at 1 M labels) and returns plain facts, so templates never
reach into the ORM. Only what may be public is read: the organisation, commune and field
code, never the household (its column is not even loaded) nor any person."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, raiseload

from registry.accounts.models import Organisation
from registry.db import Db
from registry.trace.batches import ancestor_ids
from registry.trace.models import (
    Batch,
    BatchInput,
    Certification,
    DiaryEntry,
    DiaryKind,
    Field,
    Handover,
    HandoverStatus,
    Season,
)
from registry.verify.models import Approval, EmissionResult


@dataclass(frozen=True)
class Producer:
    code: str
    name: str
    province: str
    commune: str


@dataclass(frozen=True)
class FieldFacts:
    code: str
    producer: str  # organisation code
    commune: str
    province: str
    area_ha: float
    geometry: dict[str, Any]
    certifications: list[Certification]


@dataclass(frozen=True)
class Verification:
    approval_id: int
    verifier_code: str
    verifier_name: str
    signed_at: datetime
    log_index: int
    revoked: bool


@dataclass(frozen=True)
class SeasonFacts:
    code: str
    field: str
    season_type: str
    year: int
    sowing_date: date
    harvest_date: date | None
    kg_drawn: float
    drainages: int
    straw: list[str]  # what was done with the straw: incorporated, removed, mushroom…
    n_kg_ha: float | None
    result: dict[str, Any] | None  # the approved calculator output (with its baseline)
    g_co2e_per_kg: float | None
    reduction_pct: float | None
    verification: Verification | None


@dataclass(frozen=True)
class Step:
    """A batch made (`handover` None) or a batch handed over, in time order."""

    on: date
    batch: Batch
    handover: Handover | None = None


@dataclass
class Chain:
    batch: Batch
    producers: list[Producer] = field(default_factory=list)
    fields: list[FieldFacts] = field(default_factory=list)
    seasons: list[SeasonFacts] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def verifications(self) -> list[Verification]:
        found = {s.verification.approval_id: s.verification for s in self.seasons if s.verification}
        return sorted(found.values(), key=lambda v: v.signed_at)


def chain_of(session: Db, batch_id: int) -> Chain | None:
    ids = ancestor_ids(session, batch_id)
    batches = {
        b.id: b
        for b in session.scalars(
            select(Batch).where(Batch.id.in_(ids)).options(joinedload(Batch.maker), raiseload("*"))
        )
    }
    if batch_id not in batches:
        return None
    found = Chain(batches[batch_id])
    draws = _season_draws(session, ids)
    seasons = {d.season.id: d.season for d in draws if d.season is not None}
    results = _by_id(session, EmissionResult, {d.result_id for d in draws if d.result_id})
    approvals = _approvals(session, {d.approval_id for d in draws if d.approval_id})
    diaries = _diaries(session, list(seasons))
    kg: dict[int, float] = defaultdict(float)
    for d in draws:
        kg[d.season_id or 0] += d.kg
    for draw in _first_per_season(draws):
        season = draw.season
        assert season is not None
        result = results.get(draw.result_id or 0)
        found.seasons.append(
            _season_facts(
                season,
                kg[season.id],
                diaries[season.id],
                result,
                approvals.get(draw.approval_id or 0),
            )
        )
    found.fields, found.producers = _places(session, seasons.values())
    found.steps = _steps(session, batches)
    return found


def _season_draws(session: Db, batch_ids: list[int]) -> list[BatchInput]:
    """The draws on seasons, with each season's field and its owner. The household column
    stays in the database: a private value cannot leak if it is never read (a deferred
    column would load on access; this one raises instead)."""
    to_field = joinedload(BatchInput.season).joinedload(Season.field)
    query = (
        select(BatchInput)
        .where(BatchInput.batch_id.in_(batch_ids), BatchInput.season_id.is_not(None))
        .options(
            to_field.joinedload(Field.organisation),
            to_field.defer(Field.household, raiseload=True),
            raiseload("*"),
        )
        .order_by(BatchInput.id)
    )
    return list(session.scalars(query).unique())


def _first_per_season(draws: list[BatchInput]) -> list[BatchInput]:
    seen: dict[int, BatchInput] = {}
    for d in draws:
        seen.setdefault(d.season_id or 0, d)
    return sorted(seen.values(), key=lambda d: d.season.sowing_date if d.season else date.min)


def _by_id(session: Db, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def _approvals(session: Db, ids: set[int]) -> dict[int, Verification]:
    if not ids:
        return {}
    query = select(Approval).where(Approval.id.in_(ids)).options(joinedload(Approval.verifier))
    return {a.id: _verification(a) for a in session.scalars(query)}


def _verification(approval: Approval) -> Verification:
    signed = approval.statement.get("signed_at")
    try:
        signed_at = datetime.fromisoformat(signed) if isinstance(signed, str) else None
    except ValueError:
        signed_at = None
    return Verification(
        approval.id,
        approval.verifier.code,
        approval.verifier.name,
        signed_at or approval.recorded_at,
        approval.log_index,
        approval.revoked_at is not None,
    )


def _diaries(session: Db, season_ids: list[int]) -> dict[int, list[DiaryEntry]]:
    """Water and straw records as the diary stands (corrections applied)."""
    found: dict[int, list[DiaryEntry]] = defaultdict(list)
    if not season_ids:
        return found
    query = select(DiaryEntry).where(
        DiaryEntry.season_id.in_(season_ids),
        DiaryEntry.kind.in_([DiaryKind.WATER, DiaryKind.STRAW]),
    )
    rows = list(session.scalars(query.options(raiseload("*")).order_by(DiaryEntry.id)))
    replaced = {e.supersedes_id for e in rows if e.supersedes_id}
    for entry in rows:
        if entry.id not in replaced:
            found[entry.season_id].append(entry)
    return found


def _season_facts(
    season: Season,
    kg: float,
    diary: list[DiaryEntry],
    result: EmissionResult | None,
    verification: Verification | None,
) -> SeasonFacts:
    drainages = sum(
        1 for e in diary if e.kind is DiaryKind.WATER and e.data.get("event") == "drainage"
    )
    straw = sorted({str(e.data.get("practice")) for e in diary if e.kind is DiaryKind.STRAW})
    n_kg_ha = None
    if result is not None and result.area_ha:
        inputs = result.inputs
        nitrogen = float(inputs.get("synthetic_n_kg", 0)) + float(inputs.get("organic_n_kg", 0))
        n_kg_ha = nitrogen / result.area_ha
    return SeasonFacts(
        code=season.code,
        field=season.field.code,
        season_type=season.season_type.value,
        year=season.year,
        sowing_date=season.sowing_date,
        harvest_date=season.harvest_date,
        kg_drawn=kg,
        drainages=drainages,
        straw=straw,
        n_kg_ha=n_kg_ha,
        result=result.result if result is not None else None,
        g_co2e_per_kg=result.per_kg_product_g_co2e if result is not None else None,
        reduction_pct=result.reduction_pct if result is not None else None,
        verification=verification,
    )


def _places(session: Db, seasons: Any) -> tuple[list[FieldFacts], list[Producer]]:
    fields = {s.field.id: s.field for s in seasons}
    certifications: dict[int, list[Certification]] = defaultdict(list)
    if fields:
        query = (
            select(Certification)
            .where(Certification.field_id.in_(list(fields)))
            .options(raiseload("*"))
            .order_by(Certification.valid_until.desc())
        )
        for c in session.scalars(query):
            certifications[c.field_id].append(c)
    facts = [
        FieldFacts(
            f.code,
            f.organisation.code,
            f.commune,
            f.province,
            f.area_ha,
            f.geometry,
            certifications[f.id],
        )
        for f in sorted(fields.values(), key=lambda f: (f.organisation.code, f.code))
    ]
    owners: dict[int, Organisation] = {f.organisation_id: f.organisation for f in fields.values()}
    producers = [
        Producer(o.code, o.name, o.province, o.commune)
        for o in sorted(owners.values(), key=lambda o: o.code)
    ]
    return facts, producers


def _steps(session: Db, batches: dict[int, Batch]) -> list[Step]:
    query = (
        select(Handover)
        .where(Handover.batch_id.in_(list(batches)), Handover.status == HandoverStatus.ACCEPTED)
        .options(joinedload(Handover.sender), joinedload(Handover.receiver))
    )
    steps = [Step(b.production_date, b) for b in batches.values()]
    for h in session.scalars(query):
        when = (h.decided_at or h.created_at).date()
        steps.append(Step(when, batches[h.batch_id], h))
    return sorted(steps, key=lambda s: (s.on, s.batch.id, s.handover is not None))
