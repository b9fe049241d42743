"""approvers added to a step by hand (加签), before or after its own approver

Revision ID: 0012_added_approvers
Revises: 0011_case_actions
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_added_approvers'
down_revision = '0011_case_actions'
branch_labels = None
depends_on = None


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_added_approver_{column}_{target}'))


def upgrade() -> None:
    op.create_table(
        'added_approver',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('added_task_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('held_payload', sa.Text(), nullable=True),
        sa.Column('held_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        _fk('instance_id', 'process_instance'),
        _fk('task_id', 'human_task'),
        _fk('added_task_id', 'human_task'),
        _fk('user_id', 'user_account'),
        _fk('added_by_id', 'user_account'),
        _fk('held_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_added_approver')),
        sa.UniqueConstraint('added_task_id', name=op.f('uq_added_approver_added_task_id')),
    )
    op.create_index('ix_added_approver_instance_id', 'added_approver', ['instance_id'], unique=False)
    op.create_index('ix_added_approver_task_status', 'added_approver', ['task_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_added_approver_task_status', table_name='added_approver')
    op.drop_index('ix_added_approver_instance_id', table_name='added_approver')
    op.drop_table('added_approver')
