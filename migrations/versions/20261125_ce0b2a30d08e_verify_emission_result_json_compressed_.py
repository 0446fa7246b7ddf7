"""verify: emission result JSON compressed with lz4 on PostgreSQL

Revision ID: ce0b2a30d08e
Revises: b2d22e2e83d9
Create Date: 2026-11-25 20:40:18.723154

"""
from alembic import op
import sqlalchemy as sa

import registry.db


# revision identifiers, used by Alembic.
revision = 'ce0b2a30d08e'
down_revision = 'b2d22e2e83d9'
branch_labels = None
depends_on = None


COLUMNS = ("inputs", "sources", "result")


def _compress(method: str) -> None:
    """Set the TOAST compression of the emission results' JSON columns on PostgreSQL
    (14 and later, built with lz4). Each result is ~9 KB of JSON, and pglz compressing it
    was half of PostgreSQL's cost of inserting a row; lz4 does it in under half the time
    for about the same size. Rows already stored keep their compression; SQLite has none."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    has_lz4 = bind.execute(
        sa.text(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
            " WHERE name = 'default_toast_compression'"
        )
    ).scalar()
    if not has_lz4:
        return
    alter = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in COLUMNS)
    op.execute(f"ALTER TABLE emission_results {alter}")


def upgrade():
    _compress("lz4")


def downgrade():
    _compress("default")
