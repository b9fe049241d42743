"""One SQLAlchemy session per request, closed at teardown; views commit at the edge."""
from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from database import make_engine, make_session_factory


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close)


def db() -> Session:
    """This request's session."""
    if "db" not in g:
        g.db = current_app.extensions["db_sessions"]()
    return g.db


def session_factory():
    return current_app.extensions["db_sessions"]


def _close(_exc) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
