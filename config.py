"""Settings, read from the environment so that every worker and host shares them."""
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = ROOT / "instance"


def _secret_key() -> str:
    """SECRET_KEY from the environment; for a local run, one kept in instance/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE.mkdir(exist_ok=True)
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        key_file.write_text(os.urandom(32).hex())
    return key_file.read_text().strip()


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


class Config:
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'baomi.db'}")
    SECRET_KEY = None  # filled in by load()
    # "inprocess" runs the scheduler inside the web process (make run); production runs `flask scheduler`.
    BAOMI_SCHEDULER = os.environ.get("BAOMI_SCHEDULER", "off")
    BAOMI_TIMER_SCAN_SECONDS = int(os.environ.get("BAOMI_TIMER_SCAN_SECONDS", "30"))
    BAOMI_SMTP_HOST = os.environ.get("BAOMI_SMTP_HOST", "")
    BAOMI_SMTP_PORT = int(os.environ.get("BAOMI_SMTP_PORT", "25"))
    BAOMI_SMTP_FROM = os.environ.get("BAOMI_SMTP_FROM", "baomi@localhost")
    BAOMI_STUCK_DAYS = int(os.environ.get("BAOMI_STUCK_DAYS", "5"))
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("zh_CN", "en")
    WTF_CSRF_TIME_LIMIT = None
    # CSRF is checked by our own hook, so the JSON sign-in can be exempt and everything else is not.
    WTF_CSRF_CHECK_DEFAULT = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Behind HTTPS (production): cookies only over TLS, and HSTS (web/security_headers.py). Off for `make run`.
    SESSION_COOKIE_SECURE = _flag("BAOMI_SECURE_COOKIES")
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    # A signed-in session ends after this long without a request (refreshed on every request).
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("BAOMI_SESSION_MINUTES", "30")))
    # Failed sign-ins per username: a doubling wait from the 3rd, a lockout at the 5th (services/auth.py).
    BAOMI_SIGN_IN_THROTTLE_AFTER = int(os.environ.get("BAOMI_SIGN_IN_THROTTLE_AFTER", "3"))
    BAOMI_SIGN_IN_THROTTLE_SECONDS = int(os.environ.get("BAOMI_SIGN_IN_THROTTLE_SECONDS", "2"))
    BAOMI_SIGN_IN_LOCKOUT_AFTER = int(os.environ.get("BAOMI_SIGN_IN_LOCKOUT_AFTER", "5"))
    BAOMI_SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("BAOMI_SIGN_IN_LOCKOUT_MINUTES", "15"))
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Files attached to a case (services/case_attachments.py). Only the upload routes take a body this large:
    # web/collaboration raises MAX_CONTENT_LENGTH above for them alone, by this plus room for the form.
    BAOMI_ATTACHMENT_MAX_BYTES = int(os.environ.get("BAOMI_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))


def load(overrides: dict | None = None) -> dict:
    """The configuration as a dict, with test or deployment overrides applied."""
    values = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    values.update(overrides or {})
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _secret_key()
    return values
