"""the registers' own rows: carry-out log, destruction manifests, access-change log

Revision ID: 0008_ledgers
Revises: 0007_audit_chain
Create Date: 2026-11-27 04:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_ledgers'
down_revision = '0007_audit_chain'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table('carry_out_record',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('security_measures', sa.Text(), nullable=False),
    sa.Column('handed_out_on', sa.Date(), nullable=False),
    sa.Column('handed_out_by_id', sa.Integer(), nullable=True),
    sa.Column('return_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('return_condition', sa.String(length=30), nullable=True),
    sa.Column('overdue_flagged_at', sa.DateTime(timezone=True), nullable=True),
    _fk('carry_out_record', 'instance_id', 'process_instance'),
    _fk('carry_out_record', 'handed_out_by_id', 'user_account'),
    _fk('carry_out_record', 'returned_by_id', 'user_account'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_carry_out_record'))
    )
    op.create_index('ix_carry_out_record_handed_out_on', 'carry_out_record', ['handed_out_on'], unique=False)

    op.create_table('destruction_manifest',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('compiled_by_id', sa.Integer(), nullable=True),
    sa.Column('planned_on', sa.Date(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escort_ids', sa.JSON(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    _fk('destruction_manifest', 'instance_id', 'process_instance'),
    _fk('destruction_manifest', 'compiled_by_id', 'user_account'),
    _fk('destruction_manifest', 'signed_by_id', 'user_account'),
    _fk('destruction_manifest', 'site_id', 'reference_item'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_destruction_manifest'))
    )

    op.create_table('destruction_manifest_item',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    _fk('destruction_manifest_item', 'instance_id', 'process_instance'),
    _fk('destruction_manifest_item', 'item_id', 'destruction_item'),
    sa.PrimaryKeyConstraint('instance_id', 'item_id', name=op.f('pk_destruction_manifest_item'))
    )
    op.create_index(op.f('ix_destruction_manifest_item_item_id'), 'destruction_manifest_item', ['item_id'],
                    unique=False)

    op.create_table('access_change_record',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('change', sa.String(length=20), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('new_section_id', sa.Integer(), nullable=True),
    _fk('access_change_record', 'instance_id', 'process_instance'),
    _fk('access_change_record', 'person_id', 'user_account'),
    _fk('access_change_record', 'section_id', 'section'),
    _fk('access_change_record', 'successor_id', 'user_account'),
    _fk('access_change_record', 'new_section_id', 'section'),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_access_change_record'))
    )
    op.create_index('ix_access_change_record_effective_on', 'access_change_record', ['effective_on'], unique=False)
    op.create_index(op.f('ix_access_change_record_section_id'), 'access_change_record', ['section_id'],
                    unique=False)

    op.create_table('access_change_system',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=True),
    sa.Column('changed_on', sa.Date(), nullable=True),
    _fk('access_change_system', 'instance_id', 'process_instance'),
    _fk('access_change_system', 'system_id', 'reference_item'),
    sa.PrimaryKeyConstraint('instance_id', 'system_id', name=op.f('pk_access_change_system'))
    )


def downgrade() -> None:
    op.drop_table('access_change_system')
    op.drop_index(op.f('ix_access_change_record_section_id'), table_name='access_change_record')
    op.drop_index('ix_access_change_record_effective_on', table_name='access_change_record')
    op.drop_table('access_change_record')
    op.drop_index(op.f('ix_destruction_manifest_item_item_id'), table_name='destruction_manifest_item')
    op.drop_table('destruction_manifest_item')
    op.drop_table('destruction_manifest')
    op.drop_index('ix_carry_out_record_handed_out_on', table_name='carry_out_record')
    op.drop_table('carry_out_record')
