"""designer drafts: one unpublished BPMN (and its forms) per process

Revision ID: 0009_designer_drafts
Revises: 0008_ledgers
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_designer_drafts'
down_revision = '0008_ledgers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'designer_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.String(length=80), nullable=False),
        sa.Column('bpmn_xml', sa.Text(), nullable=False),
        sa.Column('forms_json', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'], name=op.f('fk_designer_draft_updated_by_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_designer_draft')),
        sa.UniqueConstraint('process_id', name=op.f('uq_designer_draft_process_id')),
    )


def downgrade() -> None:
    op.drop_table('designer_draft')
