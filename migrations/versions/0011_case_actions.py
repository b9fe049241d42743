"""case actions: standing delegation (代理) and the once-a-day urge (催办) log

Revision ID: 0011_case_actions
Revises: 0010_routine_duties
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_case_actions'
down_revision = '0010_routine_duties'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'delegation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delegator_id', sa.Integer(), nullable=False),
        sa.Column('delegate_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['delegator_id'], ['user_account.id'],
                                name=op.f('fk_delegation_delegator_id_user_account')),
        sa.ForeignKeyConstraint(['delegate_id'], ['user_account.id'],
                                name=op.f('fk_delegation_delegate_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation')),
    )
    op.create_index('ix_delegation_delegator_id', 'delegation', ['delegator_id'], unique=False)
    op.create_index('ix_delegation_delegate', 'delegation', ['delegate_id', 'ends_on'], unique=False)
    op.create_table(
        'case_urge',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('urged_on', sa.Date(), nullable=False),
        sa.Column('urged_by_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_case_urge_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['urged_by_id'], ['user_account.id'],
                                name=op.f('fk_case_urge_urged_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_urge')),
        sa.UniqueConstraint('instance_id', 'urged_on', name='uq_case_urge_instance_day'),
    )


def downgrade() -> None:
    op.drop_table('case_urge')
    op.drop_index('ix_delegation_delegate', table_name='delegation')
    op.drop_index('ix_delegation_delegator_id', table_name='delegation')
    op.drop_table('delegation')
