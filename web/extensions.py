"""Flask-Login, Flask-WTF's CSRF protection and Flask-Babel, wired to Baomi's users."""
from flask import Flask, g, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from services import assignment
from web.session import db

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

# The JSON sign-in has no page to carry a token from; it returns one for later requests.
CSRF_EXEMPT_ENDPOINTS = {"api.sign_in"}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_check_csrf)
    app.jinja_env.globals["current_locale"] = select_locale


@login_manager.user_loader
def _load_user(user_id: str):
    user = assignment.user_with_roles(db(), int(user_id))
    return user if user is not None and user.active else None


def select_locale() -> str:
    """The language of this request: the session's choice, else the user's, else Chinese."""
    if "locale" not in g:
        choice = session.get("locale")
        if choice is None and current_user and current_user.is_authenticated:
            choice = current_user.locale
        g.locale = choice if choice in ("zh_CN", "en") else "zh_CN"
    return g.locale


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return
    csrf.protect()
