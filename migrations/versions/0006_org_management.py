"""organisation management: section head and deputy, password reset and absence, dated role assignments

Revision ID: 0006_org
Revises: 0005
Create Date: 2026-11-27 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_org'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('absent', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('absent_until', sa.Date(), nullable=True))

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('deputy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_section_head_id_user_account', 'user_account', ['head_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key('fk_section_deputy_id_user_account', 'user_account', ['deputy_id'], ['id'],
                                    ondelete='SET NULL')

    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('acting_for_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_role_assignment_acting_for_id_user_account', 'user_account',
                                    ['acting_for_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_role_assignment_acting_for_id_user_account', type_='foreignkey')
        batch_op.drop_column('acting_for_id')
        batch_op.drop_column('end_date')
        batch_op.drop_column('start_date')

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_constraint('fk_section_deputy_id_user_account', type_='foreignkey')
        batch_op.drop_constraint('fk_section_head_id_user_account', type_='foreignkey')
        batch_op.drop_column('deputy_id')
        batch_op.drop_column('head_id')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('absent_until')
        batch_op.drop_column('absent')
        batch_op.drop_column('must_change_password')
