"""reminders: the reporting calendar's reminders recorded by the daily job

Revision ID: c4e2a7d91b30
Revises: 613c655166fc
Create Date: 2026-12-11 11:00:00

A daily background job (registry/jobs/periodic.py) records, for each organisation with a
reporting calendar (reports/periods.py), the deadlines coming up; the organisation's
dashboard lists them until the report or confirmation is delivered.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "c4e2a7d91b30"
down_revision = "613c655166fc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.Column("whose", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_calendar_reminders_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_reminders")),
        sa.UniqueConstraint(
            "organisation_id",
            "what",
            "whose",
            "period",
            name=op.f("uq_calendar_reminders_organisation_id"),
        ),
    )


def downgrade():
    op.drop_table("calendar_reminders")
