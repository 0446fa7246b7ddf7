"""verify: a result without a figure per kg (an orchard's year without a harvest)

Revision ID: 325ec98a3290
Revises: 7d2f5c9e1a43
Create Date: 2026-12-07 12:00:00

A young orchard's growing year has emissions and removals but no harvest (DESIGN.md §10b:
`yield_kg` ≥ 0 for perennials, `per_kg_product_g_co2e` null when it is 0), so a result's
figure per kg of product may be empty. Downgrading is refused while such results exist:
the column could not hold them.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "325ec98a3290"
down_revision = "7d2f5c9e1a43"
branch_labels = None
depends_on = None

WITHOUT = "SELECT COUNT(*) FROM emission_results WHERE per_kg_product_g_co2e IS NULL"


def upgrade():
    with op.batch_alter_table("emission_results") as batch_op:
        batch_op.alter_column("per_kg_product_g_co2e", existing_type=sa.Float(), nullable=True)


def downgrade():
    if op.get_bind().execute(sa.text(WITHOUT)).scalar():
        raise RuntimeError("results without a figure per kg exist: remove them first")
    with op.batch_alter_table("emission_results") as batch_op:
        batch_op.alter_column("per_kg_product_g_co2e", existing_type=sa.Float(), nullable=False)
