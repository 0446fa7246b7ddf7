"""ledger: the pool of submitted entries the sequencer numbers in batches

Revision ID: 61d062fbb0ff
Revises: b7d2e4f81a3c
Create Date: 2026-12-11 13:00:00

Writers that need not know their index before they commit submit their entry to this pool
with their business change; the sequencer (registry/ledger/sequencer.py) numbers committed
entries in batches, as Certificate Transparency logs do, instead of every writer holding
the log head's lock until its own commit. The two partial indexes serve the sequencer's
"oldest unnumbered first" and its clean-up of rows numbered long ago.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "61d062fbb0ff"
down_revision = "b7d2e4f81a3c"
branch_labels = None
depends_on = None

UNNUMBERED = sa.text("log_index IS NULL")
NUMBERED = sa.text("log_index IS NOT NULL")


def upgrade():
    op.create_table(
        "log_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("time", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("fill", sa.JSON(), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_pending")),
    )
    op.create_index(
        "ix_log_pending_unnumbered",
        "log_pending",
        ["id"],
        postgresql_where=UNNUMBERED,
        sqlite_where=UNNUMBERED,
    )
    op.create_index(
        "ix_log_pending_log_index",
        "log_pending",
        ["log_index"],
        postgresql_where=NUMBERED,
        sqlite_where=NUMBERED,
    )


def downgrade():
    op.drop_index("ix_log_pending_log_index", table_name="log_pending")
    op.drop_index("ix_log_pending_unnumbered", table_name="log_pending")
    op.drop_table("log_pending")
