"""Backups (UNET.6): `flask --app app backup PATH` and `restore PATH` on SQLite bring back every case; on
PostgreSQL the documented pg_dump / pg_restore path (docs/SECURITY.md) does."""
import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from models import Base, ProcessInstance
from tests.carry_out_helpers import APPLICANT, start


def _business_keys(db):
    db.expire_all()
    return sorted(db.scalars(select(ProcessInstance.business_key)))


@pytest.fixture
def three_cases(api, db):
    applicant = api(APPLICANT)
    for asset in ("BM-LT-001", "BM-LT-002", "BM-DK-001"):
        start(applicant, db, asset)
    keys = _business_keys(db)
    assert len(keys) >= 2
    return keys


def _is_sqlite(app):
    return app.extensions["db_engine"].dialect.name == "sqlite"


def _lose_everything(app):
    with app.extensions["db_engine"].begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def test_a_restored_backup_has_every_case(app, db, three_cases, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite's backup commands; PostgreSQL's path is tested below")
    runner = app.test_cli_runner()
    backup = tmp_path / "baomi-backup.db"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert f"{len(three_cases)} cases" in made.output
    _lose_everything(app)
    assert _business_keys(db) == []
    restored = runner.invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _business_keys(db) == three_cases
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_backup_never_overwrites_a_file_and_restore_refuses_a_foreign_file(app, tmp_path):
    if not _is_sqlite(app):
        pytest.skip("SQLite's backup commands")
    runner = app.test_cli_runner()
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    assert runner.invoke(args=["backup", str(existing)]).exit_code != 0
    assert existing.read_text() == "keep me"
    refused = runner.invoke(args=["restore", str(existing), "--yes"])
    assert refused.exit_code != 0 and "not a" in refused.output


def test_on_postgresql_the_commands_point_to_pg_dump(app, tmp_path):
    if _is_sqlite(app):
        pytest.skip("PostgreSQL only")
    answer = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert answer.exit_code != 0 and "pg_dump" in answer.output


def test_the_documented_pg_dump_and_pg_restore_bring_back_every_case(app, three_cases, tmp_path):
    if _is_sqlite(app):
        pytest.skip("PostgreSQL only")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump and pg_restore are not installed here")
    url = make_url(str(app.extensions["db_engine"].url.render_as_string(hide_password=False)))
    conn_args = ["-h", url.host, "-p", str(url.port or 5432), "-U", url.username]
    dump = tmp_path / "baomi.dump"
    copy_name = f"{url.database}_restored"
    # The commands of docs/SECURITY.md, 'Backups'.
    subprocess.run(["pg_dump", *conn_args, "--format=custom", f"--file={dump}", url.database], check=True)
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{copy_name}"'))
    try:
        subprocess.run(["pg_restore", *conn_args, "--exit-on-error", "--no-owner", f"--dbname={copy_name}",
                        str(dump)], check=True)
        restored = create_engine(url.set(database=copy_name))
        with restored.connect() as conn:
            keys = sorted(conn.scalars(text("SELECT business_key FROM process_instance")))
            # The append-only trigger came back with the data.
            triggers = conn.scalars(text("SELECT tgname FROM pg_trigger WHERE tgname = 'audit_event_append_only'")).all()
        restored.dispose()
        assert keys == three_cases
        assert triggers == ["audit_event_append_only"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))
        admin.dispose()
