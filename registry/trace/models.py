"""Fields, their certifications, seasons and the append-only farm diary."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry import crops
from registry.accounts.models import Organisation, User
from registry.db import GRAMS_PER_KG, M2_PER_HA, Base, InUnits, UTCDateTime, str_enum, utcnow

BASELINE_YEAR = 2020  # the plans' reference year: a field's 2020 season is its baseline


class SeasonType(enum.StrEnum):
    """What a period is: one of Vietnam's rice seasons, an annual crop's cycle or a
    perennial's growing year (which a crop may open is its kind's, in the crop catalogue).
    The short code goes into season codes; crop cycles are numbered, as several may follow
    each other on a field in a year."""

    DONG_XUAN = "dong_xuan"  # winter–spring
    HE_THU = "he_thu"  # summer–autumn
    THU_DONG = "thu_dong"  # autumn–winter
    VU_MUA = "vu_mua"  # main wet season
    CROP_CYCLE = "crop_cycle"  # sowing or planting to last harvest (annual crops)
    GROWING_YEAR = "growing_year"  # 12 months of an orchard (perennial crops)

    @property
    def short(self) -> str:
        return {
            "dong_xuan": "DX",
            "he_thu": "HT",
            "thu_dong": "TD",
            "vu_mua": "VM",
            "crop_cycle": "C",
            "growing_year": "N",
        }[self.value]

    @property
    def numbered(self) -> bool:
        return self is SeasonType.CROP_CYCLE

    def code(self, field_code: str, year: int, cycle: int = 1) -> str:
        """The season code: field-year-season, e.g. DS-01-2026-DX or HD-02-2026-C3."""
        number = str(cycle) if self.numbered else ""
        return f"{field_code.upper()}-{year}-{self.short}{number}"


class SeasonStatus(enum.StrEnum):
    OPEN = "open"  # sown, diary being kept
    HARVESTED = "harvested"  # harvest recorded


class Crop(enum.StrEnum):
    """The crops that reports and verifier accreditations handle so far. Seasons take any
    crop of the catalogue (`registry.crops`); this goes once those read the catalogue too."""

    RICE = "rice"


class Scheme(enum.StrEnum):
    VIETGAP = "vietgap"
    GLOBALGAP = "globalgap"
    ORGANIC = "organic"
    OCOP = "ocop"


class DiaryKind(enum.StrEnum):
    """Every kind of diary entry; which ones a season keeps is its crop's (catalogue)."""

    WATER = "water"
    FERTILISER = "fertiliser"
    AMENDMENT = "amendment"
    STRAW = "straw"
    PESTICIDE = "pesticide"
    HARVEST = "harvest"
    ENERGY = "energy"
    NOTE = "note"
    SOWING = "sowing"  # an annual crop sown or planted
    PLANTING = "planting"  # fruit trees planted: how many, in which year
    LIME = "lime"
    IRRIGATION = "irrigation"  # watering with its pump hours and energy
    RESIDUE = "residue"  # what was done with crop residues or prunings
    PRUNING = "pruning"
    TREES = "trees"  # trees removed, or removed and replanted


class Field(Base):
    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    planting_area_code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    area_m2: Mapped[int] = mapped_column(BigInteger)
    area_ha = InUnits[float]("area_m2", M2_PER_HA)
    province: Mapped[str] = mapped_column(String(60))
    commune: Mapped[str] = mapped_column(String(100))
    household: Mapped[str | None] = mapped_column(String(120))  # private: never published
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    drawn_area_m2: Mapped[int | None] = mapped_column(BigInteger)
    drawn_area_ha = InUnits[float | None]("drawn_area_m2", M2_PER_HA)
    #: code, name and planting-area code without case or accents ("ha dong" finds "Hà
    #: Đông"), kept by the service (trace.finding.search_text), searched with LIKE on SQLite
    #: and PostgreSQL alike
    search_text: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    seasons: Mapped[list[Season]] = relationship(
        back_populates="field", order_by="Season.sowing_date.desc()"
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="field", order_by="Certification.valid_until.desc()"
    )


class Certification(Base):
    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    scheme: Mapped[Scheme] = mapped_column(str_enum(Scheme))
    number: Mapped[str] = mapped_column(String(60))
    issuer: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    ocop_stars: Mapped[int | None] = mapped_column(SmallInteger)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    field: Mapped[Field] = relationship(back_populates="certifications")


class Season(Base):
    """A field's reporting period for one crop: a rice season, an annual crop's cycle or an
    orchard's growing year (§10b). `sowing_date` is when it starts (sowing, planting, or the
    first day of the growing year); an orchard's records its trees' planting year."""

    __tablename__ = "seasons"
    __table_args__ = (UniqueConstraint("field_id", "year", "season_type", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("fields.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    crop: Mapped[str] = mapped_column(String(20), default=crops.DEFAULT)  # a catalogue code
    season_type: Mapped[SeasonType] = mapped_column(str_enum(SeasonType))
    year: Mapped[int] = mapped_column(SmallInteger)
    cycle: Mapped[int] = mapped_column(SmallInteger, default=1, server_default=text("1"))
    planting_year: Mapped[int | None] = mapped_column(SmallInteger)
    tree_count: Mapped[int | None] = mapped_column(Integer)
    sowing_date: Mapped[date] = mapped_column(Date)
    harvest_date: Mapped[date | None] = mapped_column(Date)
    harvested_g: Mapped[int | None] = mapped_column(BigInteger)
    harvested_kg = InUnits[float | None]("harvested_g", GRAMS_PER_KG)
    status: Mapped[SeasonStatus] = mapped_column(str_enum(SeasonStatus), default=SeasonStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    field: Mapped[Field] = relationship(back_populates="seasons")
    entries: Mapped[list[DiaryEntry]] = relationship(
        back_populates="season", order_by="(DiaryEntry.date, DiaryEntry.id)"
    )

    @property
    def is_baseline(self) -> bool:
        """The 2020 season is the field's baseline practice (the plans' reference year)."""
        return self.year == BASELINE_YEAR

    @property
    def crop_info(self) -> crops.Crop:
        """The season's crop as the catalogue describes it."""
        return crops.get(self.crop)

    @property
    def tree_age_years(self) -> int | None:
        """The trees' age at the start of the growing year (§10b `tree_age_years`)."""
        if self.planting_year is None:
            return None
        return max(0, self.sowing_date.year - self.planting_year)


class DiaryEntry(Base):
    """One diary record. Never updated: a correction is a new entry that supersedes it."""

    __tablename__ = "diary_entries"
    __table_args__ = (Index("ix_diary_entries_season_date", "season_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"))
    kind: Mapped[DiaryKind] = mapped_column(str_enum(DiaryKind))
    date: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("diary_entries.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    digest: Mapped[str] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    season: Mapped[Season] = relationship(back_populates="entries")
    recorded_by: Mapped[User] = relationship()
    supersedes: Mapped[DiaryEntry | None] = relationship(remote_side=[id])


class EvidenceFile(Base):
    """Metadata of a stored evidence file; the bytes live in the store under their SHA-256."""

    __tablename__ = "evidence_files"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column()
    original_name: Mapped[str] = mapped_column(String(120))
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---------------------------------------------------------------- part 2: batches
class Step(enum.StrEnum):
    """How a batch came to be when it is not a processing step: from a harvest, or by
    splitting or merging batches. Processing steps (drying, milling, washing, grading…) are
    codes of the crop catalogue (`registry.crops`, steps.json and each crop's steps), so a
    batch's `step` is one of these or a catalogue step code; its `product` is a catalogue
    product code (which names the crop)."""

    HARVEST = "harvest"
    SPLIT = "split"
    MERGE = "merge"


class Batch(Base):
    """A lot of product. `quantity_kg` is what it was made with and never changes;
    `remaining_kg` is what is left after children drew on it (changed under a row lock)."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("maker_id", "lot_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    lot_code: Mapped[str] = mapped_column(String(20))
    product: Mapped[str] = mapped_column(String(crops.CODE_LENGTH))  # a catalogue product
    gtin: Mapped[str | None] = mapped_column(String(14))
    step: Mapped[str] = mapped_column(String(crops.CODE_LENGTH))  # Step or a catalogue step
    quantity_g: Mapped[int] = mapped_column(BigInteger)
    remaining_g: Mapped[int] = mapped_column(BigInteger)
    quantity_kg = InUnits[float]("quantity_g", GRAMS_PER_KG)
    remaining_kg = InUnits[float]("remaining_g", GRAMS_PER_KG)
    production_date: Mapped[date] = mapped_column(Date)
    g_co2e_per_kg: Mapped[float] = mapped_column(Float)
    baseline_g_co2e_per_kg: Mapped[float | None] = mapped_column(Float)
    #: kg CO2 the orchard's trees took up per kg of this product (DESIGN.md §10b), carried
    #: through steps as the emission intensity is and never netted into it; None for crops
    #: whose kind takes up none (rice, annual crops) and for batches made before it was kept.
    removals_kg_co2_per_kg: Mapped[float | None] = mapped_column(Float)
    derivation: Mapped[dict[str, Any]] = mapped_column(JSON)
    at_risk_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    at_risk_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    maker: Mapped[Organisation] = relationship(foreign_keys=[maker_id])
    inputs: Mapped[list[BatchInput]] = relationship(
        back_populates="batch", foreign_keys="BatchInput.batch_id", order_by="BatchInput.id"
    )

    @property
    def crop(self) -> str:
        """The code of the crop the batch's product comes from."""
        return crops.product(self.product).crop

    @property
    def reduction_pct(self) -> float | None:
        if not self.baseline_g_co2e_per_kg:
            return None
        return 100 * (1 - self.g_co2e_per_kg / self.baseline_g_co2e_per_kg)


class BatchInput(Base):
    """kg a batch drew from an approved season's harvest or from a parent batch."""

    __tablename__ = "batch_inputs"
    __table_args__ = (
        CheckConstraint("(season_id IS NULL) <> (parent_id IS NULL)", name="one_source"),
        CheckConstraint("grams > 0", name="positive_grams"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    season_id: Mapped[int | None] = mapped_column(ForeignKey("seasons.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approvals.id"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("emission_results.id"))
    grams: Mapped[int] = mapped_column(BigInteger)
    kg = InUnits[float]("grams", GRAMS_PER_KG)

    batch: Mapped[Batch] = relationship(back_populates="inputs", foreign_keys=[batch_id])
    season: Mapped[Season | None] = relationship()
    parent: Mapped[Batch | None] = relationship(foreign_keys=[parent_id])


class ProductPrice(Base):
    """A price per kg the authority set for a product, so that a step's emissions are shared
    between its co-products by economic value (docs/coproducts.md). Prices are appended,
    never changed: the newest row of a product is the one in force."""

    __tablename__ = "product_prices"
    __table_args__ = (CheckConstraint("vnd_per_kg >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(String(crops.CODE_LENGTH), index=True)
    vnd_per_kg: Mapped[int] = mapped_column(BigInteger)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()


class HandoverStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Handover(Base):
    """A batch shipped to another organisation; ownership moves only on acceptance."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[HandoverStatus] = mapped_column(
        str_enum(HandoverStatus), default=HandoverStatus.PENDING
    )
    note: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_index: Mapped[int] = mapped_column()
    decided_log_index: Mapped[int | None] = mapped_column()

    batch: Mapped[Batch] = relationship()
    sender: Mapped[Organisation] = relationship(foreign_keys=[sender_id])
    receiver: Mapped[Organisation] = relationship(foreign_keys=[receiver_id])


trace_event_batches = Table(
    "trace_event_batches",
    Base.metadata,
    Column("event_id", ForeignKey("trace_events.id"), primary_key=True),
    Column("batch_id", ForeignKey("batches.id"), primary_key=True, index=True),
)


class TraceEvent(Base):
    """An EPCIS 2.0 event as it is exported, about one or more batches."""

    __tablename__ = "trace_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(60), unique=True)
    type: Mapped[str] = mapped_column(String(30))
    biz_step: Mapped[str | None] = mapped_column(String(60))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    captured: Mapped[bool] = mapped_column(default=False)  # sent by a partner's system
    log_index: Mapped[int] = mapped_column()

    batches: Mapped[list[Batch]] = relationship(secondary=trace_event_batches)


class Notice(Base):
    """A message for an organisation's staff, e.g. a batch put at risk by a revocation."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
