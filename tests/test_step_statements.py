"""What one approval through the API asks of the database (issue 8): a budget of statements, so that a change
that adds a round trip to every step shows here rather than only in `make bench`.

The budget, for the section head's approval of a carry-out: the user with their roles (one query), the case
with its task rows, the case's row written once (its title or status included, never a second UPDATE), the
task done and the next task (on PostgreSQL one statement with the case's row), the audit chain's statements
(two on PostgreSQL, three on SQLite), and the answer's read of the open tasks, in the same transaction (no
second connection checkout after the commit)."""
from contextlib import contextmanager

from sqlalchemy import event, select

from models import HumanTask, ProcessInstance
from tests.carry_out_helpers import APPLICANT, APPROVE, SECTION_HEAD, open_task, start


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs inside the block, and the transactions it ends."""
    engine = app.extensions["db_engine"]
    seen = {"sql": [], "commits": 0, "rollbacks": 0}

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen["sql"].append(" ".join(statement.split())[:80])

    def on_commit(conn):
        seen["commits"] += 1

    def on_rollback(conn):
        seen["rollbacks"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)


def _count(sql: list[str], prefix: str) -> int:
    return sum(1 for s in sql if s.startswith(prefix))


def test_an_approval_keeps_to_its_statement_budget(app, api, db):
    applicant, head = api(APPLICANT), api(SECTION_HEAD)
    instance_id = start(applicant, db).get_json()["instance"]["id"]
    task = open_task(head, "section_head_review")
    version_before = db.get(ProcessInstance, instance_id).version

    with statements(app) as seen:
        response = head.post(f"/api/v1/tasks/{task['id']}/complete", json=APPROVE)
    assert response.status_code == 200, response.get_json()
    sql = seen["sql"]

    assert _count(sql, "SELECT role_assignment") == 0, sql  # read with the user: no query of its own
    postgres = app.extensions["db_engine"].dialect.name == "postgresql"
    if postgres:  # the case's row, the task done and the next task: one statement (step_rows.write_step)
        assert _count(sql, "WITH moved AS (UPDATE process_instance") == 1, sql
        assert not [s for s in sql if s.startswith(("UPDATE process_instance", "UPDATE human_task",
                                                    "INSERT INTO human_task"))], sql
    else:
        assert _count(sql, "UPDATE process_instance") == 1, sql
        assert _count(sql, "UPDATE human_task") == 1, sql
        assert _count(sql, "INSERT INTO human_task") == 1, sql
    # The step's two events (task completed, task created) in one INSERT; on PostgreSQL the same statement
    # moves the chain's head, so the head's row is written once (its lock) there, twice on SQLite.
    assert _count(sql, "WITH appended AS (INSERT INTO audit_event" if postgres else "INSERT INTO audit_event") == 1, sql
    assert _count(sql, "UPDATE audit_chain_head") == (1 if postgres else 2), sql
    assert len(sql) <= (6 if postgres else 9), sql
    # One transaction, committed: the answer was read before the commit, not on a second checkout.
    assert seen["commits"] == 1 and seen["rollbacks"] == 0, seen

    # And what was written in Core is what a fresh read finds.
    answer = response.get_json()
    assert answer["task"]["status"] == "completed" and answer["task"]["decision"] == "approve"
    assert [t["bpmn_id"] for t in answer["next_tasks"]] == ["leader_approval"]
    db.expire_all()
    done = db.get(HumanTask, task["id"])
    assert (done.status, done.decision, done.comment, done.completed_by_id) == \
        ("completed", "approve", "同意", answer["task"]["completed_by_id"])
    new = db.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                             HumanTask.bpmn_id == "leader_approval")).one()
    assert (new.status, new.kind, new.role, new.id) == ("open", "approval", "leader", answer["next_tasks"][0]["id"])
    assert new.created_at is not None
    assert db.get(ProcessInstance, instance_id).version == version_before + 1  # the optimistic lock moved on


def test_a_start_writes_the_new_case_row_once_after_its_insert(app, api, db):
    applicant = api(APPLICANT)
    with statements(app) as seen:
        response = start(applicant, db)
    assert response.status_code == 201, response.get_json()
    sql = seen["sql"]
    assert _count(sql, "INSERT INTO process_instance") == 1, sql
    # The title the start sets and the state go in one UPDATE (on PostgreSQL with the first task's INSERT);
    # no read of task rows a new case cannot have.
    assert _count(sql, "UPDATE process_instance") + _count(sql, "WITH moved AS (UPDATE process_instance") == 1, sql
    assert _count(sql, "SELECT human_task") == 1, sql  # the answer's, in the same transaction
    assert seen["commits"] == 1 and seen["rollbacks"] == 0, seen
    db.expire_all()
    instance = db.get(ProcessInstance, response.get_json()["instance"]["id"])
    assert instance.title and instance.workflow_state and instance.version == 2
