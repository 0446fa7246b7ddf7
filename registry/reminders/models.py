"""One reminder: an organisation owes a report or a confirmation for a period by a date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime, utcnow


class CalendarReminder(Base):
    """Recorded once per organisation, deadline and period (the daily job may run twice);
    `created_at` says since when the organisation has been reminded."""

    __tablename__ = "calendar_reminders"
    __table_args__ = (UniqueConstraint("organisation_id", "what", "whose", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    what: Mapped[str] = mapped_column(String(20))  # "report" or "confirmation"
    whose: Mapped[str] = mapped_column(String(20))  # "province", "department" or "commune"
    period: Mapped[str] = mapped_column(String(10))  # 2026, 2026-H1…
    due: Mapped[date] = mapped_column(Date)  # due *before* this day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
