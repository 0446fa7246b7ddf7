"""The cells of sums every report reads, the state of their last rebuild, the periodic
reports that were generated with their built files, and the communes' signed confirmations.

A cell is one place (province, commune, HTX) and one month; its values are sums that can
be added up to any area and period. `revision` is the rebuild in which the cell last
changed (what the national systems pull incrementally); `built` is the last rebuild that
saw the cell at all: one that does not is emptied (zeros) rather than deleted, so that a
pull learns that it is gone."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import Organisation, User
from registry.db import Base, UTCDateTime, str_enum, utcnow


class RollupState(Base):
    """The single row saying when the cells were last brought up to date, and the
    watermarks of the records they were computed from (changes.py): for each kind of
    record found by id, the newest id seen by the last refresh (`*_seen`) and by the one
    before (`*_floor`)."""

    __tablename__ = "report_rollup_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    previous_at: Mapped[datetime] = mapped_column(UTCDateTime)  # built_at of the one before
    full_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the last full rebuild
    log_size: Mapped[int] = mapped_column(BigInteger)
    scan_day: Mapped[date] = mapped_column(Date)
    result_seen: Mapped[int] = mapped_column(Integer)
    result_floor: Mapped[int] = mapped_column(Integer)
    certification_seen: Mapped[int] = mapped_column(Integer)
    certification_floor: Mapped[int] = mapped_column(Integer)
    label_seen: Mapped[int] = mapped_column(Integer)
    label_floor: Mapped[int] = mapped_column(Integer)
    field_seen: Mapped[int] = mapped_column(Integer)
    field_floor: Mapped[int] = mapped_column(Integer)


class _Place:
    """Columns every cell has: where, when (a calendar month) and its change marks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(60))
    commune: Mapped[str] = mapped_column(String(100))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    revision: Mapped[int] = mapped_column(Integer)
    built: Mapped[int] = mapped_column(Integer)


class EmissionCell(_Place, Base):
    """Non-baseline seasons by the month of their harvest, each counted with its newest
    emission result, by crop (a code of the crop catalogue, `registry.crops`): a crop's
    seasons, crop cycles or growing years (DESIGN.md §10b) are the "seasons" here.
    `compared_*` are the seasons that have a 2020 baseline, `baseline_*` those baselines,
    so reductions compare like with like. `removals_kg_co2` is the CO₂ the orchards' trees
    took up (§10b), kept beside the emissions and never subtracted from them."""

    __tablename__ = "report_emission_cells"
    __table_args__ = (
        UniqueConstraint("province", "commune", "organisation_id", "crop", "year", "month"),
        Index("ix_report_emission_cells_revision_id", "revision", "id"),
    )

    crop: Mapped[str] = mapped_column(String(20))
    seasons: Mapped[int] = mapped_column(Integer)
    area_ha: Mapped[float] = mapped_column(Float)
    total_kg_co2e: Mapped[float] = mapped_column(Float)
    yield_kg: Mapped[float] = mapped_column(Float)  # harvested product (the crop's own)
    removals_kg_co2: Mapped[float] = mapped_column(Float, server_default="0")
    compared_seasons: Mapped[int] = mapped_column(Integer)
    compared_area_ha: Mapped[float] = mapped_column(Float)
    compared_kg_co2e: Mapped[float] = mapped_column(Float)
    compared_yield_kg: Mapped[float] = mapped_column(Float)
    baseline_area_ha: Mapped[float] = mapped_column(Float)
    baseline_kg_co2e: Mapped[float] = mapped_column(Float)
    baseline_yield_kg: Mapped[float] = mapped_column(Float)
    verified_seasons: Mapped[int] = mapped_column(Integer)
    verified_area_ha: Mapped[float] = mapped_column(Float)
    awd_area_ha: Mapped[float] = mapped_column(Float)
    vietgap_area_ha: Mapped[float] = mapped_column(Float)
    organic_area_ha: Mapped[float] = mapped_column(Float)
    certified_area_ha: Mapped[float] = mapped_column(Float)


class LabelCell(_Place, Base):
    """Labels by the month they were issued, counted by their status now, and the
    openings of their pages (public.models.ScanDay) by the month of the scan, by the crop
    their product comes from (a catalogue code); the place is the commune where most of
    the crop grew (as the label says) in the province of the organisation that holds the
    label. `removals_labels` counts the batch labels that show the CO₂ their orchard took
    up per kg (DESIGN.md §7) and `removals_kg_co2_per_kg_sum` adds up those figures, so
    that cells still add up; a row shows their mean (`removals_kg_co2_per_kg`)."""

    __tablename__ = "report_label_cells"
    __table_args__ = (
        UniqueConstraint("province", "commune", "organisation_id", "crop", "year", "month"),
        Index("ix_report_label_cells_revision_id", "revision", "id"),
    )

    crop: Mapped[str] = mapped_column(String(20))
    issued: Mapped[int] = mapped_column(Integer)
    valid: Mapped[int] = mapped_column(Integer)
    suspended: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[int] = mapped_column(Integer)
    unit_labels: Mapped[int] = mapped_column(Integer)
    scans: Mapped[int] = mapped_column(Integer)
    removals_labels: Mapped[int] = mapped_column(Integer, server_default="0")
    removals_kg_co2_per_kg_sum: Mapped[float] = mapped_column(Float, server_default="0")

    @property
    def removals_kg_co2_per_kg(self) -> float | None:
        """The mean CO₂ taken up per kg that the cell's batch labels show; None if none do."""
        if not self.removals_labels:
            return None
        return round(self.removals_kg_co2_per_kg_sum / self.removals_labels, 3)


class FieldCell(_Place, Base):
    """Fields by the month they were registered."""

    __tablename__ = "report_field_cells"
    __table_args__ = (UniqueConstraint("province", "commune", "organisation_id", "year", "month"),)

    fields: Mapped[int] = mapped_column(Integer)
    area_ha: Mapped[float] = mapped_column(Float)


class ReportKind(enum.StrEnum):
    HALF = "half"  # 6-month report
    ANNUAL = "annual"


class GeneratedReport(Base):
    """A 6-month or annual report as generated: its data (what the PDF and the XLSX show),
    the SHA-256 of the data's JCS and the log entry that holds that digest."""

    __tablename__ = "generated_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    province: Mapped[str | None] = mapped_column(String(60))
    commune: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()
    #: The job that generated it (registry/reports/builds.py): the job run again after its
    #: worker was killed finds the report it made instead of making a second one. None for
    #: reports generated before reports were jobs.
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), unique=True
    )

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()


class ReportFile(Base):
    """A built PDF or XLSX of a generated report, kept in the store under the SHA-256 of its
    bytes (registry/reports/files.py): built once, then served from the store."""

    __tablename__ = "report_files"
    __table_args__ = (CheckConstraint("format IN ('pdf', 'xlsx')", name="format"),)

    report_id: Mapped[int] = mapped_column(ForeignKey("generated_reports.id"), primary_key=True)
    format: Mapped[str] = mapped_column(String(8), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommuneConfirmation(Base):
    """A commune office's confirmation of its commune's reported reduction for a period:
    the statement, its JCS digest and the registry's signature over those bytes."""

    __tablename__ = "commune_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    province: Mapped[str] = mapped_column(String(60))
    commune: Mapped[str] = mapped_column(String(100))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    statement_digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    kid: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    confirmed_by: Mapped[User] = relationship()
