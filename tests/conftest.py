"""Fixtures: a migrated database (SQLite, or PostgreSQL when BAOMI_TEST_DATABASE_URL is set), the demo
office loaded fresh for every test, and clients that act as a named demo user."""
from __future__ import annotations

import os
import re
import secrets
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text

from app import create_app
from models import Base
from services import definitions, demo_office
from web.cli import migrate

PG_URL = os.environ.get("BAOMI_TEST_DATABASE_URL")
PASSWORD = demo_office.DEMO_PASSWORD


def _create_pg_database(url: str) -> tuple[str, str]:
    """A database of our own on the server, so that nothing left from another run can mask a failure."""
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"baomi_test_{secrets.token_hex(4)}"
    with psycopg.connect(host=base.host, port=base.port or 5432, user=base.username,
                         dbname=base.database, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    with psycopg.connect(host=base.host, port=base.port or 5432, user=base.username,
                         dbname=base.database, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url():
    if PG_URL:
        url, name = _create_pg_database(PG_URL)
        migrate(url)
        yield url
        _drop_pg_database(PG_URL, name)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'baomi_test.db'}"
            migrate(url)
            yield url


@pytest.fixture(scope="session")
def app(database_url):
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                       "BAOMI_SCHEDULER": "off"})


@pytest.fixture(scope="session")
def sessions(app):
    """The app's session factory, for tests that work below the web layer."""
    return app.extensions["db_sessions"]


def _empty(conn) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if conn.dialect.name == "postgresql":
        # A transaction a test left open would make TRUNCATE wait for ever; fail loudly instead.
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session")
def demo_rows(app, sessions) -> list[tuple]:
    """The demo office with every process published, made once the way `make run` makes it, and kept as
    each table's rows, in the order they go back in: publishing parses and checks nine diagrams, which cost
    most of a test's set-up. With each table, its keys to a table inserted after it (a section's head is a
    user), set once both exist."""
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        _empty(conn)
    definitions.publish_directory(sessions)
    with sessions() as session:
        demo_office.load(session)
        session.commit()
    order = Base.metadata.sorted_tables
    with engine.connect() as conn:
        return [(table, rows, [fk.parent.name for fk in table.foreign_keys
                               if order.index(fk.column.table) >= order.index(table)])
                for table in order if (rows := [dict(row) for row in conn.execute(table.select()).mappings()])]


@pytest.fixture(scope="session")
def moved_sequences(demo_rows):
    """PostgreSQL's sequences after the restored ids, in one statement: the rows came with their ids, and the
    next insert must go on after the largest, as after a real insert."""
    calls = [f"setval(pg_get_serial_sequence('{table.name}', 'id'), {max(row['id'] for row in rows)})"
             for table, rows, _later in demo_rows if "id" in table.c]
    return text(f"SELECT {', '.join(calls)}")


@pytest.fixture(autouse=True)
def demo(app, demo_rows, moved_sequences):
    """Every test starts from the demo office with every process published, and nothing else."""
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        _empty(conn)
        for table, rows, later in demo_rows:
            conn.execute(table.insert(), [{**row, **dict.fromkeys(later)} for row in rows])
        for table, rows, later in demo_rows:
            for column in later:
                values = [{"row_id": row["id"], "value": row[column]} for row in rows if row[column] is not None]
                if values:
                    conn.execute(table.update().where(table.c.id == bindparam("row_id"))
                                 .values({column: bindparam("value")}), values)
        if conn.dialect.name == "postgresql":
            conn.execute(moved_sequences)
    yield


@pytest.fixture
def db(sessions):
    with sessions() as session:
        yield session


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class ApiClient:
    """A test client signed in through the JSON API, sending its CSRF token on every write."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, headers):
        return dict({"X-CSRFToken": self.token} if self.token else {}, **(headers or {}))

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.client.delete(path, headers=self._headers(headers), **kw)


@pytest.fixture
def api(app):
    """`api("lihua")` is an API client signed in as that demo user; `api()` is anonymous."""
    def sign_in(username: str | None = None) -> ApiClient:
        client = app.test_client()
        if username is None:
            return ApiClient(client, None)
        response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return ApiClient(client, response.get_json()["csrf_token"])
    return sign_in


@pytest.fixture
def as_user(app):
    """`as_user("lihua")` is a browser-like test client signed in through the login page."""
    def sign_in(username: str):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        client.csrf = csrf_from(client.get("/").get_data(as_text=True))
        return client
    return sign_in


@pytest.fixture
def clock(monkeypatch):
    """Move 'now' forward for Baomi and for SpiffWorkflow's timers alike."""
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer

    import services.cases
    from services import scheduler

    offset = {"delta": timedelta(0)}

    class ShiftedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + offset["delta"]

    monkeypatch.setattr(spiff_timer, "datetime", ShiftedDatetime)
    monkeypatch.setattr(services.cases, "utcnow", lambda: datetime.now(timezone.utc) + offset["delta"])
    monkeypatch.setattr(scheduler, "utcnow", lambda: datetime.now(timezone.utc) + offset["delta"])
    return offset
