"""verify: declared ties keep a note and who declared them

Revision ID: b04a113e90a9
Revises: 4c1e7a9b2d50
Create Date: 2026-12-06 23:30:00

A verifier declares its ties to an HTX on a page, and the authority may declare them for
it: the tie keeps a short note (what the consultancy was) and the organisation that
declared it. Ties declared before keep both empty.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b04a113e90a9"
down_revision = "4c1e7a9b2d50"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_verifier_relationships_declared_by_id_organisations"


def upgrade():
    with op.batch_alter_table("verifier_relationships") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("declared_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f(FOREIGN_KEY), "organisations", ["declared_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("verifier_relationships") as batch_op:
        batch_op.drop_constraint(op.f(FOREIGN_KEY), type_="foreignkey")
        batch_op.drop_column("declared_by_id")
        batch_op.drop_column("note")
