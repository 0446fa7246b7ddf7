"""Reads behind the public register: labels by serial, batches by lot, products by GTIN,
organisations and their verified reductions, and search. (The open-data downloads are the
reports domain's, registry/reports/opendata.py.)

Everything returned here may be published: organisation names and codes, communes, field
codes, lots, figures. Households, people, phones and e-mails are never selected."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from registry import crops
from registry.accounts.models import Organisation, OrgKind
from registry.db import M2_PER_HA, Db
from registry.errors import NotFound
from registry.labels.models import Label
from registry.trace.models import Batch, Field, Season
from registry.verify import results
from registry.verify.models import Accreditation, Approval

SEARCH_LIMIT = 20


def label_by_serial(session: Db, serial: str) -> Label | None:
    """The label, its holder and verifier, and for a unit label its batch label: one query."""
    query = (
        select(Label)
        .where(Label.serial == serial.upper())
        .options(joinedload(Label.parent), joinedload(Label.holder), joinedload(Label.verified_by))
    )
    return session.scalar(query)


def batch_by_lot(session: Db, maker: str, lot: str) -> Batch:
    found = session.scalar(
        select(Batch)
        .join(Organisation, Batch.maker_id == Organisation.id)
        .where(Organisation.code == maker, Batch.lot_code == lot)
        .options(joinedload(Batch.maker))
    )
    if found is None:
        raise NotFound()
    return found


def batches_of_gtin(session: Db, gtin: str, lot: str | None = None) -> list[Batch]:
    query = select(Batch).where(Batch.gtin == gtin).options(joinedload(Batch.maker))
    if lot is not None:
        query = query.where(Batch.lot_code == lot)
    return list(session.scalars(query.order_by(Batch.production_date.desc(), Batch.id.desc())))


def batch_labels(session: Db, batch_ids: list[int]) -> list[Label]:
    """The batch labels (not the unit labels) issued on these batches, newest first."""
    if not batch_ids:
        return []
    query = select(Label).where(Label.batch_id.in_(batch_ids), Label.parent_id.is_(None))
    return list(session.scalars(query.order_by(Label.id.desc())))


def organisation(session: Db, code: str, kind: OrgKind) -> Organisation:
    found = session.scalar(
        select(Organisation).where(Organisation.code == code, Organisation.kind == kind)
    )
    if found is None:
        raise NotFound()
    return found


def organisations(session: Db, kind: OrgKind, crop: str | None = None) -> list[Organisation]:
    """Organisations of a kind; with `crop`, only those with a season of that crop."""
    query = select(Organisation).where(Organisation.kind == kind)
    if crop is not None:
        query = query.where(Organisation.id.in_(_growers(crop)))
    return list(session.scalars(query.order_by(Organisation.province, Organisation.name)))


def _growers(crop: str) -> Select[int]:
    """Ids of organisations with a season of `crop`."""
    return select(Field.organisation_id).join(Season).where(Season.crop == crop)


def _in_catalogue_order(codes: set[str]) -> list[str]:
    return [code for code in crops.codes() if code in codes]


def crops_by_organisation(session: Db) -> dict[int, list[str]]:
    """The crops (catalogue codes, in catalogue order) each organisation has seasons of."""
    found: dict[int, set[str]] = {}
    query = select(Field.organisation_id, Season.crop).join(Season).distinct()
    for organisation_id, crop in session.execute(query):
        found.setdefault(organisation_id, set()).add(crop)
    return {key: _in_catalogue_order(codes) for key, codes in found.items()}


def crops_of(session: Db, organisation_id: int) -> list[str]:
    query = select(Season.crop).join(Field).where(Field.organisation_id == organisation_id)
    return _in_catalogue_order(set(session.scalars(query.distinct())))


def crops_by_commune(session: Db) -> dict[tuple[str, str], list[str]]:
    """The crops grown in each (province, commune), in catalogue order."""
    found: dict[tuple[str, str], set[str]] = {}
    query = select(Field.province, Field.commune, Season.crop).join(Season).distinct()
    for province, commune, crop in session.execute(query):
        found.setdefault((province, commune), set()).add(crop)
    return {key: _in_catalogue_order(codes) for key, codes in found.items()}


@dataclass(frozen=True)
class Farmland:
    fields: int
    area_ha: float


def farmland(session: Db, organisation_id: int) -> Farmland:
    count, area = session.execute(
        select(func.count(Field.id), func.coalesce(func.sum(Field.area_m2), 0)).where(
            Field.organisation_id == organisation_id
        )
    ).one()
    return Farmland(int(count), int(area) / M2_PER_HA)


def communes(session: Db, crop: str | None = None) -> list[tuple[str, str]]:
    """(province, commune) pairs with registered fields; with `crop`, fields that have had a
    season of it."""
    query = select(Field.province, Field.commune).distinct()
    if crop is not None:
        query = query.join(Season).where(Season.crop == crop)
    return [(p, c) for p, c in session.execute(query.order_by(Field.province, Field.commune))]


def reductions(
    session: Db,
    by: str,
    year: int | None = None,
    organisation_id: int | None = None,
    crop: str | None = None,
) -> list[results.Aggregate]:
    """Verified reductions grouped by organisation, commune or province (MRV aggregates of
    the seasons a verifier approved: nothing an HTX has not had verified is published), of
    one crop or of all."""
    return results.aggregate(session, by, year, organisation_id, crop=crop, verified_only=True)


def producers_in(session: Db, province: str, commune: str) -> list[Organisation]:
    """HTXs with fields in the commune."""
    query = (
        select(Organisation)
        .where(
            Organisation.id.in_(
                select(Field.organisation_id).where(
                    Field.province == province, Field.commune == commune
                )
            )
        )
        .order_by(Organisation.name)
    )
    return list(session.scalars(query))


def commune_reduction(
    session: Db, province: str, commune: str, crop: str | None = None
) -> results.Aggregate | None:
    found = results.aggregate(session, "commune", province=province, commune=commune, crop=crop)
    return found[0] if found else None


def years(session: Db) -> list[int]:
    query = select(Season.year).distinct().where(Season.year != results.BASELINE_YEAR)
    return sorted(session.scalars(query), reverse=True)


def labels_of_holder(session: Db, code: str, limit: int = 20) -> list[Label]:
    query = select(Label).where(Label.organisation == code, Label.parent_id.is_(None))
    return list(session.scalars(query.order_by(Label.id.desc()).limit(limit)))


def accreditations(session: Db, organisation_id: int) -> list[Accreditation]:
    query = select(Accreditation).where(Accreditation.organisation_id == organisation_id)
    return list(session.scalars(query.order_by(Accreditation.valid_from.desc())))


def approvals_count(session: Db, organisation_id: int) -> int:
    query = select(func.count(Approval.id)).where(Approval.verifier_id == organisation_id)
    return int(session.scalar(query) or 0)


# ---------------------------------------------------------------- search
@dataclass
class Found:
    labels: list[Label]
    batches: list[Batch]
    producers: list[Organisation]
    verifiers: list[Organisation]

    @property
    def empty(self) -> bool:
        return not (self.labels or self.batches or self.producers or self.verifiers)


def search(session: Db, words: str) -> Found:
    """A serial (exact), lots (by prefix), HTXs and verifiers (code or name, any case)."""
    text = words.strip()[:100]
    if not text:
        return Found([], [], [], [])
    upper = text.upper()
    label = label_by_serial(session, upper) if len(upper) <= 20 else None
    lots = select(Batch).where(Batch.lot_code.startswith(upper, autoescape=True))
    pattern = f"%{_escape_like(text.lower())}%"

    def named(kind: OrgKind) -> list[Organisation]:
        query = select(Organisation).where(
            Organisation.kind == kind,
            or_(
                func.lower(Organisation.name).like(pattern, escape="\\"),
                func.lower(Organisation.code).like(pattern, escape="\\"),
            ),
        )
        return list(session.scalars(query.order_by(Organisation.name).limit(SEARCH_LIMIT)))

    return Found(
        [label] if label is not None else [],
        list(
            session.scalars(
                lots.options(joinedload(Batch.maker)).order_by(Batch.id.desc()).limit(SEARCH_LIMIT)
            )
        ),
        named(OrgKind.PRODUCER),
        named(OrgKind.VERIFIER),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
