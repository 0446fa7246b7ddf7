"""Season results: derive the calculator input from the diary (with the field's 2020
season as baseline), compute, and keep a new `EmissionResult` only when the input changed.
Aggregates are computed in the database over each season's newest result; by default only
over verified ones (in a report a verifier approved), as progress and the register count."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import rfc8785
from sqlalchemy import Table, exists, func, insert, select
from sqlalchemy.orm import aliased, selectinload

from registry.accounts.models import Organisation
from registry.db import Db
from registry.trace.models import Field, Season, SeasonType
from registry.verify import bulk
from registry.verify.calc_schema import load_input, quick_load
from registry.verify.calculator import calculate
from registry.verify.crop_rules import CROPS_ONLY
from registry.verify.inputs import Derivation, derive
from registry.verify.methodology import DEFAULT_ID, Methodology, load_methodology
from registry.verify.models import EmissionResult, MrvReport, ReportSeason, ReportStatus

BASELINE_YEAR = 2020
BATCH = 5_000  # seasons per batch in compute_many: ~50 k diary rows read at once


@dataclass
class Computation:
    """A season's current result, or why there is none yet."""

    season: Season
    derivation: Derivation
    result: EmissionResult | None = None
    baseline: Season | None = None
    baseline_problems: list[Any] = field(default_factory=list)


class _Seasonal(Protocol):
    @property
    def season_type(self) -> SeasonType: ...

    @property
    def year(self) -> int: ...

    @property
    def crop(self) -> str: ...

    @property
    def cycle(self) -> int: ...


S = TypeVar("S", bound=_Seasonal)


def _pick_baseline(season: S, candidates: Sequence[S]) -> S | None:
    """Of the field's 2020 seasons (in id order), one of the same crop (§10b), the same
    season type and cycle number first: the season `trace.service.baseline_of` shows."""
    if season.year == BASELINE_YEAR:
        return None
    return min(
        (s for s in candidates if s.crop == season.crop),
        key=lambda s: (s.season_type != season.season_type, s.cycle != season.cycle),
        default=None,
    )


def baseline_of(session: Db, season: Season) -> Season | None:
    """The field's 2020 season of the same crop, the same season type and cycle first."""
    candidates = session.scalars(
        select(Season)
        .where(Season.field_id == season.field_id, Season.year == BASELINE_YEAR)
        .order_by(Season.id)
    )
    return _pick_baseline(season, list(candidates))


def compute(session: Db, season: Season) -> Computation:
    """The season's result, stored anew when its diary or baseline changed since."""
    latest = latest_result(session, season.id)
    return _computed(session, season, latest, baseline_of(session, season))


def compute_all(session: Db, seasons: Sequence[Season]) -> list[Computation]:
    """`compute` for the seasons a page lists: their diaries, newest results and fields'
    2020 seasons in seven queries, where `compute` takes four or more a season."""
    ids = [s.id for s in seasons]
    with_diaries = select(Season).where(bulk.among(session, Season.id, ids))
    session.scalars(with_diaries.options(*_DIARY)).all()  # fills the seasons' entries
    of_seasons = bulk.among(session, EmissionResult.season_id, ids)
    newest = session.scalars(select(EmissionResult).where(of_seasons, _is_newest()))
    latest = {r.season_id: r for r in newest}
    field_ids = sorted({s.field_id for s in seasons})
    baselines: dict[int, list[Season]] = {f: [] for f in field_ids}
    for found in session.scalars(
        select(Season)
        .where(bulk.among(session, Season.field_id, field_ids), Season.year == BASELINE_YEAR)
        .options(*_DIARY)
        .order_by(Season.id)
    ):
        baselines[found.field_id].append(found)
    return [
        _computed(session, s, latest.get(s.id), _pick_baseline(s, baselines[s.field_id]))
        for s in seasons
    ]


_DIARY = (selectinload(Season.entries), selectinload(Season.field))


def _computed(
    session: Db, season: Season, latest: EmissionResult | None, baseline: Season | None
) -> Computation:
    outcome = Computation(season, derive(season), baseline=baseline)
    if not outcome.derivation.ok:
        return outcome
    base = derive(baseline) if baseline is not None else None
    if base is not None and not base.ok:
        outcome.baseline_problems = base.problems
    method = methodology_of(latest)
    document = _document(outcome.derivation, base, method)
    digest = _digest(document)
    if latest is not None and latest.inputs_digest == digest:
        outcome.result = latest
        return outcome
    columns = _columns(document, digest, outcome.derivation, load_methodology(method))
    outcome.result = EmissionResult(season=season, **columns)
    session.add(outcome.result)  # no flush here: callers commit
    return outcome


def compute_many(session: Db, season_ids: Sequence[int], *, current_version: bool = False) -> int:
    """`compute` for many seasons, storing the same rows, `BATCH` seasons at a time with
    four queries and one INSERT per batch (bulk.py reads them without the ORM). Returns how
    many new results were stored. Callers commit (a batch at a time for large runs); the
    new rows are not in the session's identity map until they are queried.

    `current_version`: a season whose newest result was made with an older version of its
    methodology (a new version, or a corrected factor, which is a new version of the file)
    gets a new result made with the current one even when its inputs did not change: the
    authority's recompute (recompute.py). Pages never do this on their own, so a verified
    season does not silently lose its approved result when a version is added."""
    ids = sorted(set(season_ids))
    return sum(
        _compute_batch(session, ids[i : i + BATCH], current_version)
        for i in range(0, len(ids), BATCH)
    )


def _compute_batch(session: Db, season_ids: Sequence[int], current_version: bool) -> int:
    with bulk.collector_paused():
        rows = _new_rows(session, season_ids, current_version)
        if rows:
            session.execute(insert(cast(Table, EmissionResult.__table__)), rows)
    return len(rows)


def _new_rows(
    session: Db, season_ids: Sequence[int], current_version: bool
) -> list[dict[str, Any]]:
    batch = bulk.read(session, season_ids, BASELINE_YEAR)
    newest = session.execute(
        select(
            EmissionResult.season_id,
            EmissionResult.inputs_digest,
            EmissionResult.methodology,
            EmissionResult.version,
        ).where(bulk.among(session, EmissionResult.season_id, season_ids), _is_newest())
    )
    known = {season_id: (digest, method, v) for season_id, digest, method, v in newest}
    rows = []
    for season in batch.seasons:
        own = batch.derivation(season)
        if not own.ok:
            continue
        base = _pick_baseline(season, batch.baselines.get(season.field_id, []))
        digest_then, method, version = known.get(season.id, (None, DEFAULT_ID, 0))
        document = _document(own, batch.derivation(base) if base is not None else None, method)
        digest = _digest(document)
        older = current_version and version != load_methodology(method).version
        if digest_then != digest or older:
            columns = _columns(document, digest, own, load_methodology(method))
            rows.append({"season_id": season.id, **columns})
    return rows


def methodology_of(latest: EmissionResult | None) -> str:
    """A season keeps the methodology its results were first made with (a result made with
    the frozen ipcc2019-t1-rice is never silently remade with another); a season without
    results gets the default."""
    return latest.methodology if latest is not None else DEFAULT_ID


def _document(own: Derivation, base: Derivation | None, methodology: str) -> dict[str, Any]:
    """The calculator input of a season whose own inputs are complete; its baseline's
    inputs go in when they are complete too. For a §10 (rice only) methodology the §10b
    inputs are left out, so its documents, and their digests, stay as they always were."""
    keep = _fields_of(methodology)
    document: dict[str, Any] = {**keep(own.inputs), "methodology": methodology}
    if base is not None and base.ok:
        document["baseline"] = keep(base.inputs)
    return document


#: What a document for a §10 (rice only) methodology never held.
RICE_V1_OMITS = frozenset({"crop", *CROPS_ONLY})


def _fields_of(methodology: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    if load_methodology(methodology).covers_crops:
        return dict
    return lambda inputs: {k: v for k, v in inputs.items() if k not in RICE_V1_OMITS}


def _digest(document: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def _columns(
    document: dict[str, Any], digest: str, own: Derivation, methodology: Methodology
) -> dict[str, Any]:
    """An `EmissionResult`'s values but its season: `calc_from_json` of the document. It is
    the registry's own, so `quick_load` usually spares marshmallow; when it is unsure, the
    schema loads (and refuses) the document as `calc_from_json` would."""
    out = calculate(quick_load(document) or load_input(document), methodology).to_json()
    baseline = out.get("baseline") or {}
    return {
        "methodology": out["methodology"],
        "version": out["version"],
        "inputs": document,
        "sources": dict(own.sources),
        "result": out,
        "inputs_digest": digest,
        "area_ha": document["area_ha"],
        "yield_kg": document["yield_kg"],
        "total_kg_co2e": out["total_kg_co2e"],
        "per_ha_kg_co2e": out["per_ha_kg_co2e"],
        "per_kg_product_g_co2e": out["per_kg_product_g_co2e"],
        "baseline_total_kg_co2e": baseline.get("total_kg_co2e"),
        "baseline_yield_kg": document.get("baseline", {}).get("yield_kg"),
        "reduction_pct": out.get("reduction_pct"),
        "reduction_per_ha_pct": out.get("reduction_per_ha_pct"),
    }


def latest_result(session: Db, season_id: int) -> EmissionResult | None:
    return session.scalar(
        select(EmissionResult)
        .where(EmissionResult.season_id == season_id)
        .order_by(EmissionResult.id.desc())
        .limit(1)
    )


def _is_newest() -> Any:
    """No newer result of the same season exists. As NOT EXISTS over the (season_id, id)
    index this is ~10x faster on PostgreSQL at 1 M results than `id IN (max per season)`
    (bench/mrv_bench.py: 0.9 s against 7-10 s for the province aggregate)."""
    newer = aliased(EmissionResult)
    return ~exists().where(
        newer.season_id == EmissionResult.season_id, newer.id > EmissionResult.id
    )


@dataclass(frozen=True)
class Aggregate:
    key: str
    label: str
    province: str  # of the row: the HTX's, the commune's, or the province itself
    seasons: int
    area_ha: float
    total_kg_co2e: float
    yield_kg: float
    baseline_total_kg_co2e: float | None
    baseline_yield_kg: float | None

    @property
    def per_kg_product_g(self) -> float | None:
        return 1000 * self.total_kg_co2e / self.yield_kg if self.yield_kg else None

    @property
    def reduction_pct(self) -> float | None:
        """Emission intensity (per kg of paddy) against the baselines of the same seasons."""
        if not (self.baseline_total_kg_co2e and self.baseline_yield_kg and self.yield_kg):
            return None
        base = self.baseline_total_kg_co2e / self.baseline_yield_kg
        return 100 * (1 - (self.total_kg_co2e / self.yield_kg) / base)


GROUPINGS = {  # key, label, province: communes of the same name in two provinces stay apart
    "organisation": (Organisation.code, Organisation.name, Organisation.province),
    "commune": (Field.commune, Field.commune, Field.province),
    "province": (Field.province, Field.province, Field.province),
}


def verified() -> Any:
    """The result is in a report a verifier approved (a revoked approval makes the report
    REVOKED): a season counts as verified while its newest result is the one approved."""
    approved = (
        select(ReportSeason.result_id)
        .join(MrvReport, MrvReport.id == ReportSeason.report_id)
        .where(MrvReport.status == ReportStatus.APPROVED)
    )
    return EmissionResult.id.in_(approved)


def aggregate(
    session: Db,
    by: str,
    year: int | None = None,
    organisation_id: int | None = None,
    *,
    province: str | None = None,
    commune: str | None = None,
    crop: str | None = None,
    verified_only: bool | None = True,
) -> list[Aggregate]:
    """Totals of the non-baseline seasons' newest results in an area, grouped in SQL.
    `verified_only`: True counts verified seasons only (what progress and the public
    register show), False those not verified yet (an HTX's own view of its pending work),
    None every season. Baseline sums only count seasons that have a baseline, so the
    reduction compares like with like."""
    key, label, place = GROUPINGS[by]
    with_base = EmissionResult.baseline_total_kg_co2e.is_not(None)
    query = (
        select(
            key,
            label,
            place,
            func.count(EmissionResult.id),
            func.sum(EmissionResult.area_ha),
            func.sum(EmissionResult.total_kg_co2e),
            func.sum(EmissionResult.yield_kg),
            func.sum(EmissionResult.baseline_total_kg_co2e),
            func.sum(EmissionResult.baseline_yield_kg),
        )
        .join(Season, EmissionResult.season_id == Season.id)
        .join(Field, Season.field_id == Field.id)
        .join(Organisation, Field.organisation_id == Organisation.id)
        .where(_is_newest(), Season.year != BASELINE_YEAR, with_base)
        .group_by(key, label, place)
        .order_by(key, place)
    )
    wanted = {
        Season.year: year,
        Field.organisation_id: organisation_id,
        Field.province: province,
        Field.commune: commune,
        Season.crop: crop,
    }
    query = query.where(*(column == value for column, value in wanted.items() if value is not None))
    if verified_only is not None:
        query = query.where(verified() if verified_only else ~verified())
    return [
        Aggregate(k, lbl, p, n, area or 0, total or 0, kg or 0, base, base_kg)
        for k, lbl, p, n, area, total, kg, base, base_kg in session.execute(query)
    ]
