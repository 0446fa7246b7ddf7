"""trace: products and steps as catalogue codes; prices the authority sets per product

Revision ID: c0f3a8e51d27
Revises: 5b7e2c1d9a60
Create Date: 2026-12-08 16:00:00

Batches' `product` and `step` were non-native enums, that is VARCHAR(20) columns with no
CHECK constraint; they stay VARCHAR(20) and now hold codes of the crop catalogue
(registry/crops), which the service checks. Rice codes are unchanged, so no row moves.
`product_prices` keeps the prices per kg the authority sets, newest in force, for the
economic allocation of a step's emissions between its co-products (docs/coproducts.md).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c0f3a8e51d27"
down_revision = "5b7e2c1d9a60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=20), nullable=False),
        sa.Column("vnd_per_kg", sa.BigInteger(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.CheckConstraint("vnd_per_kg >= 0", name=op.f("ck_product_prices_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["organisations.id"],
            name=op.f("fk_product_prices_set_by_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_prices")),
    )
    op.create_index(op.f("ix_product_prices_product"), "product_prices", ["product"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_product_prices_product"), table_name="product_prices")
    op.drop_table("product_prices")
