"""labels: criteria per crop (the least reduction and the most g CO2e per kg)

Revision ID: 5b7e2c1d9a60
Revises: 325ec98a3290
Create Date: 2026-12-07 14:00:00

The authority sets, per crop and criteria version, the least reduction against 2020 and
the most g CO2e per kg a product may carry (issue 20). Versions set before keep an empty
map: every crop took their general reduction and no ceiling.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b7e2c1d9a60"
down_revision = "325ec98a3290"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("label_criteria") as batch_op:
        batch_op.add_column(
            sa.Column("crop_rules", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("label_criteria") as batch_op:
        batch_op.drop_column("crop_rules")
