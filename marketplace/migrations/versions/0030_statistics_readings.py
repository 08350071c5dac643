"""statistics readings: registry as-of date and bad codes, AEO certifications, loan write-off, off-platform
report matching

Revision ID: 0030
Revises: 0010
Create Date: 2026-11-25 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_of', sa.Date(), nullable=True))

    op.create_table('registry_code_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('problem', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_registry_code_findings_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_code_findings'))
    )
    with op.batch_alter_table('registry_code_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_code_findings_batch_id'), ['batch_id'], unique=False)

    op.create_table('customs_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('certificate_no', sa.String(length=64), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('revoked_on IS NULL OR revoked_on >= certified_on', name=op.f('ck_customs_certifications_dates_ordered')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_customs_certifications_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_certifications')),
    sa.UniqueConstraint('uscc', 'certified_on', name='uq_customs_certifications_uscc_certified_on')
    )

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_off_on', sa.Date(), nullable=True))

    with op.batch_alter_table('off_platform_loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform_application_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_off_platform_loans_platform_application_id_applications'),
                                    'applications', ['platform_application_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_off_platform_loans_confirmed_by_users'),
                                    'users', ['confirmed_by'], ['id'])


def downgrade():
    with op.batch_alter_table('off_platform_loans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_off_platform_loans_confirmed_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_off_platform_loans_platform_application_id_applications'),
                                 type_='foreignkey')
        batch_op.drop_column('confirmed_by')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('platform_application_id')

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('written_off_on')

    op.drop_table('customs_certifications')
    with op.batch_alter_table('registry_code_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_code_findings_batch_id'))
    op.drop_table('registry_code_findings')

    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_column('as_of')
