"""governance texts get their one length limit (limits.TEXT): repair evidence and decision reasons, claim
decision reasons, broken-commitment evidence — String(n) columns that the forms read (inputs.fits); the
registry's 法定代表人 indexed (joint punishment finds every firm a listed person represents)

Revision ID: 0080
Revises: 0020
Create Date: 2026-11-25 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0080'
down_revision = '0020'
branch_labels = None
depends_on = None

# (table, column, old type, new type, nullable); the services have refused longer texts since they were built,
# so no stored value is cut.
TEXTS = [
    ('credit_repairs', 'evidence', sa.Text(), sa.String(length=2000), False),
    ('credit_repairs', 'reason', sa.Text(), sa.String(length=2000), True),
    ('compensation_claims', 'reason', sa.Text(), sa.String(length=2000), True),
    ('credit_commitments', 'broken_evidence', sa.Text(), sa.String(length=2000), True),
]


def upgrade():
    for table, column, old, new, nullable in TEXTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)
    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_enterprises_legal_representative'), ['legal_representative'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_enterprises_legal_representative'))
    for table, column, old, new, nullable in TEXTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=new, type_=old, existing_nullable=nullable)
