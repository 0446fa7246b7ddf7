"""What the public side keeps: how often each label's page is opened, coarsely.

One row per label, day, declared locale and province with a counter. No address, no
device, no time of day and no cookie is kept, so the rows say how much a label is scanned,
roughly where and roughly by whom (Vietnamese or foreign browsers), never who scanned it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base


class ScanDay(Base):
    __tablename__ = "label_scan_days"
    __table_args__ = (Index("ix_label_scan_days_day", "day"),)

    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # The browser's first Accept-Language tag, e.g. "vi-VN" or "en"; "other" when odd.
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The province the reverse proxy placed the visitor in (scans.coarse_province):
    # a name of places.PROVINCES, "abroad", or "" when not told.
    province: Mapped[str] = mapped_column(
        String(40), primary_key=True, default="", server_default=""
    )
    count: Mapped[int] = mapped_column(default=1)
