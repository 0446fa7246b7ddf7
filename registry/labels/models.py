"""Label criteria (versioned by the authority), label requests, and issued labels: one per
batch issuance, plus one per package when unit serials are asked for."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.accounts.models import Organisation
from registry.db import GRAMS_PER_KG, Base, InUnits, UTCDateTime, str_enum, utcnow
from registry.trace.models import Batch


class Criteria(Base):
    """What a batch must meet to carry the label; a new version replaces the old for new
    labels, and each label keeps the version it was issued under."""

    __tablename__ = "label_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    min_reduction_pct: Mapped[float] = mapped_column(Float)
    #: Per crop (catalogue code): {"min_reduction_pct": …, "max_g_co2e_per_kg": …}, either
    #: may be absent; a crop without a rule takes `min_reduction_pct` and no ceiling.
    crop_rules: Mapped[dict[str, dict[str, float]]] = mapped_column(JSON, default=dict)
    required_schemes: Mapped[list[str]] = mapped_column(JSON, default=list)
    validity_days: Mapped[int] = mapped_column(Integer)
    auto_issue: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    log_index: Mapped[int] = mapped_column()


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    ISSUED = "issued"
    REFUSED = "refused"


class LabelRequest(Base):
    """A producer's or processor's request for labels on a batch it holds."""

    __tablename__ = "label_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    units: Mapped[int] = mapped_column(default=0)
    unit_g: Mapped[int | None] = mapped_column(BigInteger)
    unit_kg = InUnits[float | None]("unit_g", GRAMS_PER_KG)
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus), default=RequestStatus.PENDING, index=True
    )
    reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    batch: Mapped[Batch] = relationship()
    organisation: Mapped[Organisation] = relationship()


class LabelStatus(enum.StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Label(Base):
    """An issued label: its serial, the signed PTT1 token and URL, and its status. Unit
    labels (one per package) point to their batch label through `parent_id` and share its
    issuance log entry."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_status_changed_at", "status_changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("label_requests.id"))
    criteria_version: Mapped[int] = mapped_column()
    lot: Mapped[str] = mapped_column(String(20))
    gtin: Mapped[str | None] = mapped_column(String(14))
    g_co2e_per_kg: Mapped[int] = mapped_column()
    reduction_permille: Mapped[int] = mapped_column()
    methodology: Mapped[str] = mapped_column(String(40))
    verifier: Mapped[str] = mapped_column(String(20))
    kid: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(400))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[LabelStatus] = mapped_column(
        str_enum(LabelStatus), default=LabelStatus.VALID, index=True
    )
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(300))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_log_index: Mapped[int | None] = mapped_column()
    log_index: Mapped[int] = mapped_column()
    # What the status API shows, copied at issuance so a status read is one row.
    product: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(20))
    commune: Mapped[str] = mapped_column(String(100))
    crop: Mapped[str] = mapped_column(String(20))  # the catalogue crop of the product
    #: kg CO2 the orchard's trees took up per kg of product (DESIGN.md §10b), shown beside
    #: the emission figure and never netted into it; None for crops that take up none.
    removals_kg_co2_per_kg: Mapped[float | None] = mapped_column(Float)

    batch: Mapped[Batch] = relationship()
    parent: Mapped[Label | None] = relationship(remote_side=[id])
    # The organisations behind the copied codes, for pages that show people their names.
    holder: Mapped[Organisation] = relationship(
        primaryjoin="foreign(Label.organisation) == Organisation.code", viewonly=True
    )
    verified_by: Mapped[Organisation] = relationship(
        primaryjoin="foreign(Label.verifier) == Organisation.code", viewonly=True
    )
