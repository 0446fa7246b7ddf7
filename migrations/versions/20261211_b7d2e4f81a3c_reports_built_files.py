"""reports: the built PDF and XLSX of each generated report, kept in the store

Revision ID: b7d2e4f81a3c
Revises: 9745c725241c
Create Date: 2026-12-11 12:00:00

A report's files were drawn again on every download, on whichever web server took it. Now
each is built once, kept in the store (registry/storage) under the SHA-256 of its bytes,
and this table says which digest belongs to which report and format
(registry/reports/files.py). Reports generated before are built at their next download.
"""

import sqlalchemy as sa
from alembic import op

import registry.db

# revision identifiers, used by Alembic.
revision = "b7d2e4f81a3c"
down_revision = "9745c725241c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_files",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", registry.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("format IN ('pdf', 'xlsx')", name=op.f("ck_report_files_format")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["generated_reports.id"],
            name=op.f("fk_report_files_report_id_generated_reports"),
        ),
        sa.PrimaryKeyConstraint("report_id", "format", name=op.f("pk_report_files")),
    )


def downgrade():
    op.drop_table("report_files")
