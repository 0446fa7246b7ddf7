"""idempotency: keys of idempotent writes with their first answer

Revision ID: 7f3b2a9c6e15
Revises: e5a1c7d3b904
Create Date: 2026-12-10 10:00:00

A write sent with an `Idempotency-Key` header (the phone's outbox sends every diary entry
so, issue 21) is answered once: the key, its caller, the request's fingerprint and the first
answer are kept for 24 hours, and a retry gets that answer again instead of a second record
(registry/idempotency/).
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "7f3b2a9c6e15"
down_revision = "e5a1c7d3b904"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("claimed_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("caller", "key", name=op.f("uq_idempotency_keys_caller")),
    )
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    op.drop_table("idempotency_keys")
