"""the three administrators (三员分立): security settings, sign-in failures per address, password age

Revision ID: 0014_security_admin
Revises: 0013_case_collaboration
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0014_security_admin'
down_revision = '0013_case_collaboration'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'security_setting',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], ondelete='SET NULL',
                                name=op.f('fk_security_setting_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_security_setting')),
    )
    op.create_table(
        'sign_in_address_throttle',
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_sign_in_address_throttle')),
    )
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
    # Existing passwords count as set now: an upgrade must not expire everyone's password at once.
    now = sa.bindparam("now", datetime.now(timezone.utc), type_=sa.DateTime(timezone=True))
    op.get_bind().execute(sa.text("UPDATE user_account SET password_changed_at = :now").bindparams(now))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('password_changed_at')
    op.drop_table('sign_in_address_throttle')
    op.drop_table('security_setting')
