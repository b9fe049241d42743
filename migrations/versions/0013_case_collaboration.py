"""case collaboration: readers copied in (抄送), comments with mentions, attached files

Revision ID: 0013_case_collaboration
Revises: 0012_added_approvers
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_case_collaboration'
down_revision = '0012_added_approvers'
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    op.create_table(
        'case_reader',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        _fk('case_reader', 'instance_id', 'process_instance'),
        _fk('case_reader', 'user_id', 'user_account'),
        _fk('case_reader', 'added_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reader')),
        sa.UniqueConstraint('instance_id', 'user_id', name='uq_case_reader_instance_user'),
    )
    op.create_index('ix_case_reader_user_added', 'case_reader', ['user_id', 'added_at'], unique=False)
    op.create_table(
        'case_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        _fk('case_comment', 'instance_id', 'process_instance'),
        _fk('case_comment', 'author_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_comment')),
    )
    op.create_index('ix_case_comment_instance', 'case_comment', ['instance_id', 'id'], unique=False)
    op.create_table(
        'case_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        _fk('case_attachment', 'instance_id', 'process_instance'),
        _fk('case_attachment', 'uploaded_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachment')),
    )
    op.create_index('ix_case_attachment_instance', 'case_attachment', ['instance_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_attachment_instance', table_name='case_attachment')
    op.drop_table('case_attachment')
    op.drop_index('ix_case_comment_instance', table_name='case_comment')
    op.drop_table('case_comment')
    op.drop_index('ix_case_reader_user_added', table_name='case_reader')
    op.drop_table('case_reader')
