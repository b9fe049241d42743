"""Command-line entry points: `flask --app app setup | publish | demo | scheduler`."""
import logging
import threading

import click
from flask import Flask

from services import definitions, demo_office, mailer, scheduler
from web import cli_security

log = logging.getLogger(__name__)


def migrate(url: str) -> None:
    """Bring the database schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from config import ROOT

    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "heads")


def init_app(app: Flask) -> None:
    sessions = lambda: app.extensions["db_sessions"]  # noqa: E731
    cli_security.init_app(app)

    @app.cli.command("setup")
    @click.option("--demo/--no-demo", default=True, help="Load the demo office when the database is empty.")
    def setup_command(demo: bool):
        """Migrate, publish every process, and load the demo office into an empty database."""
        migrate(app.config["DATABASE_URL"])
        _publish(sessions())
        if demo:
            _load_demo(sessions())

    @app.cli.command("publish")
    def publish_command():
        """Publish processes/*.bpmn: a new version only where the content changed."""
        _publish(sessions())

    @app.cli.command("demo")
    def demo_command():
        """Load the demo office into an empty database."""
        _load_demo(sessions())

    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the periodic jobs in this process (production: one or more of these, leases keep jobs single)."""
        logging.basicConfig(level=logging.INFO)
        click.echo("Baomi scheduler running; Ctrl+C stops it.")
        scheduler.build(sessions(), app.config["BAOMI_TIMER_SCAN_SECONDS"], blocking=True,
                        smtp=smtp_settings(app)).start()


def _publish(session_factory) -> None:
    for process_id, version, created in definitions.publish_directory(session_factory):
        click.echo(f"{process_id}: version {version}{' (new)' if created else ''}")


def _load_demo(session_factory) -> None:
    with session_factory() as session:
        if demo_office.is_empty(session):
            demo_office.load(session)
            session.commit()
            click.echo(f"demo office loaded; every demo user's password is {demo_office.DEMO_PASSWORD}")
        else:
            click.echo("database has users; demo office not loaded")


def smtp_settings(app: Flask) -> mailer.SmtpSettings | None:
    """SMTP from the configuration, or None: then notifications stay in the app."""
    if not app.config.get("BAOMI_SMTP_HOST"):
        return None
    return mailer.SmtpSettings(app.config["BAOMI_SMTP_HOST"], int(app.config.get("BAOMI_SMTP_PORT", 25)),
                               app.config.get("BAOMI_SMTP_FROM", "baomi@localhost"))


def start_inprocess_scheduler(app: Flask) -> None:
    """For `make run`: the periodic jobs in a thread of the one serving process."""
    sched = scheduler.build(app.extensions["db_sessions"], app.config["BAOMI_TIMER_SCAN_SECONDS"],
                            smtp=smtp_settings(app))
    # Start after the app is built, so a failing start-up does not leave a scheduler thread behind.
    threading.Timer(1.0, sched.start).start()
    app.extensions["scheduler"] = sched
