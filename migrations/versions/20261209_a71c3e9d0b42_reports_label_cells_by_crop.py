"""reports: label cells by crop, with the CO2 orchards took up per kg that labels show

Revision ID: a71c3e9d0b42
Revises: 149b898a90fe
Create Date: 2026-12-09 04:30:00

Labels open data version 2 (issue 20): a label cell is one place, holder, crop and month,
and adds up the removals per kg its batch labels show (with how many show one), so a row
can give their mean. Cells made before hold every crop together: they are marked rice (what
every label was before products of other crops), and the next refresh rebuilds every cell
from the labels (full_at set back, as 9b3e6d1f4a27 does), so that a cell that held another
crop's labels is emptied and pulls receive the new rows.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a71c3e9d0b42"
down_revision = "149b898a90fe"
branch_labels = None
depends_on = None

NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # rollup.NEVER: no full rebuild yet
OLD_KEY = ["province", "commune", "organisation_id", "year", "month"]
NEW_KEY = ["province", "commune", "organisation_id", "crop", "year", "month"]


def upgrade():
    with op.batch_alter_table("report_label_cells") as batch_op:
        batch_op.add_column(
            sa.Column("crop", sa.String(length=20), nullable=False, server_default="rice")
        )
        batch_op.add_column(
            sa.Column("removals_labels", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("removals_kg_co2_per_kg_sum", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint("uq_report_label_cells_province", type_="unique")
        batch_op.create_unique_constraint("uq_report_label_cells_province", NEW_KEY)
    with op.batch_alter_table("report_label_cells") as batch_op:
        batch_op.alter_column("crop", existing_type=sa.String(length=20), server_default=None)
    state = sa.table("report_rollup_state", sa.column("full_at", sa.DateTime(timezone=True)))
    op.execute(state.update().values(full_at=NEVER))


def downgrade():
    cells = sa.table("report_label_cells", sa.column("crop", sa.String(20)))
    op.execute(cells.delete().where(cells.c.crop != "rice"))  # rebuilt by the next refresh
    with op.batch_alter_table("report_label_cells") as batch_op:
        batch_op.drop_constraint("uq_report_label_cells_province", type_="unique")
        batch_op.create_unique_constraint("uq_report_label_cells_province", OLD_KEY)
        batch_op.drop_column("removals_kg_co2_per_kg_sum")
        batch_op.drop_column("removals_labels")
        batch_op.drop_column("crop")
    state = sa.table("report_rollup_state", sa.column("full_at", sa.DateTime(timezone=True)))
    op.execute(state.update().values(full_at=NEVER))
