"""trace: fields keep their code, name and planting-area code folded for search

Revision ID: e5a1c7d3b904
Revises: a71c3e9d0b42
Create Date: 2026-12-10 09:00:00

The field list searches among hundreds of fields without case or accents ("ha dong" finds
"Hà Đông", issue 21). SQLite has no unaccent and PostgreSQL's is an extension, so the
service keeps a folded copy beside each field and both databases search it with LIKE. The
fields registered before are folded here, with the same rule as `trace.finding.search_text`
(copied, so that this migration stays as it ran).
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5a1c7d3b904"
down_revision = "a71c3e9d0b42"
branch_labels = None
depends_on = None


def _fold(text):
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def upgrade():
    with op.batch_alter_table("fields") as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=400), nullable=True))
    fields = sa.table(
        "fields",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("planting_area_code", sa.String),
        sa.column("search_text", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(fields.c.id, fields.c.code, fields.c.name, fields.c.planting_area_code)
    )
    updates = [
        {"key": key, "search_text": _fold(" ".join(part for part in parts if part))}
        for key, *parts in rows
    ]
    if updates:
        conn.execute(fields.update().where(fields.c.id == sa.bindparam("key")), updates)
    with op.batch_alter_table("fields") as batch_op:
        batch_op.alter_column("search_text", existing_type=sa.String(length=400), nullable=False)


def downgrade():
    with op.batch_alter_table("fields") as batch_op:
        batch_op.drop_column("search_text")
