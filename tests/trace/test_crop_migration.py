"""The migration to seasons of every crop keeps every rice season as it was (cycle 1, the same
code), lets crop cycles follow each other on a field, and goes back only while every season
is rice."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from registry import create_app
from registry.db import db

BEFORE, AFTER = "b04a113e90a9", "7d2f5c9e1a43"
SCHEMA = "crop_migration"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of its own (a scratch schema on PostgreSQL)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={SCHEMA}"}}
    else:
        url, options = f"sqlite:///{tmp_path / 'm.db'}", {}
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))
        db.engine.dispose()


def run(sql: str) -> list[tuple[object, ...]]:
    """The rows, the transaction ended (on PostgreSQL an open one would block the DDL)."""
    found = [tuple(r) for r in db.session.execute(text(sql))]
    db.session.rollback()
    return found


def write(*statements: str) -> None:
    for sql in statements:
        db.session.execute(text(sql))
    db.session.commit()


def season(id_: int, code: str, crop: str, kind: str, cycle: int | None = None) -> str:
    columns = "id, field_id, code, crop, season_type, year, sowing_date, status, created_at"
    values = f"{id_}, 1, '{code}', '{crop}', '{kind}', 2026, '2026-02-01', 'open', '2026-01-01'"
    if cycle is not None:
        columns, values = f"{columns}, cycle", f"{values}, {cycle}"
    return f"INSERT INTO seasons ({columns}) VALUES ({values})"


def test_rice_seasons_survive_and_crop_cycles_follow_each_other(
    fresh: Flask, capfd: pytest.CaptureFixture[str]
) -> None:
    with fresh.app_context():
        upgrade(revision=BEFORE)
        write(
            "INSERT INTO organisations (id, code, name, kind, province, commune, created_at)"
            " VALUES (1, 'HTX', 'HTX', 'producer', 'Hà Nội', 'phường Hà Đông', '2026-01-01')",
            "INSERT INTO fields (id, organisation_id, code, name, area_m2, province, commune,"
            " geometry, created_at, log_index)"
            " VALUES (1, 1, 'HD-01', 'HD-01', 5000, 'Hà Nội', 'Hà Đông', '{}', '2026-01-01', 0)",
            season(1, "HD-01-2026-DX", "rice", "dong_xuan"),
        )
        upgrade(revision=AFTER)
        assert run("SELECT code, cycle, planting_year, tree_count FROM seasons") == [
            ("HD-01-2026-DX", 1, None, None)
        ]
        write(
            season(2, "HD-01-2026-C1", "vegetable", "crop_cycle", 1),
            season(3, "HD-01-2026-C2", "vegetable", "crop_cycle", 2),
        )
        with pytest.raises(IntegrityError):
            write(season(4, "HD-01-2026-C2", "vegetable", "crop_cycle", 2))
        db.session.rollback()
        with pytest.raises(SystemExit):  # flask-migrate's way of failing, as on the command line
            downgrade(revision=BEFORE)
        assert "2 seasons are of crops other than rice" in capfd.readouterr().err
        db.session.rollback()
        assert run("SELECT COUNT(*) FROM seasons") == [(3,)]
        write("DELETE FROM seasons WHERE crop <> 'rice'")
        downgrade(revision=BEFORE)
        assert run("SELECT code, crop, season_type FROM seasons") == [
            ("HD-01-2026-DX", "rice", "dong_xuan")
        ]
        with pytest.raises(IntegrityError):  # one season of a type a year, as before
            write(season(5, "HD-01-2026-DX2", "rice", "dong_xuan"))
        db.session.rollback()
        db.session.remove()
