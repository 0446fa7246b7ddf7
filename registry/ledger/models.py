"""Stored log: entries (exact bytes), complete-subtree hashes, the head, signed checkpoints,
and the entries submitted but not yet numbered (registry/ledger/sequencer.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, UTCDateTime, utcnow


class LogEntry(Base):
    """One leaf: the exact JCS bytes that were hashed, with a few columns to list them by."""

    __tablename__ = "log_entries"
    __table_args__ = (Index("ix_log_entries_subject", "subject"),)

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    entry: Mapped[bytes] = mapped_column(LargeBinary)


class LogNode(Base):
    """Hash of the complete subtree `(level, index)`; level 0 holds the leaf hashes."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogHead(Base):
    """The single row whose update serialises appenders, keeping indices gapless."""

    __tablename__ = "log_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)


class LogCheckpoint(Base):
    """A signed checkpoint note as served, kept so that every served note can be re-checked."""

    __tablename__ = "log_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[bytes] = mapped_column(LargeBinary)
    key_hash: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LogPublication(Base):
    """The size of the newest checkpoint published with its tiles to the file store
    (`registry.ledger.publish`). Publishers raise it only upwards, holding its row while
    they write the store's checkpoint, so the store's checkpoint never goes back in size."""

    __tablename__ = "log_publication"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


UNNUMBERED = text("log_index IS NULL")
NUMBERED = text("log_index IS NOT NULL")


class LogPending(Base):
    """An entry a committed business transaction submitted, in the sequencer's pool.

    The sequencer (registry/ledger/sequencer.py) numbers pending entries in batches, oldest
    `id` first: it stores them as `LogEntry` rows, sets `log_index` here and on the business
    rows named in `fill` (`[table, column, key column, key]` each), all in one transaction.
    A numbered row stays while the log grows by `sequencer.KEEP` entries, so that writers
    waiting in other processes can read their index, then the sequencer deletes it."""

    __tablename__ = "log_pending"
    __table_args__ = (
        Index(
            "ix_log_pending_unnumbered",
            "id",
            postgresql_where=UNNUMBERED,
            sqlite_where=UNNUMBERED,
        ),
        Index(
            "ix_log_pending_log_index",
            "log_index",
            postgresql_where=NUMBERED,
            sqlite_where=NUMBERED,
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(100))
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    fill: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    log_index: Mapped[int | None] = mapped_column(BigInteger)
