"""trace: seasons of every crop: numbered crop cycles and orchards' trees

Revision ID: 7d2f5c9e1a43
Revises: b04a113e90a9
Create Date: 2026-12-07 10:00:00

A season is now the period of any crop of the catalogue (registry/crops): a rice season as
before, an annual crop's cycle, or an orchard's growing year. Several crop cycles may follow
each other on a field in one year, so a season has a cycle number (1 for every season
before, which keeps their codes) and the field's one-season-per-type-and-year rule takes it
in. A growing year records the trees' planting year (their age is counted from it) and, if
known, how many trees there are. `crop` and `season_type` stay VARCHAR(20) columns; their
new values need no change of type.

Downgrading is refused while seasons of other crops exist: the code before this revision
could not read them, and dropping them would lose farm records.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d2f5c9e1a43"
down_revision = "b04a113e90a9"
branch_labels = None
depends_on = None

UNIQUE = "uq_seasons_field_id"
RICE_ONLY = (
    "SELECT COUNT(*) FROM seasons WHERE crop <> 'rice'"
    " OR season_type IN ('crop_cycle', 'growing_year')"
)


def upgrade():
    with op.batch_alter_table("seasons") as batch_op:
        batch_op.add_column(
            sa.Column("cycle", sa.SmallInteger(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(sa.Column("planting_year", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("tree_count", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f(UNIQUE), type_="unique")
        batch_op.create_unique_constraint(
            op.f(UNIQUE), ["field_id", "year", "season_type", "cycle"]
        )


def downgrade():
    others = op.get_bind().execute(sa.text(RICE_ONLY)).scalar()
    if others:
        raise RuntimeError(
            f"{others} seasons are of crops other than rice; the earlier schema cannot hold them"
        )
    with op.batch_alter_table("seasons") as batch_op:
        batch_op.drop_constraint(op.f(UNIQUE), type_="unique")
        batch_op.create_unique_constraint(op.f(UNIQUE), ["field_id", "year", "season_type"])
        batch_op.drop_column("tree_count")
        batch_op.drop_column("planting_year")
        batch_op.drop_column("cycle")
