"""The Alembic migrations build exactly the schema the models describe, plus the storage
settings that models cannot say."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from registry.db import db
from registry.jobs.models import alembic_include_name


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as conn:
        opts = {"compare_type": True, "include_name": alembic_include_name}
        context = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(context, db.metadata) == []


def test_emission_result_json_is_compressed_with_lz4_where_postgresql_has_it(app: Flask) -> None:
    """pglz was half of PostgreSQL's cost of inserting a ~9 KB result (bench/mrv_bench.py)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("compression is PostgreSQL's")
        has_lz4 = db.session.scalar(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                " WHERE name = 'default_toast_compression'"
            )
        )
        found = db.session.execute(
            text(
                "SELECT attname, attcompression FROM pg_attribute"
                " WHERE attrelid = 'emission_results'::regclass"
                " AND attname IN ('inputs', 'sources', 'result')"
            )
        ).all()
        db.session.rollback()
    assert sorted(found) == [(c, "l" if has_lz4 else "") for c in ("inputs", "result", "sources")]
