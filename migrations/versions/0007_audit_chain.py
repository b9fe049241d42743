"""hash-chained, append-only audit log; sign-in throttling; request ids of task completions

Revision ID: 0007_audit_chain
Revises: 0006_org
"""
from alembic import op
import sqlalchemy as sa

from models.base import UTCDateTime
# The running code's hash, not a copy: the chain this backfill writes must be the chain `audit verify` reads.
from services.audit_chain import GENESIS, HEAD_ID, content_hash

revision = '0007_audit_chain'
down_revision = '0006_org'
branch_labels = None
depends_on = None

# PostgreSQL refuses any UPDATE or DELETE of an audit row, whoever asks (row triggers fire for superusers
# too). TRUNCATE is a statement of its own, not refused: the test fixture resets tables with it.
_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=True),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('appended', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    op.create_table(
        'sign_in_throttle',
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', UTCDateTime(), nullable=True),
        sa.Column('blocked_until', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('username', name=op.f('pk_sign_in_throttle')),
    )
    op.create_table(
        'completion_request',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.String(length=100), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_completion_request_user_id_user_account')),
        sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_completion_request_task_id_human_task')),
        sa.PrimaryKeyConstraint('user_id', 'request_id', name=op.f('pk_completion_request')),
    )
    _backfill_chain()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_PG_APPEND_ONLY)


def _backfill_chain() -> None:
    """Chain the rows written before this revision, oldest first, and set the head to the last one."""
    bind = op.get_bind()
    events = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('at', UTCDateTime()),
                      sa.column('actor_id', sa.Integer), sa.column('action', sa.String),
                      sa.column('instance_id', sa.Integer), sa.column('task_id', sa.Integer),
                      sa.column('details', sa.Text), sa.column('prev_hash', sa.String),
                      sa.column('row_hash', sa.String))
    prev, last_id = GENESIS, None
    rows = bind.execute(sa.select(events).order_by(events.c.id)).fetchall()
    for row in rows:
        row_hash = content_hash(prev, row.at, row.actor_id, row.action, row.instance_id, row.task_id, row.details)
        bind.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, row_hash=row_hash))
        prev, last_id = row_hash, row.id
    head = sa.table('audit_chain_head', sa.column('id', sa.Integer), sa.column('last_event_id', sa.Integer),
                    sa.column('last_hash', sa.String), sa.column('appended', sa.Integer))
    bind.execute(head.insert().values(id=HEAD_ID, last_event_id=last_id, last_hash=prev, appended=len(rows)))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    op.drop_table('completion_request')
    op.drop_table('sign_in_throttle')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
