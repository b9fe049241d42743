"""Sign-in hardening: scrypt hashes, CNET.4's password rules, throttling and lockout shared through the
database, session expiry, secure cookies and the security headers."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from models import Asset, AuditEvent, User, utcnow
from models.security import SignInThrottle
from services import auth, security_settings
from services.errors import DomainError, ValidationFailed
from tests.conftest import PASSWORD, csrf_from


def _user(db, username):
    return db.scalar(select(User).where(User.username == username))


def _sign_in(api, username, password):
    return api().client.post("/api/v1/session", json={"username": username, "password": password})


def test_passwords_are_hashed_with_scrypt(db):
    assert auth.hash_password("Geheim#2026x").startswith("scrypt:")
    assert _user(db, "zhangwei").password_hash.startswith("scrypt:")


@pytest.mark.parametrize("password, problems", [
    ("Baomi@2026", []),
    ("Bm@2026x", []),                      # 8 characters: enough for an ordinary user
    ("Bm@2026", ["password_too_short"]),
    ("baomibaomi2026", ["password_needs_kinds"]),   # no special character
    ("baomi@baomi", ["password_needs_kinds"]),      # no digit
    ("2026@2026!", ["password_needs_kinds"]),       # no letter
])
def test_password_needs_letters_digits_and_specials_and_8_characters_CNET_4(password, problems):
    assert auth.password_problems(password) == problems


def test_holders_of_confidential_assets_need_10_characters_CNET_4(db):
    lihua, zhangwei = _user(db, "lihua"), _user(db, "zhangwei")
    # lihua holds BM-LT-002, a confidential-level laptop; zhangwei only secret-level ones.
    assert db.scalar(select(Asset.classification).where(Asset.holder_id == lihua.id)) == "confidential"
    assert auth.min_length_for(db, lihua) == 10
    assert auth.min_length_for(db, zhangwei) == 8
    with pytest.raises(ValidationFailed) as refused:
        auth.set_password(db, lihua, "Bm@2026xy", "en")
    assert refused.value.fields["new_password"] == ["The password needs at least 10 characters (CNET.4)."]
    auth.set_password(db, zhangwei, "Bm@2026xy")
    assert auth.authenticate(db, "zhangwei", "Bm@2026xy").id == zhangwei.id


def test_a_user_changes_their_own_password_on_the_page(as_user, app, db):
    client = as_user("zhangwei")
    page = client.get("/account/password")
    assert page.status_code == 200
    refused = client.post("/account/password", data={"csrf_token": client.csrf, "current_password": PASSWORD,
                                                     "new_password": "short", "repeat_password": "short"})
    assert refused.status_code == 422
    done = client.post("/account/password", data={"csrf_token": client.csrf, "current_password": PASSWORD,
                                                  "new_password": "Neu#Pass2027", "repeat_password": "Neu#Pass2027"})
    assert done.status_code == 302
    db.expire_all()
    assert auth.authenticate(db, "zhangwei", "Neu#Pass2027")
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "password_changed")) is not None


def test_failed_sign_ins_slow_down_then_lock_the_username(api, db):
    for _ in range(3):
        assert _sign_in(api, "zhangwei", "wrong").get_json()["code"] == "bad_credentials"
    # From the third failure on, even the right password waits.
    assert _sign_in(api, "zhangwei", PASSWORD).get_json()["code"] == "sign_in_throttled"
    throttle = db.get(SignInThrottle, "zhangwei")
    assert throttle.failures == 3 and throttle.blocked_until > utcnow()


def test_the_lockout_holds_for_its_minutes_and_then_lifts(db):
    now = utcnow()
    for i in range(5):
        with pytest.raises(DomainError) as failed:
            auth.authenticate(db, "zhangwei", "wrong", now=now + timedelta(minutes=i))
        assert failed.value.code == "bad_credentials"
    with pytest.raises(DomainError) as locked:
        auth.authenticate(db, "zhangwei", PASSWORD, now=now + timedelta(minutes=10))
    assert locked.value.code == "sign_in_locked"
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "account_locked")) is not None
    # Fifteen minutes after the fifth failure the right password works, and the count starts again.
    assert auth.authenticate(db, "zhangwei", PASSWORD, now=now + timedelta(minutes=20)).username == "zhangwei"
    db.expire_all()
    assert db.get(SignInThrottle, "zhangwei") is None


def test_unknown_usernames_are_throttled_alike(db):
    now = utcnow()
    for i in range(5):
        with pytest.raises(DomainError):
            auth.authenticate(db, "nobody", "wrong", now=now + timedelta(minutes=i))
    with pytest.raises(DomainError) as locked:
        auth.authenticate(db, "nobody", "wrong", now=now + timedelta(minutes=5))
    assert locked.value.code == "sign_in_locked"


def test_the_count_is_shared_by_every_worker(app, database_url, db):
    """A second app (another worker process would be the same) sees the failures the first one counted."""
    other = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                        "BAOMI_SCHEDULER": "off"})
    for client in (app.test_client(), other.test_client(), app.test_client()):
        client.post("/api/v1/session", json={"username": "lihua", "password": "wrong"})
    answer = other.test_client().post("/api/v1/session", json={"username": "lihua", "password": PASSWORD})
    assert answer.get_json()["code"] == "sign_in_throttled"
    other.extensions["db_engine"].dispose()


def test_the_login_page_says_the_account_is_locked(app, db, monkeypatch):
    # No waits before the lockout, so that five failures in a row reach it at once.
    monkeypatch.setattr(security_settings, "_defaults",
                        dict(security_settings._defaults, sign_in_throttle_after=5, sign_in_lockout_after=5))
    client = app.test_client()
    for _ in range(5):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": "wangfang", "password": "wrong", "csrf_token": token})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    page = client.post("/login", data={"username": "wangfang", "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429
    assert "账户已锁定" in page.get_data(as_text=True)


def test_a_session_expires_after_its_lifetime(as_user, app):
    client = as_user("zhangwei")
    assert client.get("/api/v1/me").status_code == 200
    saved = app.config["PERMANENT_SESSION_LIFETIME"]
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    try:
        time.sleep(2.1)
        assert client.get("/api/v1/me").status_code == 401
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = saved


def test_the_session_cookie_is_http_only_and_secure_when_configured(database_url):
    secure = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                         "BAOMI_SCHEDULER": "off", "SESSION_COOKIE_SECURE": True})
    client = secure.test_client()
    answer = client.post("/api/v1/session", json={"username": "zhangwei", "password": PASSWORD})
    cookie = answer.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # the API's sign-in gets an expiring session too
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    secure.extensions["db_engine"].dispose()


def test_every_response_carries_the_security_headers(app):
    page = app.test_client().get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP in tests: no HSTS
