"""bounded input: text columns get their one length limit, one open application per firm and product,
one-time form tokens

Revision ID: 0020
Revises: 0040
Create Date: 2026-11-25 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0070'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('submitted', 'accepted')")

# (table, column, old type, new type, nullable)
TEXTS = [
    ('users', 'display_name', sa.String(length=64), sa.String(length=128), False),
    ('financing_needs', 'purpose', sa.Text(), sa.String(length=500), False),
    ('products', 'description', sa.Text(), sa.String(length=2000), False),
    ('applications', 'reject_note', sa.Text(), sa.String(length=500), True),
    ('objections', 'description', sa.Text(), sa.String(length=2000), False),
    ('objections', 'resolution', sa.Text(), sa.String(length=2000), True),
    ('identity_checks', 'decision_reason', sa.Text(), sa.String(length=500), True),
]


def upgrade():
    for table, column, old, new, nullable in TEXTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old, type_=new, existing_nullable=nullable)

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('uq_applications_open_per_product', ['enterprise_id', 'product_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table('form_submissions',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_submissions_user_id_users')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions'))
    )
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_submissions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_submissions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_submissions_user_id'))
        batch_op.drop_index(batch_op.f('ix_form_submissions_created_at'))
    op.drop_table('form_submissions')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_open_per_product')

    for table, column, old, new, nullable in TEXTS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=new, type_=old, existing_nullable=nullable)
