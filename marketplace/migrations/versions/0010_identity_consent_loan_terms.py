"""identity checks (实名核验), legal representative in the registry, repayment schedules (还款计划),
the firm's confirmation of a grant (授信确认)

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-25 00:10:00

Firms already on the platform start `pending`: they registered before anything was checked, so staff (or
`flask verify-identities` once the registry carries 法定代表人) must verify them before they see data again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_STATUSES = ("'submitted', 'accepted', 'granted', 'rejected', 'withdrawn', 'disbursed', 'repaid', "
                "'overdue', 'defaulted'")
NEW_STATUSES = ("'submitted', 'accepted', 'granted', 'rejected', 'withdrawn', 'confirmed', 'declined', "
                "'disbursed', 'repaid', 'overdue', 'defaulted'")


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_status', sa.String(length=16), server_default='pending',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_enterprises_identity_status'), ['identity_status'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_enterprises_identity_status'),
                                         "identity_status IN ('pending', 'verified', 'refused')")

    op.create_table('identity_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('typed_name', sa.String(length=128), nullable=False),
    sa.Column('typed_legal_representative', sa.String(length=64), nullable=False),
    sa.Column('registry_name', sa.String(length=128), nullable=True),
    sa.Column('registry_legal_representative', sa.String(length=64), nullable=True),
    sa.Column('registry_region_code', sa.String(length=6), nullable=True),
    sa.Column('mismatches', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_identity_checks_decided_by_users')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                            name=op.f('fk_identity_checks_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_identity_checks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_checks'))
    )
    with op.batch_alter_table('identity_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_checks_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_checks_enterprise_id'), ['enterprise_id'], unique=False)

    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_representative', sa.String(length=64), nullable=True))

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repayment_method', sa.String(length=16), server_default='equal_instalment',
                                      nullable=False))
        batch_op.add_column(sa.Column('default_days_past_due', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_products_repayment_method'),
                                         "repayment_method IN ('equal_instalment', 'interest_only', 'bullet')")

    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repayment_method', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_applications_status'), f"status IN ({NEW_STATUSES})")

    op.create_table('loan_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal_paid', sa.BigInteger(), nullable=False),
    sa.Column('interest_paid', sa.BigInteger(), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.CheckConstraint('principal >= 0 AND interest >= 0 AND principal_paid >= 0 AND interest_paid >= 0 AND '
                       'principal_paid <= principal AND interest_paid <= interest',
                       name=op.f('ck_loan_instalments_amounts')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'],
                            name=op.f('fk_loan_instalments_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_instalments')),
    sa.UniqueConstraint('application_id', 'seq', name='uq_loan_instalments_application_seq')
    )
    with op.batch_alter_table('loan_instalments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loan_instalments_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_loan_instalments_due_on'), ['due_on'], unique=False)

    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('interest', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_loan_repayments_amount_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_loan_repayments_amount_positive'),
                                         'amount >= 0 AND interest >= 0 AND amount + interest > 0')


def downgrade():
    with op.batch_alter_table('loan_repayments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_loan_repayments_amount_positive'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_loan_repayments_amount_positive'), 'amount > 0')
        batch_op.drop_column('interest')
    op.drop_table('loan_instalments')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_applications_status'), f"status IN ({OLD_STATUSES})")
        batch_op.drop_column('repayment_method')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_products_repayment_method'), type_='check')
        batch_op.drop_column('default_days_past_due')
        batch_op.drop_column('repayment_method')
    with op.batch_alter_table('registry_enterprises', schema=None) as batch_op:
        batch_op.drop_column('legal_representative')
    op.drop_table('identity_checks')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_enterprises_identity_status'), type_='check')
        batch_op.drop_index(batch_op.f('ix_enterprises_identity_status'))
        batch_op.drop_column('identity_status')
