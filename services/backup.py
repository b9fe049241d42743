"""Backups of a SQLite database (UNET.6) through SQLite's online backup API: a consistent copy even
while the app writes. PostgreSQL is backed up with pg_dump and restored with pg_restore (docs/SECURITY.md)."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite URL; other databases are refused with the way to back them up."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError("this database is not SQLite: back it up with pg_dump and restore it with pg_restore "
                          "(docs/SECURITY.md, 'Backups')")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def backup(database_url: str, target: Path) -> int:
    """Copy the live database to `target` (a new file); returns the number of cases in the copy."""
    source_path = sqlite_path(database_url)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file")
    with closing(_connect(source_path)) as source, closing(_connect(target)) as copy:
        source.backup(copy)
    return _check(target)


def restore(database_url: str, source: Path) -> int:
    """Replace the live database's content with the backup at `source`; returns the number of cases.

    Through the backup API into the live file rather than by copying files: other connections wait on its
    lock and then see the restored content, and the WAL file cannot be left out of step."""
    live_path = sqlite_path(database_url)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    cases = _check(source)
    with closing(_connect(source)) as backup_conn, closing(_connect(live_path)) as live:
        backup_conn.backup(live)
    return cases


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=30)


def _check(path: Path) -> int:
    """A backup must pass SQLite's integrity check and be a migrated Baomi database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check")
        conn.execute("SELECT version_num FROM alembic_version").fetchall()
        return conn.execute("SELECT count(*) FROM process_instance").fetchone()[0]
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is not a Baomi database: {err}") from None
    finally:
        conn.close()
