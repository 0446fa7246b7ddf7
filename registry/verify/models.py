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
    per_kg_product_g_co2e: Mapped[float | None] = mapped_column(Float)  # None: no harvest
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
    SUPERSEDED = "superseded"  # withdrawn by the HTX, e.g. to correct it
    REVOKED = "revoked"  # its approval was revoked: its seasons are no longer verified


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


class Accreditation(Base):
    """The authority's accreditation of a verifier: what it may verify, where, until when."""

    __tablename__ = "accreditations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    crops: Mapped[list[str]] = mapped_column(JSON)
    provinces: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship()


class VerifierKey(Base):
    """A verifier's Ed25519 public key (the private key never reaches the registry)."""

    __tablename__ = "verifier_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64url of the raw 32 bytes
    label: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    compromised: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship()


class DeclaredTie(Base):
    """A verifier's declared tie to a producer (consultancy, ownership): a conflict of
    interest that bars it from verifying that producer's reports. Declared by the verifier
    itself or by the authority (`declared_by`; empty on ties declared before it was kept)."""

    __tablename__ = "verifier_relationships"

    verifier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(300))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))

    verifier: Mapped[Organisation] = relationship(foreign_keys=[verifier_id])
    producer: Mapped[Organisation] = relationship(foreign_keys=[producer_id])
    declared_by: Mapped[Organisation | None] = relationship(foreign_keys=[declared_by_id])


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class Approval(Base):
    """A verifier's signed decision on a report: the exact statement, its JCS bytes and
    the signature, checked against the verifier's key before it was recorded."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("mrv_reports.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    decision: Mapped[Decision] = mapped_column(str_enum(Decision))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    statement_digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))
    kid: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    revoked_log_index: Mapped[int | None] = mapped_column()

    report: Mapped[MrvReport] = relationship()
    verifier: Mapped[Organisation] = relationship()

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "valid"


class ReviewComment(Base):
    """A verifier's request for correction, or the HTX's answer, on a report."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("mrv_reports.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()
