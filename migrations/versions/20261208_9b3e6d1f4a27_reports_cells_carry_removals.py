"""reports: emission cells carry the CO2 taken up by orchards' trees (removals)

Revision ID: 9b3e6d1f4a27
Revises: c0f3a8e51d27
Create Date: 2026-12-08 09:00:00

Orchards' results carry `removals_kg_co2` (DESIGN.md §10b); reports and open data show it
beside the emissions, never netted (issue 20). The cells gain the column (0 for rice and
annual crops) and the next refresh rebuilds every cell from the records, so that cells
made before this column hold their orchards' removals too: the rebuild takes the next
revision, so national systems pulling incrementally receive the rows that changed.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9b3e6d1f4a27"
down_revision = "c0f3a8e51d27"
branch_labels = None
depends_on = None

NEVER = datetime(2000, 1, 1, tzinfo=UTC)  # rollup.NEVER: no full rebuild yet


def upgrade():
    with op.batch_alter_table("report_emission_cells") as batch_op:
        batch_op.add_column(
            sa.Column("removals_kg_co2", sa.Float(), nullable=False, server_default="0")
        )
    state = sa.table("report_rollup_state", sa.column("full_at", sa.DateTime(timezone=True)))
    op.execute(state.update().values(full_at=NEVER))


def downgrade():
    with op.batch_alter_table("report_emission_cells") as batch_op:
        batch_op.drop_column("removals_kg_co2")
