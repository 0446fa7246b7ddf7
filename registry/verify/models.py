"""Emission results per season and the MRV reports that bundle them for verification."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import Organisation, User
from registry.db import Base, UTCDateTime, str_enum, utcnow
from registry.trace.models import Season


class EmissionResult(Base):
    """One computation of a season's emissions. A new row is added when the diary (or the
    methodology) changes; the newest row is the season's current result. `inputs` is the
    exact calculator input, so the figures can be recomputed bit for bit years later."""

    __tablename__ = "emission_results"
    __table_args__ = (Index("ix_emission_results_season_id_id", "season_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"))
    methodology: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(SmallInteger)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    inputs_digest: Mapped[str] = mapped_column(String(64))
    area_ha: Mapped[float] = mapped_column(Float)
    yield_kg: Mapped[float] = mapped_column(Float)
    total_kg_co2e: Mapped[float] = mapped_column(Float)
    per_ha_kg_co2e: Mapped[float] = mapped_column(Float)
    per_kg_product_g_co2e: Mapped[float] = mapped_column(Float)
    baseline_total_kg_co2e: Mapped[float | None] = mapped_column(Float)
    baseline_yield_kg: Mapped[float | None] = mapped_column(Float)
    reduction_pct: Mapped[float | None] = mapped_column(Float)
    reduction_per_ha_pct: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    season: Mapped[Season] = relationship()


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class MrvReport(Base):
    """An HTX's report for a monitoring period; its content is frozen when submitted."""

    __tablename__ = "mrv_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus), default=ReportStatus.DRAFT, index=True
    )
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    digest: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    log_index: Mapped[int | None] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User] = relationship()
    seasons: Mapped[list[ReportSeason]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class ReportSeason(Base):
    """A season in a report, with the result it was reported with."""

    __tablename__ = "mrv_report_seasons"

    report_id: Mapped[int] = mapped_column(ForeignKey("mrv_reports.id"), primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"), primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("emission_results.id"))

    report: Mapped[MrvReport] = relationship(back_populates="seasons")
    season: Mapped[Season] = relationship()
    result: Mapped[EmissionResult] = relationship()
