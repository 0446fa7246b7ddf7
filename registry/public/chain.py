"""The public chain behind a batch: who grew it and where, how each season was farmed,
its verified emissions, who verified them and when, and every step and hand-over since.

`chain_of` reads it in five indexed queries, whatever the number of labels: the batches
upstream, every season drawn on with its field, HTX, approved result (its §10b input
document too) and approval, the current diary entries the seasons' stories read
(story.py: drainages, straw, residues, harvests, pruning, irrigation), the fields'
certifications, and the hand-overs. Core column selects, not ORM entities: the rows are
few but the page is hot. Only public columns are named, so the household, people, phones
and e-mails are never even read.

`stamp` says in one small query whether a chain can have changed: the label page keeps a
chain it rendered under the stamp it had (DESIGN §9: the chain changes rarely) and renders
it again when the stamp differs. What a chain shows is fixed when its batch is made
(`Shape`: the batches upstream and the seasons, fields and approvals they drew on; the
organisations, fields, seasons' public facts and approved results, none of which the
registry edits) except for these, which the stamp counts:

- a batch upstream put on hold (`at_risk_since`, set when an approval is revoked; the
  chain shows only whether it is);
- an approval drawn on revoked (`revoked_at`);
- a hand-over accepted (a pending one turns accepted; accepted ones stay);
- a certification added to a field (they are never edited);
- a diary entry added to a season (never edited: a correction is a new entry, and a
  harvest entry moves the season's harvest date);
- the batch inputs themselves (written with each batch: counted so that a shape read
  before a change is read again rather than trusted).

The day is not in the stamp but in the page's key: a certificate past its date turns
"expired" at midnight in Vietnam."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    bindparam,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased

from registry import crops
from registry.accounts.models import Organisation
from registry.db import GRAMS_PER_KG, Db, in_ha, in_kg
from registry.public.story import DIARY_KINDS, ENERGY, ENERGY_INPUTS, Diary, summarise
from registry.trace.models import (
    Batch,
    BatchInput,
    Certification,
    DiaryEntry,
    Field,
    Handover,
    HandoverStatus,
    Season,
)
from registry.verify.models import Approval, EmissionResult

Reads = Db | Connection  # a session, or the label page's autocommit connection


@dataclass(frozen=True)
class BatchFacts:
    id: int
    lot_code: str
    product: str  # a product code of the crop catalogue
    step: str  # harvest, split, merge or a catalogue step code
    quantity_kg: float
    production_date: date
    maker: str  # the maker's name
    at_risk_since: datetime | None


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
    certifications: list[Any]  # rows: scheme, number, issuer, valid_from, valid_until, stars


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
    crop: str  # a catalogue code
    kind: str  # the crop's kind in the catalogue: rice, annual, perennial
    season_type: str
    year: int
    sowing_date: date
    harvest_date: date | None
    kg_drawn: float
    diary: Diary  # what the season's story reads of its diary (story.summarise)
    n_kg_ha: float | None
    result: dict[str, Any] | None  # the approved calculator output (with its baseline)
    g_co2e_per_kg: float | None
    reduction_pct: float | None
    verification: Verification | None
    inputs: dict[str, Any] | None = None  # the approved result's §10b input document
    area_ha: float | None = None  # the result's area
    trees: bool = False  # the crop's kind records a tree stand (orchards: removals)

    @property
    def drainages(self) -> int:
        return self.diary.drainages

    @property
    def straw(self) -> tuple[str, ...]:
        return self.diary.straw

    def per_ha(self, value: float | None) -> float | None:
        return None if value is None or not self.area_ha else value / self.area_ha

    @property
    def energy_per_ha(self) -> list[tuple[str, float]]:
        """Electricity, diesel and petrol of the §10b document per ha, those used."""
        found = []
        for source in ENERGY:
            value = self.per_ha(float((self.inputs or {}).get(ENERGY_INPUTS[source]) or 0))
            if value:
                found.append((source, value))
        return found

    @property
    def pumps_per_ha(self) -> list[tuple[str, float]]:
        """The energy irrigation pumps used, per ha, from the diary's irrigation entries."""
        found = []
        for source, total in self.diary.pumps.items():
            value = self.per_ha(total)
            if value:
                found.append((source, value))
        return found

    @property
    def tree_age_years(self) -> int | None:
        age = (self.inputs or {}).get("tree_age_years")
        return None if age is None else int(age)

    @property
    def removals_kg_co2(self) -> float | None:
        """CO2 the trees took up in the period (§10b output), None for crops with no
        tree stand (their results say 0)."""
        if self.result is None or not self.trees:
            return None
        value = self.result.get("removals_kg_co2")
        return None if value is None else float(value)

    @property
    def removals_g_per_kg(self) -> float | None:
        removals = self.removals_kg_co2
        kg = float((self.inputs or {}).get("yield_kg") or 0)
        return None if removals is None or not kg else removals * 1000 / kg


@dataclass(frozen=True)
class ChainStep:
    """A batch made (`handover` None) or a batch handed over (sender, receiver), in time
    order."""

    on: date
    batch: BatchFacts
    handover: Any | None = None


@dataclass
class Chain:
    batch: BatchFacts
    producers: list[Producer] = field(default_factory=list)
    fields: list[FieldFacts] = field(default_factory=list)
    seasons: list[SeasonFacts] = field(default_factory=list)
    steps: list[ChainStep] = field(default_factory=list)

    @property
    def verifications(self) -> list[Verification]:
        found = {s.verification.approval_id: s.verification for s in self.seasons if s.verification}
        return sorted(found.values(), key=lambda v: v.signed_at)


def _upstream() -> CompoundSelect[Any]:
    """The ids of the batch `:batch_id` and of every batch upstream of it."""
    up = (
        select(BatchInput.batch_id, BatchInput.parent_id)
        .where(BatchInput.batch_id == bindparam("batch_id"))
        .cte("up", recursive=True)
    )
    step = aliased(BatchInput)
    up = up.union(select(step.batch_id, step.parent_id).join(up, step.batch_id == up.c.parent_id))
    return (
        select(up.c.parent_id)
        .where(up.c.parent_id.is_not(None))
        .union(select(bindparam("batch_id")))
    )


# The statements are built once: building them anew costs more than running them.
BATCHES = (
    select(
        Batch.id,
        Batch.lot_code,
        Batch.product,
        Batch.step,
        in_kg(Batch.quantity_g),
        Batch.production_date,
        Organisation.name,
        Batch.at_risk_since,
    )
    .join(Organisation, Organisation.id == Batch.maker_id)
    .where(Batch.id.in_(_upstream()))
)


def _diary() -> Any:
    """The current entries (none newer supersedes them) of the kinds the seasons' stories
    read (story.DIARY_KINDS), of the seasons `:seasons`."""
    newer = aliased(DiaryEntry)
    return (
        select(DiaryEntry.season_id, DiaryEntry.kind, DiaryEntry.data)
        .where(
            DiaryEntry.season_id.in_(bindparam("seasons", expanding=True)),
            DiaryEntry.kind.in_(DIARY_KINDS),
            ~exists().where(newer.supersedes_id == DiaryEntry.id),
        )
        .order_by(DiaryEntry.id)
    )


def _seasons() -> Any:
    """Every draw of the batches `:ids` on a season, with all the season's public facts."""
    producer, verifier = aliased(Organisation), aliased(Organisation)
    return (
        select(
            BatchInput.season_id,
            BatchInput.grams,
            Season.code,
            Season.crop,
            Season.season_type,
            Season.year,
            Season.sowing_date,
            Season.harvest_date,
            Field.id.label("field_id"),
            Field.code.label("field_code"),
            Field.commune,
            Field.province,
            in_ha(Field.area_m2).label("area_ha"),
            Field.geometry,
            producer.code.label("producer_code"),
            producer.name.label("producer_name"),
            producer.province.label("producer_province"),
            producer.commune.label("producer_commune"),
            EmissionResult.result,
            EmissionResult.inputs,
            EmissionResult.area_ha.label("result_area_ha"),
            EmissionResult.per_kg_product_g_co2e,
            EmissionResult.reduction_pct,
            Approval.id.label("approval_id"),
            Approval.statement,
            Approval.recorded_at,
            Approval.log_index,
            Approval.revoked_at,
            verifier.code.label("verifier_code"),
            verifier.name.label("verifier_name"),
        )
        .join(Season, Season.id == BatchInput.season_id)
        .join(Field, Field.id == Season.field_id)
        .join(producer, producer.id == Field.organisation_id)
        .outerjoin(EmissionResult, EmissionResult.id == BatchInput.result_id)
        .outerjoin(Approval, Approval.id == BatchInput.approval_id)
        .outerjoin(verifier, verifier.id == Approval.verifier_id)
        .where(BatchInput.batch_id.in_(bindparam("ids", expanding=True)))
        .order_by(BatchInput.id)
    )


SEASONS = _seasons()
DIARY = _diary()
CERTIFICATIONS = (
    select(
        Certification.field_id,
        Certification.scheme,
        Certification.number,
        Certification.issuer,
        Certification.valid_from,
        Certification.valid_until,
        Certification.ocop_stars,
    )
    .where(Certification.field_id.in_(bindparam("fields", expanding=True)))
    .order_by(Certification.valid_until.desc())
)
_sender, _receiver = aliased(Organisation), aliased(Organisation)
HANDOVERS = (
    select(
        Handover.batch_id,
        Handover.decided_at,
        Handover.created_at,
        _sender.name.label("sender"),
        _receiver.name.label("receiver"),
    )
    .join(_sender, _sender.id == Handover.sender_id)
    .join(_receiver, _receiver.id == Handover.receiver_id)
    .where(
        Handover.batch_id.in_(bindparam("ids", expanding=True)),
        Handover.status == HandoverStatus.ACCEPTED,
    )
)


def chain_of(session: Reads, batch_id: int) -> Chain | None:
    batches = {row[0]: BatchFacts(*row) for row in session.execute(BATCHES, {"batch_id": batch_id})}
    if batch_id not in batches:
        return None
    # The later queries name the ids found rather than repeat the recursive CTE, whose
    # row estimate (thousands) would make PostgreSQL plan, and JIT-compile, for a crowd.
    ids = list(batches)
    found = Chain(batches[batch_id])
    drawn: dict[int, int] = defaultdict(int)
    first: dict[int, Any] = {}
    for row in session.execute(SEASONS, {"ids": ids}):
        drawn[row.season_id] += row.grams
        first.setdefault(row.season_id, row)
    entries: dict[int, list[Any]] = defaultdict(list)
    if first:
        for entry in session.execute(DIARY, {"seasons": list(first)}):
            entries[entry.season_id].append((entry.kind, entry.data))
    found.seasons = [
        _season_facts(row, drawn[row.season_id] / GRAMS_PER_KG, summarise(entries[row.season_id]))
        for row in sorted(first.values(), key=lambda r: (r.sowing_date, r.season_id))
    ]
    found.fields, found.producers = _places(session, list(first.values()))
    found.steps = _steps(session, ids, batches)
    return found


def _verification(row: Any) -> Verification | None:
    if row.approval_id is None:
        return None
    signed = row.statement.get("signed_at")
    try:
        signed_at = datetime.fromisoformat(signed) if isinstance(signed, str) else None
    except ValueError:
        signed_at = None
    return Verification(
        row.approval_id,
        row.verifier_code,
        row.verifier_name,
        signed_at or row.recorded_at,
        row.log_index,
        row.revoked_at is not None,
    )


def _season_facts(row: Any, kg: float, diary: Diary) -> SeasonFacts:
    n_kg_ha = None
    if row.inputs is not None and row.result_area_ha:
        nitrogen = float(row.inputs.get("synthetic_n_kg", 0)) + float(
            row.inputs.get("organic_n_kg", 0)
        )
        n_kg_ha = nitrogen / row.result_area_ha
    crop = crops.catalogue().get(row.crop)
    return SeasonFacts(
        code=row.code,
        field=row.field_code,
        crop=row.crop,
        kind=crop.kind.code if crop else "",
        season_type=row.season_type.value,
        year=row.year,
        sowing_date=row.sowing_date,
        harvest_date=row.harvest_date,
        kg_drawn=kg,
        diary=diary,
        n_kg_ha=n_kg_ha,
        result=row.result,
        g_co2e_per_kg=row.per_kg_product_g_co2e,
        reduction_pct=row.reduction_pct,
        verification=_verification(row),
        inputs=row.inputs,
        area_ha=row.result_area_ha,
        trees=bool(crop and crop.kind.tree_stand),
    )


def _places(session: Reads, rows: list[Any]) -> tuple[list[FieldFacts], list[Producer]]:
    fields = {row.field_id: row for row in rows}
    certifications: dict[int, list[Any]] = defaultdict(list)
    if fields:
        for c in session.execute(CERTIFICATIONS, {"fields": list(fields)}):
            certifications[c.field_id].append(c)
    facts = [
        FieldFacts(
            r.field_code,
            r.producer_code,
            r.commune,
            r.province,
            r.area_ha,
            r.geometry,
            certifications[field_id],
        )
        for field_id, r in sorted(
            fields.items(), key=lambda i: (i[1].producer_code, i[1].field_code)
        )
    ]
    owners = {r.producer_code: r for r in rows}
    producers = [
        Producer(code, r.producer_name, r.producer_province, r.producer_commune)
        for code, r in sorted(owners.items())
    ]
    return facts, producers


def _steps(session: Reads, ids: list[int], batches: dict[int, BatchFacts]) -> list[ChainStep]:
    steps = [ChainStep(b.production_date, b) for b in batches.values()]
    for h in session.execute(HANDOVERS, {"ids": ids}):
        steps.append(ChainStep((h.decided_at or h.created_at).date(), batches[h.batch_id], h))
    return sorted(steps, key=lambda s: (s.on, s.batch.id, s.handover is not None))


@dataclass(frozen=True)
class Shape:
    """The rows a batch's chain is drawn from, fixed when the batch is made."""

    batches: tuple[int, ...]  # the batch and every batch upstream
    seasons: tuple[int, ...]
    fields: tuple[int, ...]
    approvals: tuple[int, ...]
    inputs: int  # batch_inputs rows of those batches, compared with the stamp's count


SHAPE = (
    select(
        BatchInput.batch_id,
        BatchInput.parent_id,
        BatchInput.season_id,
        Season.field_id,
        BatchInput.approval_id,
    )
    .outerjoin(Season, Season.id == BatchInput.season_id)
    .where(BatchInput.batch_id.in_(_upstream()))
)


def shape_of(session: Reads, batch_id: int) -> Shape:
    rows = session.execute(SHAPE, {"batch_id": batch_id}).all()

    def ids(values: Any) -> tuple[int, ...]:
        return tuple(sorted({v for v in values if v is not None}))

    return Shape(
        ids([batch_id, *(r.batch_id for r in rows), *(r.parent_id for r in rows)]),
        ids(r.season_id for r in rows),
        ids(r.field_id for r in rows),
        ids(r.approval_id for r in rows),
        len(rows),
    )


def _stamp() -> Any:
    batches: Any = bindparam("batches", expanding=True)
    seasons: Any = bindparam("seasons", expanding=True)
    fields: Any = bindparam("fields", expanding=True)
    approvals: Any = bindparam("approvals", expanding=True)

    def rows(kind: int, id_: Any, *where: Any) -> Any:
        return select(literal(kind), func.count(id_), func.sum(id_)).where(*where)

    return union_all(
        rows(0, BatchInput.id, BatchInput.batch_id.in_(batches)),
        rows(1, Batch.id, Batch.id.in_(batches), Batch.at_risk_since.is_not(None)),
        rows(2, Approval.id, Approval.id.in_(approvals), Approval.revoked_at.is_not(None)),
        rows(
            3,
            Handover.id,
            Handover.batch_id.in_(batches),
            Handover.status == HandoverStatus.ACCEPTED,
        ),
        rows(4, Certification.id, Certification.field_id.in_(fields)),
        rows(5, DiaryEntry.id, DiaryEntry.season_id.in_(seasons)),
    )


STAMP = _stamp()


def stamp(session: Reads, shape: Shape) -> tuple[Any, ...]:
    """What can change in the chain of `shape` (see the module's docstring), in one query:
    the number and the sum of the ids of the rows of each kind (batch inputs, batches on
    hold, approvals revoked, hand-overs accepted, certifications, diary entries). Ids only
    grow, so the pair changes whenever the set of rows does: a row added raises the sum, a
    row gone lowers the count, and rows gone and others added leave neither the same
    unless as many, newer, ids summed to what the old ones did, which newer ids cannot.
    Its first figure is the count of batch inputs, which `Shape.inputs` must equal."""
    connection = session if isinstance(session, Connection) else session.connection()
    found = connection.exec_driver_sql(_stamp_sql(connection.dialect, shape)).all()
    return tuple(figure for row in sorted(found) for figure in row[1:])


@lru_cache(maxsize=4096)
def _stamp_sql(dialect: Dialect, shape: Shape) -> str:
    """`STAMP` for one shape as SQL text, its ids written in: a shape is fixed when its
    batch is made and opened again and again, and SQLAlchemy would otherwise expand its
    four IN lists anew on every page (a third of the statement's cost); the same text each
    time also lets psycopg prepare it. Only integers are written in."""
    bound = STAMP.params(
        batches=list(shape.batches),
        seasons=list(shape.seasons),
        fields=list(shape.fields),
        approvals=list(shape.approvals),
    )
    return str(bound.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
