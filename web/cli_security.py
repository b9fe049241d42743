"""Security commands: `flask --app app audit verify | backup PATH | restore PATH`."""
from pathlib import Path

import click
from flask import Flask

from services import audit_chain, backup


def init_app(app: Flask) -> None:
    sessions = lambda: app.extensions["db_sessions"]  # noqa: E731

    @app.cli.group("audit")
    def audit_group():
        """The audit log."""

    @audit_group.command("verify")
    def verify_command():
        """Check the audit log's hash chain; name every edited, inserted or deleted row (exit 1 if any)."""
        with sessions()() as session:
            count, problems = audit_chain.verify(session)
            head = session.get(audit_chain.AuditChainHead, audit_chain.HEAD_ID)
        for problem in problems:
            click.echo(f"BROKEN: {problem.text}", err=True)
        if problems:
            raise SystemExit(1)
        # The head is what to write down outside the system: a later verify must still reach it.
        click.echo(f"audit log intact: {count} rows; head row {head.last_event_id if head else None}, "
                   f"hash {head.last_hash if head else audit_chain.GENESIS}")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path):
        """Write a consistent copy of the SQLite database to PATH (a new file)."""
        cases = _or_fail(lambda: backup.backup(app.config["DATABASE_URL"], path))
        click.echo(f"backup written to {path}: {cases} cases")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
    @click.confirmation_option(prompt="Replace every record of this database with the backup?")
    def restore_command(path: Path):
        """Replace the SQLite database's content with the backup at PATH (stop the app first)."""
        cases = _or_fail(lambda: backup.restore(app.config["DATABASE_URL"], path))
        app.extensions["db_engine"].dispose()  # pooled connections must not keep the old pages cached
        click.echo(f"restored from {path}: {cases} cases; run `flask --app app audit verify` next")


def _or_fail(action):
    try:
        return action()
    except backup.BackupError as err:
        raise click.ClickException(str(err)) from None
