"""indexes behind the bank officer's pages at city scale: a bank's applications by status, unpaid instalments
per loan (partial), the applications' versions (the decision history's fingerprint, index-only), and the
platform firms' declared legal representatives (joint punishment starts from the listed persons' names)

Revision ID: 0095
Revises: 0094
Create Date: 2026-11-25 10:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0095'
down_revision = '0094'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_institution_status', ['institution_id', 'status'], unique=False)
        batch_op.create_index('ix_applications_version', ['version'], unique=False)
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.create_index('ix_loan_instalments_unsettled', ['application_id', 'due_on'], unique=False,
                              sqlite_where=sa.text('settled_on IS NULL'),
                              postgresql_where=sa.text('settled_on IS NULL'))
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprises_legal_representative'), ['legal_representative'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprises_legal_representative'))
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_instalments_unsettled', sqlite_where=sa.text('settled_on IS NULL'),
                            postgresql_where=sa.text('settled_on IS NULL'))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_version')
        batch_op.drop_index('ix_applications_institution_status')
