"""routine duties: monthly antivirus update (CIS.7) and backup (UNET.6), re-check of published items (PUB.7)

Revision ID: 0010_routine_duties
Revises: 0009_designer_drafts
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_routine_duties'
down_revision = '0009_designer_drafts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'routine_duty',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=80), nullable=False),
        sa.Column('period', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('section_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_routine_duty_instance_id_process_instance')),
        sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_routine_duty_section_id_section')),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['user_account.id'],
                                name=op.f('fk_routine_duty_confirmed_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_routine_duty')),
        sa.UniqueConstraint('kind', 'subject', 'period', name='uq_routine_duty_kind_subject_period'),
    )
    op.create_index('ix_routine_duty_open', 'routine_duty', ['confirmed_at', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_routine_duty_open', table_name='routine_duty')
    op.drop_table('routine_duty')
