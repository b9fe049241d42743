"""The audit log is append-only and hash-chained: `flask --app app audit verify` names an edited, an
inserted and a deleted row; on PostgreSQL the database itself refuses UPDATE and DELETE."""
import json
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent
from models.audit import AuditChainHead
from services import audit, audit_chain
from tests.carry_out_helpers import APPLICANT, start


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


@contextmanager
def _as_intruder(app):
    """A connection that can change audit rows: on PostgreSQL someone who turned the trigger off."""
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        yield conn
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def _ids(db):
    return db.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()


@pytest.fixture
def logged_case(api, db):
    """A started case: several audit rows in the chain."""
    applicant = api(APPLICANT)
    for asset in ("BM-LT-001", "BM-LT-002"):
        assert start(applicant, db, asset).status_code == 201
    ids = _ids(db)
    assert len(ids) >= 4
    return ids


def test_an_untouched_log_verifies_and_every_row_is_chained(app, db, logged_case):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"{len(logged_case)} rows" in result.output
    rows = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == audit_chain.GENESIS
    for before, after in zip(rows, rows[1:]):
        assert after.prev_hash == before.row_hash


def test_verify_names_an_edited_row(app, logged_case):
    victim = logged_case[1]
    with _as_intruder(app) as conn:
        conn.execute(text("UPDATE audit_event SET details = '{\"comment\": \"nothing happened\"}' WHERE id = :id"),
                     {"id": victim})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {victim} was changed" in result.output


def test_verify_names_an_edited_row_even_when_its_hash_was_recomputed(app, db, logged_case):
    victim = logged_case[1]
    row = db.get(AuditEvent, victim)
    forged = audit_chain.content_hash(row.prev_hash, row.at, row.actor_id, "nothing", row.instance_id,
                                      row.task_id, row.details)
    with _as_intruder(app) as conn:
        conn.execute(text("UPDATE audit_event SET action = 'nothing', row_hash = :h WHERE id = :id"),
                     {"h": forged, "id": victim})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {victim} was changed and its hash recomputed" in result.output


def test_verify_names_a_deleted_row(app, logged_case):
    victim = logged_case[1]
    with _as_intruder(app) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": victim})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"before row {logged_case[2]} (after row {logged_case[0]})" in result.output


def test_verify_notices_rows_deleted_from_the_end(app, logged_case):
    with _as_intruder(app) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id >= :id"), {"id": logged_case[-2]})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"up to row {logged_case[-1]}, were deleted" in result.output


def test_verify_names_a_row_inserted_between_two_others(app, db, logged_case):
    first = db.get(AuditEvent, logged_case[0])
    forged_id = first.id * 10 + 5
    forged = audit_chain.content_hash(first.row_hash, first.at, None, "case_closed", None, None, "{}")
    with _as_intruder(app) as conn:
        # Make room between the first two rows, then slip a row in, hashed and linked like a real one.
        conn.execute(text("UPDATE audit_event SET id = id * 10"))
        conn.execute(text("INSERT INTO audit_event (id, at, action, details, prev_hash, row_hash) "
                          "VALUES (:id, :at, 'case_closed', '{}', :prev, :h)"),
                     {"id": forged_id, "at": first.at, "prev": first.row_hash, "h": forged})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {forged_id} was inserted" in result.output
    assert "changed" not in result.output and "deleted" not in result.output


def test_verify_names_a_row_appended_behind_the_chains_back(app, db, logged_case):
    last = db.get(AuditEvent, logged_case[-1])
    forged_id = last.id + 1
    forged = audit_chain.content_hash(last.row_hash, last.at, None, "case_closed", None, None, "{}")
    with _as_intruder(app) as conn:
        conn.execute(text("INSERT INTO audit_event (id, at, action, details, prev_hash, row_hash) "
                          "VALUES (:id, :at, 'case_closed', '{}', :prev, :h)"),
                     {"id": forged_id, "at": last.at, "prev": last.row_hash, "h": forged})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {forged_id} was inserted after the chain head" in result.output


def test_verify_names_a_row_inserted_without_a_hash(app, db, logged_case):
    forged_id = max(logged_case) + 7
    with _as_intruder(app) as conn:
        conn.execute(text("INSERT INTO audit_event (id, at, action, details) "
                          "VALUES (:id, CURRENT_TIMESTAMP, 'case_closed', '{}')"), {"id": forged_id})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"row {forged_id} was inserted" in result.output


def test_a_rolled_back_transaction_leaves_no_audit_row(sessions, db):
    before = _ids(db)
    with sessions() as session:
        audit.record(session, "case_started", None)
        session.rollback()
        session.commit()
    assert _ids(db) == before


def test_a_transaction_of_many_events_is_chained_in_order_and_moves_the_head(app, sessions, db):
    # More events than one INSERT carries (services/audit_chain._ROWS_PER_STATEMENT): an import, say.
    count = 2 * audit_chain._ROWS_PER_STATEMENT + 7
    with sessions() as session:
        for i in range(count):
            audit.record(session, "org_imported", None, line=i)
        session.commit()
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == "org_imported").order_by(AuditEvent.id)).all()
    assert [json.loads(row.details)["line"] for row in rows] == list(range(count))
    head = db.get(AuditChainHead, audit_chain.HEAD_ID)
    assert (head.last_event_id, head.last_hash) == (rows[-1].id, rows[-1].row_hash)
    result = _verify(app)
    assert result.exit_code == 0, result.output


def test_concurrent_writers_do_not_fork_the_chain(app, sessions):
    barrier = threading.Barrier(4, timeout=20)
    errors = []

    def write(n):
        try:
            barrier.wait()
            for i in range(5):
                with sessions() as session:
                    audit.record(session, "sign_in_failed", None, writer=n, attempt=i)
                    session.commit()
        except Exception as err:  # a failure of the test, reported below
            errors.append(repr(err))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    result = _verify(app)
    assert result.exit_code == 0, result.output


def test_postgresql_refuses_update_and_delete_of_audit_rows(app, logged_case):
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite's limitation is in docs/SECURITY.md")
    for statement in ("UPDATE audit_event SET action = 'x' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement), {"id": logged_case[0]})
    assert _verify(app).exit_code == 0


def test_the_migration_chains_the_rows_written_before_it(tmp_path):
    """Rows from before 0007 get a chain in the migration's backfill, and verify accepts it."""
    from datetime import datetime, timedelta, timezone

    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.orm import Session

    from config import ROOT
    from database import make_engine
    from web.cli import migrate

    url = f"sqlite:///{tmp_path / 'before_0007.db'}"
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "0005")
    engine = make_engine(url)
    table = AuditEvent.__table__
    start_at = datetime(2026, 1, 1, 2, 0, 0, 123456, tzinfo=timezone.utc)
    with engine.begin() as conn:
        for i, action in enumerate(("case_started", "task_created", "case_closed")):
            conn.execute(table.insert().values(at=start_at + timedelta(minutes=i), action=action,
                                               details=f'{{"n": {i}}}'))
    migrate(url)
    with Session(engine) as session:
        count, problems = audit_chain.verify(session)
        assert (count, problems) == (3, [])
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert rows[0].prev_hash == audit_chain.GENESIS and rows[2].prev_hash == rows[1].row_hash
        # And the next append links to the backfilled chain.
        audit.record(session, "sign_in_failed", None)
        session.commit()
        assert audit_chain.verify(session) == (4, [])
    engine.dispose()
