"""public: scans counted by province

Revision ID: 67b301986592
Revises: ce0b2a30d08e
Create Date: 2026-11-25 20:37:11.117123

"""
from alembic import op
import sqlalchemy as sa

import registry.db


# revision identifiers, used by Alembic.
revision = '67b301986592'
down_revision = 'ce0b2a30d08e'
branch_labels = None
depends_on = None


def upgrade():
    """Scans are counted per province too: the column joins the primary key, and the rows
    counted before it keep "" (province unknown)."""
    with op.batch_alter_table('label_scan_days', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('province', sa.String(length=40), server_default='', nullable=False)
        )
        batch_op.drop_constraint('pk_label_scan_days', type_='primary')
        batch_op.create_primary_key(
            'pk_label_scan_days', ['label_id', 'day', 'locale', 'province']
        )


_SAME_KEY = (
    "FROM label_scan_days AS o WHERE o.label_id = label_scan_days.label_id"
    " AND o.day = label_scan_days.day AND o.locale = label_scan_days.locale"
)


def downgrade():
    """The counts of one label, day and locale in several provinces are added together
    into the row of the first province, before the column goes."""
    op.execute(
        f"UPDATE label_scan_days SET count = (SELECT SUM(o.count) {_SAME_KEY})"
        f" WHERE province = (SELECT MIN(o.province) {_SAME_KEY})"
    )
    op.execute(f"DELETE FROM label_scan_days WHERE province > (SELECT MIN(o.province) {_SAME_KEY})")
    with op.batch_alter_table('label_scan_days', schema=None) as batch_op:
        batch_op.drop_constraint('pk_label_scan_days', type_='primary')
        batch_op.drop_column('province')
        batch_op.create_primary_key('pk_label_scan_days', ['label_id', 'day', 'locale'])
