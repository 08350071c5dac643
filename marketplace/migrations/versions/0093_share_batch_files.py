"""sharing batches kept as files (share_batches.stored_file; content only for batches made before), and
model activations as a workflow record (model_activations, one signed at a time), and the registry's
(uscc, size) index that (十三) reads the platform firms' sizes from

Revision ID: 0093
Revises: 0083
Create Date: 2026-11-25 06:40:00

Existing batches keep their JSON Lines in `content` and are served from it: a migration runs wherever the
DBA runs it, which need not be the host whose instance folder the app reads, and a rolled-back migration
cannot take back files it wrote. New batches leave `content` NULL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0093'
down_revision = '0083'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.create_index('ix_registry_enterprises_uscc_size', ['uscc', 'size'], unique=False)
    op.create_table('model_activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('previous_version', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('signed_by', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('signed', 'activated', 'failed')", name=op.f('ck_model_activations_status')),
    sa.ForeignKeyConstraint(['signed_by'], ['users.id'], name=op.f('fk_model_activations_signed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_activations'))
    )
    with op.batch_alter_table('model_activations', schema=None) as batch_op:
        batch_op.create_index('uq_model_activations_one_signed', ['status'], unique=True,
                              sqlite_where=sa.text("status = 'signed'"), postgresql_where=sa.text("status = 'signed'"))
    with op.batch_alter_table('share_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_file', sa.String(length=64), nullable=True))
        batch_op.alter_column('content', existing_type=sa.Text(), nullable=True)


def downgrade():
    stored = op.get_bind().execute(sa.text("SELECT count(*) FROM share_batches WHERE content IS NULL")).scalar()
    if stored:  # their records are in files only; refusing beats a NOT NULL column it cannot fill
        raise RuntimeError(f"{stored} sharing batches are kept as files: downgrading past 0093 would lose them")
    with op.batch_alter_table('share_batches', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('stored_file')
    op.drop_table('model_activations')
    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_enterprises_uscc_size')
