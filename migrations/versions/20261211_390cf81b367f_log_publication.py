"""ledger: the size of the checkpoint published with its tiles

Revision ID: 390cf81b367f
Revises: 7f3b2a9c6e15
Create Date: 2026-12-11 09:00:00

The log is published as static tiles to the file store (DESIGN §6b, registry/ledger/
publish.py). Publishers raise this one row's size only upwards and hold it while they
write the store's checkpoint, so racing publishers never put an older checkpoint back.
The row is made by the first publication.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "390cf81b367f"
down_revision = "7f3b2a9c6e15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "log_publication",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("published_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_log_publication_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_publication")),
    )


def downgrade():
    op.drop_table("log_publication")
