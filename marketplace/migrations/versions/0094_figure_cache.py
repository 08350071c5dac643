"""the closed-period figure cache of 信易贷指标 and 统计分析 (services/figure_cache): cached figures, the writers'
generation counter (one row) and the invalidation log

Revision ID: 0094
Revises: 0093
Create Date: 2026-11-25 09:40:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0094'
down_revision = '0093'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('figure_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('code_version', sa.String(length=16), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_cache')),
    sa.UniqueConstraint('key', 'month', 'scope', 'code_version',
                        name=op.f('uq_figure_cache_key'))
    )
    with op.batch_alter_table('figure_cache', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_cache_period_end'), ['period_end'], unique=False)
    op.create_table('figure_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_generation'))
    )
    op.execute("INSERT INTO figure_generation (id, generation) VALUES (1, 0)")
    op.create_table('figure_invalidations',
    sa.Column('generation', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('dirty_from', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('generation', name=op.f('pk_figure_invalidations'))
    )


def downgrade():
    op.drop_table('figure_invalidations')
    op.drop_table('figure_generation')
    with op.batch_alter_table('figure_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_cache_period_end'))
    op.drop_table('figure_cache')
