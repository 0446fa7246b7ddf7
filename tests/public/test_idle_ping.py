"""The pool pings a connection before use only when it sat idle (registry/db.py,
ping_when_idle): a connection the server dropped while idle is replaced before the label
page uses it, and a connection in steady use is not pinged (the round trip that
pool_pre_ping cost every page)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from registry.db import ping_when_idle


def pings_over_five_uses(app: Flask, idle: float) -> int:
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle)
    for _ in range(5):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    with engine.connect() as connection:
        pings = connection.connection._connection_record.info.get("pings", 0)
    engine.dispose()
    return int(pings)


def test_a_connection_in_steady_use_is_not_pinged(app: Flask) -> None:
    assert pings_over_five_uses(app, idle=3600) == 0
    assert pings_over_five_uses(app, idle=0) == 5  # every checkout but the first


def test_an_idle_connection_the_server_dropped_is_replaced(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the server drops a connection on PostgreSQL only")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    ping_when_idle(engine, 0)
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.connect() as killer:
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.commit()
    other.dispose()
    with engine.connect() as connection:  # the pooled one is dead: pinged, replaced
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()


def test_a_pinged_connection_is_left_outside_a_transaction(app: Flask) -> None:
    """The label page reads on an autocommit connection; psycopg refuses to switch one that
    is in a transaction, which the ping's SELECT had begun (seen on PostgreSQL)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    ping_when_idle(engine, 0)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with engine.connect() as connection:  # pinged on checkout
        reads = connection.execution_options(isolation_level="AUTOCOMMIT")
        assert reads.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
