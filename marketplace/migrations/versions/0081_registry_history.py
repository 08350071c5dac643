"""registry history: each registry import records the operating-status changes (and new firms) it brings,
effective from the file's 数据截止日期, so a past period's registry population never moves

Revision ID: 0081
Revises: 0080
Create Date: 2026-11-25 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0081'
down_revision = '0080'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registry_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_registry_status_changes_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_status_changes'))
    )
    with op.batch_alter_table('registry_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_status_changes_effective_on'), ['effective_on'], unique=False)
        batch_op.create_index('ix_registry_status_changes_uscc_effective_on', ['uscc', 'effective_on'], unique=False)


def downgrade():
    with op.batch_alter_table('registry_status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_status_changes_uscc_effective_on')
        batch_op.drop_index(batch_op.f('ix_registry_status_changes_effective_on'))
    op.drop_table('registry_status_changes')
