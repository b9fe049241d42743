"""drop two task indexes nothing reads: (status, due_at) and (status, escalate_at)

Revision ID: 0016_drop_task_status_indexes
Revises: 0015_process_forms

The scheduler's scans for tasks to remind and to escalate read the partial indexes ix_human_task_to_remind
and ix_human_task_to_escalate; the admin console's overdue filter goes through ix_human_task_instance. The
two older indexes were left over, and every task a step creates or closes paid for them: two more b-trees
written, about 4% of a step on SQLite (issue 8).
"""
from alembic import op

revision = '0016_drop_task_status_indexes'
down_revision = '0015_process_forms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_status_escalate')
        batch_op.drop_index('ix_human_task_status_due')


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_human_task_status_escalate', ['status', 'escalate_at'], unique=False)
