"""A throwaway PostgreSQL database for the scale benches: created, migrated, every process published and
the demo office loaded; dropped afterwards whatever happens."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from database import make_engine, make_session_factory
from services import definitions, demo_office
from web.cli import migrate

PG = os.environ.get("BAOMI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_office():
    """(engine, session factory) of a fresh database holding the demo office."""
    import psycopg

    base = make_url(PG)
    name = f"baomi_bench_{secrets.token_hex(4)}"
    admin_conn = dict(host=base.host, port=base.port or 5432, user=base.username, dbname=base.database,
                      autocommit=True)
    with psycopg.connect(**admin_conn) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate(url)
        sessions = make_session_factory(engine)
        definitions.publish_directory(sessions)
        with sessions() as session:
            demo_office.load(session)
            session.commit()
        yield engine, sessions
    finally:
        engine.dispose()
        with psycopg.connect(**admin_conn) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
