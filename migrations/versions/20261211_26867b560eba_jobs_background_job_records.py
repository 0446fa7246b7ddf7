"""jobs: the records of background jobs that pages and the API show

Revision ID: 26867b560eba
Revises: 390cf81b367f
Create Date: 2026-12-11 10:00:00

Long work (spreadsheet imports first, then print sheets, report builds, MRV recomputes and
large issuances) runs as background jobs (registry/jobs, issue 22). procrastinate keeps its
queue in its own tables (the next migration); a `jobs` row is the registry's record of one
job: who asked, its status and progress, its error or its result.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "26867b560eba"
down_revision = "390cf81b367f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="jobstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("result_key", sa.String(length=300), nullable=True),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", registry.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_jobs_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_jobs_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade():
    op.drop_table("jobs")
