"""The SQLAlchemy handle shared by every domain, with stable constraint names for Alembic."""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast, overload

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Dialect, Enum, Float, MetaData, TypeDecorator
from sqlalchemy import cast as cast_
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

Q = TypeVar("Q", float, float | None)

# What services take: a plain Session (scripts, tests) or Flask-SQLAlchemy's scoped one.
Db = Session | scoped_session[Any]


def commit_keeping(session: Db) -> None:
    """Commit without expiring what the session holds: for a request that goes on with the
    rows it has just read or written (its user, its organisation, the record it answers
    with), which would otherwise be read again, one query a row."""
    actual = session() if isinstance(session, scoped_session) else session
    expiring, actual.expire_on_commit = actual.expire_on_commit, False
    try:
        actual.commit()
    finally:
        actual.expire_on_commit = expiring


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored as naive UTC on SQLite, aware on PostgreSQL)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use registry.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(cls: type[enum.StrEnum], length: int = 20) -> Enum:
    """Store a StrEnum by its value (readable in SQL and stable across renames of members)."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


GRAMS_PER_KG = 1000
M2_PER_HA = 10_000


def grams(kg: float) -> int:
    """kg as whole grams, the unit quantities are stored and summed in."""
    return round(kg * GRAMS_PER_KG)


def square_metres(ha: float) -> int:
    """ha as whole m², the unit areas are stored and summed in."""
    return round(ha * M2_PER_HA)


class InUnits(Generic[Q]):
    """A quantity in kg or ha, read and written over a column kept in whole grams or m².

    Masses and areas were once floating-point columns, so three draws summed to
    5280.000000000004 kg against a 5280 kg harvest and an auditor's `sum > harvest` query
    flagged a mass balance that held. Whole units make every sum and comparison in SQL
    exact; this view gives Python code and templates kg and ha. Writing rounds to the whole
    unit. In SQL use the column itself (`Batch.quantity_g`): the view exists in Python only.
    """

    def __init__(self, column: str, per: int) -> None:
        self.column, self.per = column, per

    @overload
    def __get__(self, obj: None, owner: type) -> InUnits[Q]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> Q: ...

    def __get__(self, obj: object | None, owner: type) -> InUnits[Q] | Q:
        if obj is None:
            return self
        whole = getattr(obj, self.column)
        return cast(Q, None if whole is None else whole / self.per)

    def __set__(self, obj: object, value: Q) -> None:
        setattr(obj, self.column, None if value is None else round(value * self.per))


def in_kg(grams_column: Any) -> Any:
    """A grams column (or a sum of one) in kg as a float, for SQL that reads kg."""
    return cast_(grams_column, Float) / GRAMS_PER_KG


def in_ha(m2_column: Any) -> Any:
    """An m² column (or a sum of one) in ha as a float, for SQL that reads ha."""
    return cast_(m2_column, Float) / M2_PER_HA


def ping_when_idle(engine: Any, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it has sat idle `idle_seconds` or
    more: a connection the server or a firewall dropped while idle is replaced before a
    request sees it (the pool retries on `DisconnectionError`), as `pool_pre_ping` does,
    without the round trip `pool_pre_ping` costs on every checkout (one of a label page's
    three, DESIGN.md §9). A connection that drops while busy fails its statement; the pool
    then invalidates itself, so the next checkout connects anew."""
    from sqlalchemy import event, exc

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        record.info["pings"] = record.info.get("pings", 0) + 1
        try:
            cursor = dbapi.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi.rollback()  # end the transaction the ping began: the user may set autocommit
        except Exception as dropped:
            raise exc.DisconnectionError() from dropped
