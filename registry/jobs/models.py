"""The job a person sees: what was asked, by whom, how far it has got and how it ended.

procrastinate keeps its own rows (the queue: what to run, where and when); a `Job` is the
registry's record of the same work, for pages and the API. Its id is the task's argument,
so a task finds its record, and a record finished already tells a task run twice to stop.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime, str_enum, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


class Job(Base):
    """One piece of background work asked for by an organisation (and a user, unless a
    machine or the registry itself asked). `done`/`total` count what the kind counts (rows,
    pages, seasons); `total` 0 means not known yet. `result` is a small JSON summary the
    task returns; a file it makes is stored under `result_key` (registry.storage)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.QUEUED)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lock: Mapped[str | None] = mapped_column(String(100))  # jobs sharing it run one at a time
    locale: Mapped[str] = mapped_column(String(8), default="vi")  # the asker's language
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_key: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


QUEUE_TABLES = "procrastinate_"  # procrastinate's own tables (its migration), not models


def alembic_include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """What Alembic compares with the models: everything but procrastinate's tables."""
    return not (type_ == "table" and (name or "").startswith(QUEUE_TABLES))
