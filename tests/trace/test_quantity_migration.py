"""The migration to whole grams and m² keeps every recorded quantity, both ways, and makes
the auditor's mass-balance query exact."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from registry import create_app
from registry.db import db

BEFORE, AFTER = "67b301986592", "4c1e7a9b2d50"
DRAWS = (2966.753, 1447.902, 865.345)  # as floats these sum to 5280.000000000001


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of its own (a scratch schema on PostgreSQL)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS quantities CASCADE"))
            conn.execute(text("CREATE SCHEMA quantities"))
        engine.dispose()
        options = {"connect_args": {"options": "-csearch_path=quantities"}}
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
                conn.execute(text("DROP SCHEMA quantities CASCADE"))
        db.engine.dispose()


def run(sql: str) -> list[tuple[object, ...]]:
    """The rows, the transaction ended (on PostgreSQL an open one would block the DDL)."""
    found = [tuple(r) for r in db.session.execute(text(sql))]
    db.session.rollback()
    return found


def test_quantities_survive_the_move_to_whole_units_both_ways(fresh: Flask) -> None:
    with fresh.app_context():
        upgrade(revision=BEFORE)
        _old_world()
        assert run(_OVERDRAWN.format(drawn="kg", harvest="harvested_kg")) == [(1,)]  # the bug
        upgrade(revision=AFTER)
        assert run("SELECT area_m2, drawn_area_m2 FROM fields") == [(12_345, None)]
        assert run("SELECT harvested_g FROM seasons") == [(5_280_000,)]
        assert run("SELECT grams FROM batch_inputs ORDER BY id") == [
            (2_966_753,),
            (1_447_902,),
            (865_345,),
        ]
        assert run("SELECT quantity_g, remaining_g FROM batches") == [(5_280_000, 5_279_999)]
        assert run("SELECT unit_g FROM label_requests") == [(2_500,)]
        assert run(_OVERDRAWN.format(drawn="grams", harvest="harvested_g")) == []
        with pytest.raises(Exception, match=r"(?i)check"):
            db.session.execute(text(_INPUT.format(id=9, grams=0)))
        db.session.rollback()
        downgrade(revision=BEFORE)
        assert run("SELECT area_ha FROM fields") == [(1.2345,)]
        assert run("SELECT kg FROM batch_inputs ORDER BY id") == [(k,) for k in DRAWS]
        assert run("SELECT quantity_kg, remaining_kg FROM batches") == [(5280.0, 5279.999)]
        db.session.remove()


_OVERDRAWN = (
    "SELECT s.id FROM seasons s WHERE (SELECT SUM(i.{drawn}) FROM batch_inputs i"
    " WHERE i.season_id = s.id) > s.{harvest}"
)
_INPUT = "INSERT INTO batch_inputs (id, batch_id, season_id, grams) VALUES ({id}, 1, 1, {grams})"


def _old_world() -> None:
    """One field, its season of 5,280 kg, a batch drawn from it in three draws, a request."""
    for sql in (
        "INSERT INTO organisations (id, code, name, kind, province, commune, created_at)"
        " VALUES (1, 'HTX', 'HTX', 'producer', 'Cần Thơ', 'Thới Lai', '2026-01-01')",
        "INSERT INTO fields (id, organisation_id, code, name, area_ha, province, commune,"
        " geometry, created_at, log_index)"
        " VALUES (1, 1, 'F1', 'F1', 1.2345, 'Cần Thơ', 'Thới Lai', '{}', '2026-01-01', 0)",
        "INSERT INTO seasons (id, field_id, code, crop, season_type, year, sowing_date,"
        " harvested_kg, status, created_at)"
        " VALUES (1, 1, 'S1', 'rice', 'he_thu', 2026, '2026-05-01', 5280, 'open', '2026-01-01')",
        "INSERT INTO batches (id, organisation_id, maker_id, lot_code, product, step,"
        " quantity_kg, remaining_kg, production_date, g_co2e_per_kg, derivation, created_at,"
        " log_index) VALUES (1, 1, 1, 'L1', 'paddy', 'harvest', 5280.0, 5279.999,"
        " '2026-09-01', 1000, '{}', '2026-01-01', 1)",
        *(
            f"INSERT INTO batch_inputs (id, batch_id, season_id, kg) VALUES ({n}, 1, 1, {kg!r})"
            for n, kg in enumerate(DRAWS, start=1)
        ),
        "INSERT INTO label_requests (id, batch_id, organisation_id, units, unit_kg, status,"
        " created_at) VALUES (1, 1, 1, 10, 2.5, 'pending', '2026-01-01')",
    ):
        db.session.execute(text(sql))
    db.session.commit()
