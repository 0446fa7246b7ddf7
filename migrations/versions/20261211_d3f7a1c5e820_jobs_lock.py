"""jobs: the lock a job was queued with, kept so that it can be queued again with it

Revision ID: d3f7a1c5e820
Revises: c4e2a7d91b30
Create Date: 2026-12-11 12:00:00

The embedded worker (SQLite) queues unfinished jobs again when `registry run` restarts; the
lock (jobs of one resource run one at a time) must come back with them.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d3f7a1c5e820"
down_revision = "c4e2a7d91b30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lock", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lock")
