"""trace, labels: quantities in whole grams and square metres

Revision ID: 4c1e7a9b2d50
Revises: 67b301986592
Create Date: 2026-12-06 21:30:00

Masses and areas were double precision, so draws summed to 5280.000000000004 kg against a
5280 kg harvest and an auditor's `SUM(kg) > harvested_kg` flagged a mass balance that held.
They become BIGINT counts of grams and m², in which every sum and comparison is exact. The
service always rounded kg to the gram and the geometry code areas to the m² (4 decimals of a
ha), so rounding the old values to whole units loses nothing that was recorded.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4c1e7a9b2d50"
down_revision = "67b301986592"
branch_labels = None
depends_on = None

# table, old column (kg or ha), new column (g or m²), units per old unit, nullable
COLUMNS = [
    ("fields", "area_ha", "area_m2", 10_000, False),
    ("fields", "drawn_area_ha", "drawn_area_m2", 10_000, True),
    ("seasons", "harvested_kg", "harvested_g", 1000, True),
    ("batches", "quantity_kg", "quantity_g", 1000, False),
    ("batches", "remaining_kg", "remaining_g", 1000, False),
    ("batch_inputs", "kg", "grams", 1000, False),
    ("label_requests", "unit_kg", "unit_g", 1000, True),
]
POSITIVE = "ck_batch_inputs_positive_kg", "kg > 0"
POSITIVE_GRAMS = "ck_batch_inputs_positive_grams", "grams > 0"


def upgrade():
    _convert(
        [
            (t, old, new, sa.BigInteger(), f"CAST(ROUND({old} * {per}) AS BIGINT)", null)
            for t, old, new, per, null in COLUMNS
        ],
        drop=POSITIVE,
        add=POSITIVE_GRAMS,
    )


def downgrade():
    _convert(
        [
            (t, new, old, sa.Float(), f"CAST({new} AS FLOAT) / {per}", null)
            for t, old, new, per, null in COLUMNS
        ],
        drop=POSITIVE_GRAMS,
        add=POSITIVE,
    )


def _convert(changes, drop, add):
    """Each column is added, filled from the old one, made NOT NULL where it was, and the
    old one dropped; batch_inputs' CHECK follows its column."""
    for table, _, new, kind, _, _ in changes:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(new, kind, nullable=True))
    for table, old, new, _, value, _ in changes:
        op.execute(f"UPDATE {table} SET {new} = {value} WHERE {old} IS NOT NULL")
    for table in dict.fromkeys(t for t, *_ in changes):
        with op.batch_alter_table(table) as batch_op:
            if table == "batch_inputs":
                batch_op.drop_constraint(op.f(drop[0]), type_="check")
            for t, old, new, kind, _, nullable in changes:
                if t == table:
                    batch_op.alter_column(new, existing_type=kind, nullable=nullable)
                    batch_op.drop_column(old)
            if table == "batch_inputs":
                batch_op.create_check_constraint(op.f(add[0]), add[1])
