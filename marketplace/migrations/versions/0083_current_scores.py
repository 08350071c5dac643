"""each firm's current score row (enterprise_current_scores), filled from the scores already written

Revision ID: 0083
Revises: 0082
Create Date: 2026-11-25 03:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0083'
down_revision = '0082'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enterprise_current_scores',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('score_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                            name=op.f('fk_enterprise_current_scores_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['score_id'], ['enterprise_scores.id'],
                            name=op.f('fk_enterprise_current_scores_score_id_enterprise_scores')),
    sa.PrimaryKeyConstraint('enterprise_id', name=op.f('pk_enterprise_current_scores')),
    sa.UniqueConstraint('score_id', name=op.f('uq_enterprise_current_scores_score_id'))
    )
    # the latest row of each firm (as_of, then id), as the pages read it until now
    op.execute("INSERT INTO enterprise_current_scores (enterprise_id, score_id) "
               "SELECT enterprise_id, id FROM (SELECT enterprise_id, id, row_number() OVER (PARTITION BY enterprise_id "
               "ORDER BY as_of DESC, id DESC) AS rn FROM enterprise_scores) AS ranked WHERE rn = 1")


def downgrade():
    op.drop_table('enterprise_current_scores')
